/**
 * The ECS web service lab: the load balancer serves the sample page and the container's health path. A service
 * that its stop/start schedule has stopped (no running task, inside the stop window) is reported as such, with when
 * it starts and how to start it now, instead of failing on the load balancer's error page.
 */
import { DescribeServicesCommand } from "@aws-sdk/client-ecs";
import { parseCron, stoppedBySchedule } from "../../stacks/cron";
import { bounded, expect, request, runCheck, statusOf, trimSlash, type CheckResult, type VerifyContext } from "./check";
import type { LabOutputs } from "../outputs";

export type WebServiceOutputs = Required<Pick<LabOutputs, "serviceUrl">> &
    Pick<LabOutputs, "clusterName" | "serviceName" | "webStopSchedule" | "webStartSchedule">;

export async function checkWebService(o: WebServiceOutputs, ctx: VerifyContext, results: CheckResult[]): Promise<void> {
    const run = (name: string, proves: string, body: () => Promise<string>) => runCheck(ctx, results, "webService", name, proves, body);
    if (await stoppedOnSchedule(o, ctx, results)) return;
    const serviceUrl = o.serviceUrl;
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

/**
 * True (and a passing "stopped by schedule" result) when the outputs name a schedule, ECS runs no task of the
 * service and the schedule's stop fired after its start: the page checks would only read the load balancer's 503.
 */
async function stoppedOnSchedule(o: WebServiceOutputs, ctx: VerifyContext, results: CheckResult[]): Promise<boolean> {
    if (!o.webStopSchedule || !o.webStartSchedule || !o.clusterName || !o.serviceName || !ctx.ecs) return false;
    const ecs = ctx.ecs;
    const now = (ctx.now ?? (() => new Date()))();
    const window = stoppedBySchedule(parseCron(o.webStopSchedule), parseCron(o.webStartSchedule), now);
    if (!window) return false;
    const { services } = await bounded(ctx, (abortSignal) =>
        ecs.send(new DescribeServicesCommand({ cluster: o.clusterName, services: [o.serviceName!] }), { abortSignal }),
    );
    const service = services?.[0];
    if (!service || service.runningCount !== 0) return false;
    const until = window.until ? `${window.until.toISOString().slice(0, 16).replace("T", " ")} UTC` : "its next start (none within a year)";
    await runCheck(
        ctx,
        results,
        "webService",
        "stopped by schedule",
        "the service is off because its schedule stopped it, not because it is broken",
        async () =>
            [
                `stopped by schedule until ${until} (webStopSchedule ${o.webStopSchedule}, webStartSchedule ${o.webStartSchedule}); 0 running tasks, so the page checks were skipped.`,
                `Note: pulumi up does not start it; to start tasks now: aws application-autoscaling register-scalable-target --service-namespace ecs ` +
                    `--scalable-dimension ecs:service:DesiredCount --resource-id service/${o.clusterName}/${o.serviceName} --min-capacity 1 (the next stop time stops them again)`,
            ].join(" "),
    );
    return true;
}
