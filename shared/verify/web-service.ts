/** The ECS web service lab: the load balancer serves the sample page and the container's health path. */
import { expect, request, runCheck, statusOf, trimSlash, type CheckResult, type VerifyContext } from "./check";

export async function checkWebService(serviceUrl: string, ctx: VerifyContext, results: CheckResult[]): Promise<void> {
    const run = (name: string, proves: string, body: () => Promise<string>) => runCheck(ctx, results, "webService", name, proves, body);
    await run("sample page", "the load balancer reaches a running container", async () => {
        const page = await request(ctx, serviceUrl);
        expect(page.status === 200, `GET ${serviceUrl} answered ${statusOf(page)}`);
        expect(/Amazon ECS Sample App/.test(page.text()), `GET ${serviceUrl} answered 200 but not the sample page`);
        return `200, ${page.bytes} bytes`;
    });
    await run(`GET ${ctx.healthPath}`, "the path the load balancer's health check reads answers", async () => {
        const url = `${trimSlash(serviceUrl)}${ctx.healthPath}`;
        const answer = await request(ctx, url);
        expect(answer.status === 200, `GET ${url} answered ${statusOf(answer)}`);
        return "200";
    });
}
