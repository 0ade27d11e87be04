/**
 * What `npm run cohort` and `npm run reap` take from the world — the Pulumi CLI, AWS credentials, quotas, the
 * verify checks, the leftovers audit, the terminal — in one object, so tests pass fakes and the CLIs the real ones.
 */
import * as readline from "node:readline/promises";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { S3Client } from "@aws-sdk/client-s3";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import type { CliIo } from "../../shared/cli";
import { ROOT } from "../../shared/stack-files";
import { findLeftovers } from "../../shared/leftovers";
import { formatResult, verify as runVerify } from "../../shared/verify/core";
import { parseOutputs } from "../../shared/outputs";
import { automationBackend, pulumiCommand, PulumiMissing } from "./automation";
import { DEFAULT_RETRY, type CohortBackend, type LeftoverQuery, type RetryPolicy, type VerifyOutcome } from "./core";
import { serviceQuotasReader, type QuotaReader } from "./quotas";

/** No AWS credentials could be found: exit 2 with this one message. */
export class CredentialsMissing extends Error {}

export interface CohortDeps {
    /** The Automation API backend; PulumiMissing when the CLI is missing or too old. */
    backend(base: string, env: NodeJS.ProcessEnv): Promise<CohortBackend>;
    /** Resolves AWS credentials the way the SDK and the Pulumi AWS provider do; CredentialsMissing when none. */
    credentials(region: string, env: NodeJS.ProcessEnv): Promise<void>;
    quotas: QuotaReader;
    /** Runs `npm run verify`'s checks against one environment's outputs and config. */
    verify(outputs: Record<string, unknown>, config: Record<string, string>, signal?: AbortSignal): Promise<VerifyOutcome>;
    /** The leftovers audit for one destroyed deployment: a line per thing left. */
    leftovers: (q: LeftoverQuery) => Promise<string[]>;
    /** Asks a yes/no question on the terminal. */
    confirm(question: string): Promise<boolean>;
    /** True when standard input is a terminal (someone can answer). */
    stdinIsTTY: boolean;
    /** Raw writes to standard output, for the live table. */
    write: (raw: string) => void;
    now(): Date;
    retry: RetryPolicy;
}

export const CREDENTIALS_HELP =
    "No AWS credentials found: set AWS_PROFILE (after aws configure or aws sso login), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role is assumed (CI: aws-actions/configure-aws-credentials)";

export function defaultDeps(): CohortDeps {
    return {
        backend: async (base, env) => automationBackend({ workDir: ROOT, base, env, command: await pulumiCommand(env) }),
        async credentials(region) {
            const client = new ServiceQuotasClient({ region });
            try {
                await client.config.credentials();
            } catch (error) {
                throw new CredentialsMissing(`${CREDENTIALS_HELP} (${(error as Error).message.split("\n")[0]}).`);
            } finally {
                client.destroy();
            }
        },
        quotas: serviceQuotasReader((region) => new ServiceQuotasClient({ region })),
        async verify(raw, config, signal) {
            const region = config["aws:region"] ?? "us-east-1";
            const outputs = parseOutputs(JSON.stringify(raw), "the stack outputs");
            const s3 = new S3Client({ region, followRegionRedirects: true });
            try {
                const run = await runVerify(outputs, {
                    fetch,
                    s3,
                    timeoutMs: 10_000,
                    signal: signal ?? new AbortController().signal,
                    publicUrlOf: async (bucket, key) =>
                        `https://${bucket}.s3.${region}.amazonaws.com/${key.split("/").map(encodeURIComponent).join("/")}`,
                    dataPrefix: config["cloud-labs:directoryDataPrefix"] ?? "users",
                    healthPath: config["cloud-labs:webHealthCheckPath"] ?? "/health",
                    audioWaitMs: 60_000,
                    pollMs: 1000,
                    report: () => undefined,
                });
                const failed = run.results.filter((r) => !r.ok);
                return {
                    passed: run.results.length - failed.length,
                    failed: failed.length,
                    firstFailure: failed[0] && formatResult(failed[0]).slice(2),
                };
            } finally {
                s3.destroy();
            }
        },
        async leftovers(q) {
            const tagging = new ResourceGroupsTaggingAPIClient({ region: q.region });
            const logs = new CloudWatchLogsClient({ region: q.region });
            try {
                // By the deployment's own id: the stack name is shared by every deployment of it in the account.
                if (!q.deployment) {
                    throw new Error(
                        `stack ${q.stack} exported no deploymentId (deployed before the id existed), so its leftovers cannot be told from another deployment's of the same stack name; check by hand (docs/teardown.md)`,
                    );
                }
                const left = await findLeftovers({ tagging, logs, deployment: q.deployment });
                return left.map((l) => `${l.kind} ${l.id}`);
            } finally {
                tagging.destroy();
                logs.destroy();
            }
        },
        async confirm(question) {
            const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
            try {
                return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
            } finally {
                rl.close();
            }
        },
        stdinIsTTY: Boolean(process.stdin.isTTY),
        write: (raw) => process.stdout.write(raw),
        now: () => new Date(),
        retry: DEFAULT_RETRY,
    };
}

/** The backend and credentials, or exit 2 after one message saying what to install or set. */
export async function connect(deps: CohortDeps, io: CliIo, base: string, region: string): Promise<CohortBackend | number> {
    try {
        const backend = await deps.backend(base, io.env);
        await deps.credentials(region, io.env);
        return backend;
    } catch (error) {
        if (error instanceof PulumiMissing || error instanceof CredentialsMissing) {
            io.err(error.message);
            return 2;
        }
        throw error;
    }
}
