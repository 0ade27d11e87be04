/**
 * The sign-up lab: the page is served, a sign-up is accepted (202 and an id) and ends `stored`. When it stays
 * `queued`, the check says why when it can: the local lab reports its consumer's last error, and an AccessDenied
 * there names the permission the consumer's role lacks (the lab's `signupConsumerCanWrite: false` exercise).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { DescribeLogGroupsCommand, FilterLogEventsCommand, type CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { missingPermissionMessage, SIGNUP_ID_HEADER, WRITE_DENIED_EVENT } from "../../functions/signup/contract";
import {
    CheckFailed,
    expect,
    Interrupted,
    randomSuffix,
    request,
    runCheck,
    seconds,
    trimSlash,
    type CheckResult,
    type VerifyContext,
} from "./check";
import type { LabOutputs } from "../outputs";

type SignupOutputs = Required<Pick<LabOutputs, "signupWebsiteUrl" | "signupApiUrl" | "signupTableName">> &
    Pick<LabOutputs, "signupQueueUrl" | "dynamodbEndpoint">;

/** How long the check waits for a sign-up to leave `queued`, unless the context says. */
export const SIGNUP_WAIT_MS = 30_000;

export async function checkSignup(
    out: SignupOutputs,
    ctx: VerifyContext & { signupWaitMs?: number },
    results: CheckResult[],
): Promise<void> {
    const run = (name: string, proves: string, body: () => Promise<string>) => runCheck(ctx, results, "signup", name, proves, body);
    await run("sign-up page", "the static page is served, with its generated config", async () => {
        const page = await request(ctx, out.signupWebsiteUrl);
        expect(page.status === 200, `GET ${out.signupWebsiteUrl} answered ${page.status}`);
        expect(/<form id="signup"/.test(page.text()), `GET ${out.signupWebsiteUrl} is not the sign-up page`);
        const config = await request(
            ctx,
            new URL("config.js", out.signupWebsiteUrl.endsWith("/") ? out.signupWebsiteUrl : `${out.signupWebsiteUrl}/`).href,
        );
        expect(config.status === 200 && config.text().includes("apiUrl"), `config.js answered ${config.status}, without the API URL`);
        return "200, with config.js";
    });

    let id: string | undefined;
    const api = trimSlash(out.signupApiUrl);
    await run("POST /signup", "the accept path answers 202 with an id, without waiting for the table", async () => {
        const email = `verify-${randomSuffix()}@example.org`;
        const answer = await request(ctx, `${api}/signup`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name: "cloud-labs verify", email }),
        });
        expect(answer.status === 202, `POST ${api}/signup answered ${answer.status}: ${answer.text().slice(0, 100)}`);
        id = answer.headers.get(SIGNUP_ID_HEADER) ?? undefined;
        expect(id, `the 202 has no ${SIGNUP_ID_HEADER} header`);
        return `202, id ${id} (${email})`;
    });
    if (!id) return;
    const signupId = id;
    await run("sign-up stored", "the consumer takes it off the queue and writes it to the table", async () => {
        const waitMs = ctx.signupWaitMs ?? SIGNUP_WAIT_MS;
        const started = performance.now();
        for (;;) {
            const answer = await request(ctx, `${api}/signup/${encodeURIComponent(signupId)}`);
            expect(answer.status === 200, `GET /signup/${signupId} answered ${answer.status}: ${answer.text().slice(0, 100)}`);
            const status = JSON.parse(answer.text()) as { state: string; reason?: string };
            if (status.state !== "queued") {
                expect(status.state === "stored", `ended ${status.state}${status.reason ? ` (${status.reason})` : ""}, not stored`);
                return `stored after ${Math.round(performance.now() - started)} ms`;
            }
            const why = (await consumerError(ctx, out)) ?? (await awsWriteDenied(ctx, out, signupId, started));
            if (why) throw new CheckFailed(why);
            if (performance.now() - started > waitMs) {
                throw new CheckFailed(
                    `still queued ${seconds(waitMs)} after it was accepted: the consumer is not storing sign-ups (look for signup.write-denied or signup.failed in its logs, and at the dead-letter queue)`,
                );
            }
            try {
                await sleep(ctx.pollMs, undefined, { signal: ctx.signal });
            } catch {
                throw new Interrupted();
            }
        }
    });
}

/** The local lab's consumer error, as a sentence naming the missing permission; undefined on AWS or when none. */
async function consumerError(ctx: VerifyContext, out: SignupOutputs): Promise<string | undefined> {
    if (!out.dynamodbEndpoint || !out.signupQueueUrl) return undefined;
    const reportUrl = out.signupQueueUrl.replace(/\/[^/]+$/, "");
    const answer = await request(ctx, reportUrl);
    if (answer.status !== 200) return undefined;
    const report = JSON.parse(answer.text()) as { consumer?: { lastError?: string } };
    const error = report.consumer?.lastError ?? "";
    const denied = /AccessDenied\w*: .*not authorized to perform: (\S+) on resource: \S*table\/(\S+)/.exec(error);
    if (!denied) return undefined;
    return (
        `${missingPermissionMessage(denied[2])}: the consumer's writes are refused (${denied[1]}), so sign-ups go to the dead-letter queue; ` +
        "give it back (signupConsumerCanWrite: true and pulumi up; offline, restart npm start without --signup-consumer-can-write=false)"
    );
}

/** How often, at most, the check searches a deployed consumer's logs while a sign-up stays queued. */
export const LOG_SEARCH_EVERY_MS = 5_000;
const lastSearch = new WeakMap<object, number>();

/**
 * On AWS, a sign-up that stays `queued` is explained by the consumer's own log line: it logs `signup.write-denied`
 * with the sign-up's id when the table refuses its write. The consumer's log group is found by the name NodeFunction
 * gives it (`/aws/lambda/<project>-<stack>-signup-consumer-…`); the id makes the match exact even when several
 * stacks share the account. Undefined when there is no such line (yet), or no logs client (a local lab).
 */
export async function awsWriteDenied(
    ctx: Pick<VerifyContext, "logs">,
    out: Pick<SignupOutputs, "signupTableName">,
    signupId: string,
    acceptedAt: number,
): Promise<string | undefined> {
    const logs = ctx.logs;
    if (!logs) return undefined;
    const now = performance.now();
    if (now - (lastSearch.get(logs) ?? -Infinity) < LOG_SEARCH_EVERY_MS) return undefined;
    lastSearch.set(logs, now);
    const startTime = Date.now() - (now - acceptedAt) - 60_000;
    for (const group of await consumerLogGroups(logs)) {
        const found = await logs.send(
            new FilterLogEventsCommand({
                logGroupName: group,
                startTime,
                filterPattern: `"${WRITE_DENIED_EVENT}" "${signupId}"`,
                limit: 1,
            }),
        );
        const line = found.events?.[0]?.message;
        if (!line) continue;
        const permission = /"missingPermission":"([^"]+)"/.exec(line.replace(/\\"/g, '"'))?.[1] ?? "dynamodb:PutItem";
        return (
            `${missingPermissionMessage(out.signupTableName)}: the consumer logged ${WRITE_DENIED_EVENT} for this sign-up (${permission} refused, in ${group}), ` +
            "so it is retried and then moved to the dead-letter queue; give the permission back: signupConsumerCanWrite: true (or remove it) and pulumi up"
        );
    }
    return undefined;
}

async function consumerLogGroups(logs: CloudWatchLogsClient): Promise<string[]> {
    const groups: string[] = [];
    let nextToken: string | undefined;
    do {
        const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePattern: "-signup-consumer-", nextToken }));
        for (const g of page.logGroups ?? []) if (g.logGroupName?.startsWith("/aws/lambda/")) groups.push(g.logGroupName);
        nextToken = page.nextToken;
    } while (nextToken);
    return groups;
}
