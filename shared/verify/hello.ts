/** The SAM hello world lab: its endpoint answers the template's message. */
import { CheckFailed, expect, request, runCheck, statusOf, type CheckResult, type VerifyContext } from "./check";

export async function checkHello(helloWorldApi: string, ctx: VerifyContext, results: CheckResult[]): Promise<void> {
    await runCheck(ctx, results, "hello", "GET helloWorldApi", "the function runs behind the API", async () => {
        const answer = await request(ctx, helloWorldApi);
        expect(answer.status === 200, `GET ${helloWorldApi} answered ${statusOf(answer)}`);
        let body: unknown;
        try {
            body = JSON.parse(answer.text());
        } catch {
            throw new CheckFailed(`GET ${helloWorldApi} answered 200 but not JSON: ${answer.text().slice(0, 100)}`);
        }
        expect(
            JSON.stringify(body) === JSON.stringify({ message: "hello world" }),
            `answered ${answer.text().slice(0, 100)}, not {"message":"hello world"}`,
        );
        return `200 {"message":"hello world"}`;
    });
}
