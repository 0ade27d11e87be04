/**
 * The cohort's orchestration against a fake backend (parallelism, throttling retries, partial failure, expiry,
 * reports, live table vs plain lines) and `npm run cohort` / `npm run reap` with fake dependencies (dry run,
 * quotas, confirmation, a missing CLI or credentials).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CliIo } from "../../shared/cli";
import { main as cohort } from "../../tools/cohort/cli";
import {
    cohortReport,
    deployCohort,
    destroyStacks,
    expiredStacks,
    firstErrorLine,
    NO_PROGRESS,
    pool,
    progressFor,
    reportMarkdown,
    withRetry,
    type CohortBackend,
    type RetryPolicy,
    type StackInfo,
} from "../../tools/cohort/core";
import { PulumiMissing } from "../../tools/cohort/automation";
import { CredentialsMissing, type CohortDeps } from "../../tools/cohort/deps";
import { environments, countedLearners } from "../../tools/cohort/plan";
import { checkQuotas, LIMITS, refusal, type QuotaReader } from "../../tools/cohort/quotas";
import { main as reap } from "../../tools/cohort/reap";

/** An in-memory backend: stacks with tags and outputs; failures and throttling by stack name. */
class FakeBackend implements CohortBackend {
    stacks = new Map<string, { tags: Record<string, string>; outputs: Record<string, unknown>; config: Record<string, string> }>();
    calls: string[] = [];
    running = 0;
    maxRunning = 0;
    constructor(private o: { failUp?: string[]; throttleUp?: Record<string, number>; failDestroy?: string[] } = {}) {}
    async prepare(stack: string, config: Record<string, string>, tags: Record<string, string>) {
        this.calls.push(`prepare ${stack}`);
        const s = this.stacks.get(stack) ?? { tags: {}, outputs: {}, config: { "aws:region": "eu-west-1" } };
        Object.assign(s.tags, tags);
        Object.assign(s.config, config);
        this.stacks.set(stack, s);
    }
    async up(stack: string) {
        this.calls.push(`up ${stack}`);
        this.running++;
        this.maxRunning = Math.max(this.maxRunning, this.running);
        await new Promise((r) => setImmediate(r));
        this.running--;
        const throttles = this.o.throttleUp?.[stack] ?? 0;
        if (throttles > 0) {
            this.o.throttleUp![stack] = throttles - 1;
            throw new Error("code: 255\n stderr: error: creating API: TooManyRequestsException: Rate exceeded\n");
        }
        if (this.o.failUp?.includes(stack))
            throw new Error("code: 255\n stdout: Updating\n stderr: error: creating S3 Bucket: AccessDenied\nerror: update failed\n");
        const outputs = {
            websiteUrl: `http://${stack}.example`,
            apiUrl: `https://${stack}.api.example`,
            dataBucket: `${stack}-data`,
            deploymentId: `cloud-labs-${stack}-x1`,
        };
        this.stacks.get(stack)!.outputs = outputs;
        return outputs;
    }
    async outputs(stack: string) {
        return this.stacks.get(stack)?.outputs ?? {};
    }
    async config(stack: string) {
        return this.stacks.get(stack)?.config ?? {};
    }
    async destroy(stack: string) {
        this.calls.push(`destroy ${stack}`);
        if (this.o.failDestroy?.includes(stack)) throw new Error("error: deleting S3 Bucket: BucketNotEmpty\nerror: update failed");
        this.stacks.get(stack)!.outputs = {};
    }
    async remove(stack: string) {
        this.calls.push(`remove ${stack}`);
        this.stacks.delete(stack);
    }
    async list(): Promise<StackInfo[]> {
        return [...this.stacks].map(([name, s]) => ({ name, tags: s.tags }));
    }
}

const noWait: RetryPolicy = { attempts: 3, baseDelayMs: 1000, sleep: async () => undefined };
const passing = async () => ({ passed: 5, failed: 0 });

function testIo(env: NodeJS.ProcessEnv = {}, cwd = os.tmpdir()): CliIo & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { out: (t) => stdout.push(t), err: (t) => stderr.push(t), env, cwd, isTTY: false, stdout, stderr };
}

const unlimited: QuotaReader = async (limit) => ({ value: limit.documentedDefault, source: "test" });

function fakeDeps(backend: CohortBackend, over: Partial<CohortDeps> = {}): CohortDeps {
    return {
        backend: async () => backend,
        credentials: async () => undefined,
        quotas: unlimited,
        verify: passing,
        leftovers: async () => [],
        confirm: async () => true,
        stdinIsTTY: false,
        write: () => undefined,
        now: () => new Date("2026-11-30T10:00:00Z"),
        retry: noWait,
        ...over,
    };
}

describe("cohort orchestration", () => {
    it("runs at most --parallel deploys at once, and every one", async () => {
        const backend = new FakeBackend();
        const envs = environments("c", countedLearners(7));
        const rows = await deployCohort(envs, backend, {
            cohort: "c",
            parallel: 3,
            retry: noWait,
            progress: NO_PROGRESS,
            verify: passing,
            idleMonthlyUsd: {},
        });
        assert.equal(backend.maxRunning, 3);
        assert.deepEqual(
            rows.map((r) => r.state),
            Array(7).fill("ready"),
        );
    });

    it("a failing environment among good ones fails alone: the others deploy, nothing is destroyed", async () => {
        const backend = new FakeBackend({ failUp: ["c-02"] });
        const envs = environments("c", countedLearners(3));
        const rows = await deployCohort(envs, backend, {
            cohort: "c",
            parallel: 2,
            retry: noWait,
            progress: NO_PROGRESS,
            verify: passing,
            idleMonthlyUsd: {},
        });
        assert.deepEqual(
            rows.map((r) => [r.stack, r.state]),
            [
                ["c-01", "ready"],
                ["c-02", "failed"],
                ["c-03", "ready"],
            ],
        );
        assert.equal(rows[1].error, "error: creating S3 Bucket: AccessDenied");
        assert.equal(backend.calls.filter((c) => c.startsWith("destroy")).length, 0, "no rollback of anyone");
        assert.equal(rows[0].websiteUrl, "http://c-01.example");
    });

    it("retries throttling with doubling waits, and gives up on other errors at once", async () => {
        const waits: number[] = [];
        const policy: RetryPolicy = { attempts: 4, baseDelayMs: 100, sleep: async (ms) => void waits.push(ms) };
        const backend = new FakeBackend({ throttleUp: { "c-01": 2 } });
        const rows = await deployCohort(environments("c", countedLearners(1)), backend, {
            cohort: "c",
            parallel: 1,
            retry: policy,
            progress: NO_PROGRESS,
            verify: passing,
            idleMonthlyUsd: {},
        });
        assert.equal(rows[0].state, "ready");
        assert.equal(rows[0].attempts, 3);
        assert.deepEqual(waits, [100, 200]);
        let tries = 0;
        await assert.rejects(
            withRetry(async () => {
                tries++;
                throw new Error("AccessDenied");
            }, policy),
            /AccessDenied/,
        );
        assert.equal(tries, 1);
    });

    it("stops retrying throttling after the last attempt, reporting the throttling", async () => {
        const backend = new FakeBackend({ throttleUp: { "c-01": 9 } });
        const rows = await deployCohort(environments("c", countedLearners(1)), backend, {
            cohort: "c",
            parallel: 1,
            retry: noWait,
            progress: NO_PROGRESS,
            verify: passing,
            idleMonthlyUsd: {},
        });
        assert.equal(rows[0].state, "failed");
        assert.match(rows[0].error ?? "", /TooManyRequestsException: Rate exceeded/);
    });

    it("a failed verify marks the environment failed with the first failed check", async () => {
        const rows = await deployCohort(environments("c", countedLearners(1)), new FakeBackend(), {
            cohort: "c",
            parallel: 1,
            retry: noWait,
            progress: NO_PROGRESS,
            verify: async () => ({ passed: 3, failed: 1, firstFailure: "directory · GET /users: 502" }),
            idleMonthlyUsd: {},
        });
        assert.equal(rows[0].state, "failed");
        assert.equal(rows[0].error, "verify: directory · GET /users: 502");
    });

    it("tags each stack with its cohort, learner and expiry", async () => {
        const backend = new FakeBackend();
        const at = new Date("2026-12-01T18:00:00Z");
        await deployCohort(environments("c", [{ name: "ana", config: { budgetEmail: "a@example.com" } }]), backend, {
            cohort: "c",
            expiresAt: at,
            parallel: 1,
            retry: noWait,
            progress: NO_PROGRESS,
            verify: passing,
            idleMonthlyUsd: {},
        });
        assert.deepEqual(backend.stacks.get("c-ana")!.tags, {
            "cloud-labs:cohort": "c",
            "cloud-labs:learner": "ana",
            "cloud-labs:expires-at": "2026-12-01T18:00:00.000Z",
        });
        assert.equal(backend.stacks.get("c-ana")!.config.budgetEmail, "a@example.com");
    });

    it("bounds a pool even when some items reject on their own", async () => {
        let running = 0;
        let most = 0;
        const out = await pool([1, 2, 3, 4, 5], 2, async (n) => {
            running++;
            most = Math.max(most, running);
            await new Promise((r) => setImmediate(r));
            running--;
            return n * 2;
        });
        assert.deepEqual(out, [2, 4, 6, 8, 10]);
        assert.equal(most, 2);
    });

    it("finds the Pulumi error line in a CommandError's text", () => {
        assert.equal(
            firstErrorLine(
                new Error(
                    "code: 255\n stdout: Updating (x)\n stderr: error: creating Lambda Function: InvalidParameterValueException\nerror: update failed\n",
                ),
            ),
            "error: creating Lambda Function: InvalidParameterValueException",
        );
        assert.equal(firstErrorLine(new Error("spawn pulumi ENOENT")), "spawn pulumi ENOENT");
    });

    it("destroys, removes and audits each stack by its deployment identity; a failed destroy stays with its error", async () => {
        const backend = new FakeBackend({ failDestroy: ["c-02"] });
        const envs = environments("c", countedLearners(3));
        await deployCohort(envs, backend, {
            cohort: "c",
            parallel: 3,
            retry: noWait,
            progress: NO_PROGRESS,
            verify: passing,
            idleMonthlyUsd: {},
        });
        const asked: unknown[] = [];
        const rows = await destroyStacks(await backend.list(), backend, {
            parallel: 2,
            retry: noWait,
            progress: NO_PROGRESS,
            defaultRegion: "us-east-1",
            leftovers: async (q) => {
                asked.push(q);
                return q.stack === "c-03" ? ["log group /aws/lambda/cloud-labs-c-03-users-1"] : [];
            },
        });
        assert.deepEqual(
            rows.map((r) => [r.stack, r.state]),
            [
                ["c-01", "destroyed"],
                ["c-02", "failed"],
                ["c-03", "destroyed"],
            ],
        );
        assert.ok(backend.stacks.has("c-02"), "the stack whose destroy failed is left in place");
        assert.ok(!backend.stacks.has("c-01") && !backend.stacks.has("c-03"));
        assert.match(rows[1].error ?? "", /BucketNotEmpty/);
        assert.deepEqual(asked, [
            { stack: "c-01", region: "eu-west-1", deployment: "cloud-labs-c-01-x1" },
            { stack: "c-03", region: "eu-west-1", deployment: "cloud-labs-c-03-x1" },
        ]);
        assert.deepEqual(rows[2].leftovers, ["log group /aws/lambda/cloud-labs-c-03-users-1"]);
    });

    it("splits stacks into expired, live and untagged by the expiry tag", () => {
        const now = new Date("2026-11-30T10:00:00Z");
        const split = expiredStacks(
            [
                { name: "old", tags: { "cloud-labs:expires-at": "2026-11-30T09:59:59Z" } },
                { name: "new", tags: { "cloud-labs:expires-at": "2026-11-30T10:00:01Z" } },
                { name: "dev", tags: {} },
                { name: "odd", tags: { "cloud-labs:expires-at": "whenever" } },
            ],
            now,
        );
        assert.deepEqual(
            [split.expired, split.live, split.untagged].map((l) => l.map((s) => s.name)),
            [["old"], ["new"], ["dev", "odd"]],
        );
    });

    it("shows plain lines in CI, one per change of state, and a table redrawn in place on a terminal", () => {
        const lines: string[] = [];
        const plain = progressFor((t) => lines.push(t), false);
        plain.update({ learner: "ana", stack: "c-ana", state: "queued" });
        plain.update({ learner: "ana", stack: "c-ana", state: "deploying" });
        plain.update({ learner: "ana", stack: "c-ana", state: "deploying" });
        plain.update({ learner: "ana", stack: "c-ana", state: "failed", error: "error: AccessDenied" });
        assert.equal(lines.length, 3);
        assert.match(lines[2], /^✖ ana\s+c-ana\s+failed: error: AccessDenied$/);
        assert.ok(
            lines.every((l) => !l.includes("\x1b")),
            "no escape codes in CI logs",
        );

        const raw: string[] = [];
        const live = progressFor(
            () => assert.fail("a terminal gets the table, not lines"),
            true,
            (r) => raw.push(r),
        );
        live.update({ learner: "ana", stack: "c-ana", state: "queued" });
        live.update({ learner: "bo", stack: "c-bo", state: "queued" });
        live.update({ learner: "ana", stack: "c-ana", state: "ready", verify: { passed: 5, failed: 0 } });
        assert.equal(raw.length, 3);
        assert.ok(raw[2].startsWith("\x1b[2A"), "moves up over the two rows drawn");
        assert.match(raw[2], /✔ ana .*ready \(5 checks passed\)\n\x1b\[2K· bo/);
    });

    it("writes a hand-out with each learner's URLs, verify result and cost", () => {
        const report = cohortReport(
            "c",
            [
                {
                    learner: "ana",
                    stack: "c-ana",
                    state: "ready",
                    websiteUrl: "http://w",
                    apiUrl: "https://a",
                    verify: { passed: 5, failed: 0 },
                    idleMonthlyUsd: 0,
                },
                { learner: "bo", stack: "c-bo", state: "failed", error: "error: AccessDenied | denied", idleMonthlyUsd: 35.04 },
            ],
            new Date("2026-11-30T10:00:00Z"),
        );
        assert.deepEqual(report.totals, { environments: 2, ready: 1, failed: 1, idleMonthlyUsd: 35.04 });
        const md = reportMarkdown(report);
        assert.match(md, /\| ana \| c-ana \| http:\/\/w \| https:\/\/a \| 5 passed, 0 failed \| \$0\.00 \| ready \|/);
        assert.match(md, /\| bo \| c-bo \| – \| – \| – \| \$35\.04 \| failed: error: AccessDenied \\\| denied \|/);
    });
});

describe("cohort account limits", () => {
    const serverless = { "aws:apigatewayv2/api:Api": 2, "aws:lambda/function:Function": 3, "aws:s3/bucket:Bucket": 3 };

    it("refuse a cohort above a limit, naming the limit, the need and how to raise it", async () => {
        const newAccount: QuotaReader = async (limit) =>
            limit.quotaCode === "L-B99A9384"
                ? { value: 10, source: "Service Quotas lambda/L-B99A9384" }
                : { value: limit.documentedDefault, source: "documented default" };
        const checks = await checkQuotas(Array(20).fill(serverless), "us-east-1", newAccount);
        assert.deepEqual(
            checks.map((c) => [c.limit.name.split(" (")[0], c.need, c.ok]),
            [
                ["API Gateway APIs per Region", 40, true],
                ["Lambda concurrent executions", 60, false],
                ["S3 general purpose buckets per account", 60, true],
            ],
        );
        const message = refusal(checks[1], "us-east-1");
        assert.match(message, /^Lambda concurrent executions .* in us-east-1: the cohort needs 60 \(20 environments × 3 function/);
        assert.match(message, /the account allows 10 \(Service Quotas lambda\/L-B99A9384\)/);
        assert.match(
            message,
            /aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 60 --region us-east-1/,
        );
    });

    it("count load balancers only for the container lab, and say when a limit cannot be raised", async () => {
        const containers = { "aws:lb/loadBalancer:LoadBalancer": 1 };
        const checks = await checkQuotas(Array(51).fill(containers), "eu-west-1", unlimited);
        assert.deepEqual(
            checks.map((c) => [c.limit.quotaCode, c.need, c.ok]),
            [["L-53DA6B97", 51, false]],
        );
        const apis = await checkQuotas(Array(301).fill(serverless), "eu-west-1", unlimited);
        assert.match(
            refusal(
                apis.find((c) => !c.ok && !c.limit.serviceCode)!,
                "eu-west-1",
            ),
            /cannot be raised: run a smaller cohort, or split it across Regions/,
        );
    });

    it("know a documented default for every limit", () => {
        for (const limit of LIMITS)
            assert.ok(limit.documentedDefault > 0 && /^https:\/\/docs\.aws\.amazon\.com\//.test(limit.documentedAt), limit.name);
    });
});

describe("npm run cohort", function () {
    this.timeout(300_000);
    let out: string;
    before(() => {
        out = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-"));
    });

    it("--dry-run prints three stacks and the cost with no Pulumi CLI and no AWS", async () => {
        const io = testIo({ PATH: "" }, out);
        const deps = fakeDeps(new FakeBackend(), {
            backend: async () => assert.fail("a dry run needs no Pulumi CLI"),
            credentials: async () => assert.fail("a dry run needs no AWS"),
        });
        assert.equal(await cohort(["up", "--count", "3", "--dry-run"], io, deps), 0, io.stderr.join("\n"));
        const text = io.stdout.join("\n");
        for (const stack of ["cohort-01", "cohort-02", "cohort-03"])
            assert.match(
                text,
                new RegExp(`^  ${stack.slice(-2)}\\s+${stack}\\s+\\$0\\.000\\s+\\$0\\.36`, "m"),
                "the sign-up lab's alarm and queue polling, past the free tiers",
            );
        assert.match(text, /Idle cost of the cohort: \$0\.001 an hour, \$1\.09 a month/);
        assert.match(text, /Dry run: nothing was deployed/);
    });

    it("prices the container lab per environment and in total", async () => {
        const io = testIo({}, out);
        assert.equal(
            await cohort(
                ["up", "--count=2", "--base", "containers", "--prefix", "web", "--dry-run", "--expires", "8h"],
                io,
                fakeDeps(new FakeBackend()),
            ),
            0,
            io.stderr.join("\n"),
        );
        const text = io.stdout.join("\n");
        const monthly = [...text.matchAll(/^  0[12]\s+web-0[12]\s+\$(\d+\.\d{3})\s+\$(\d+\.\d{2})/gm)].map((m) => Number(m[2]));
        assert.equal(monthly.length, 2);
        assert.ok(monthly[0] > 10, `an ALB and a task cost more than $10 a month idle: ${monthly[0]}`);
        const total = Number(/a month/.test(text) && /, \$(\d+\.\d{2}) a month/.exec(text)![1]);
        assert.ok(Math.abs(total - monthly[0] * 2) < 0.02, `the total is both environments: ${total}`);
        assert.match(text, /expiring 2026-11-30T18:00:00\.000Z/);
    });

    it("names bad roster rows by line and a bad config value by learner, before anything is asked of Pulumi", async () => {
        const roster = path.join(out, "bad.csv");
        fs.writeFileSync(roster, "name,budgetEmail\nana,a@example.com\nana,b@example.com\n");
        const io = testIo({}, out);
        assert.equal(await cohort(["up", "--roster", "bad.csv", "--dry-run"], io, fakeDeps(new FakeBackend())), 2);
        assert.match(io.stderr.join("\n"), /bad\.csv line 3: learner "ana" is already on line 2/);
        fs.writeFileSync(roster, "name,lambdaArchitecture\nana,sparc\n");
        const io2 = testIo({}, out);
        assert.equal(await cohort(["up", "--roster", roster, "--dry-run"], io2, fakeDeps(new FakeBackend())), 2);
        assert.match(io2.stderr.join("\n"), /learner ana \(stack cohort-ana\): .*lambdaArchitecture/);
    });

    it("refuses usage errors with exit 2: no subcommand, both --roster and --count, --only with up", async () => {
        for (const argv of [
            [],
            ["launch"],
            ["up", "--count", "2", "--roster", "x.csv"],
            ["up", "--count", "0"],
            ["up", "--count", "2", "--only", "ana"],
            ["status", "--dry-run"],
        ]) {
            const io = testIo();
            assert.equal(await cohort(argv, io, fakeDeps(new FakeBackend())), 2, argv.join(" "));
            assert.match(io.stderr.join("\n"), /Usage: npm run cohort/);
        }
    });

    it("without the Pulumi CLI, or with one older than 3.211, exits 2 with one message saying what to install", async () => {
        for (const message of [
            "The Pulumi CLI (pulumi) is not on PATH: install Pulumi CLI 3.211.0 or later",
            "Pulumi CLI 3.200.0 at /x/pulumi is too old: install Pulumi CLI 3.211.0 or later",
        ]) {
            const io = testIo({}, out);
            const code = await cohort(
                ["up", "--count", "1", "--yes"],
                io,
                fakeDeps(new FakeBackend(), {
                    backend: async () => {
                        throw new PulumiMissing(message);
                    },
                }),
            );
            assert.equal(code, 2);
            assert.deepEqual(io.stderr, [message]);
        }
        const io = testIo({}, out);
        assert.equal(
            await reap(
                [],
                io,
                fakeDeps(new FakeBackend(), {
                    backend: async () => {
                        throw new PulumiMissing("no pulumi");
                    },
                }),
            ),
            2,
        );
        assert.deepEqual(io.stderr, ["no pulumi"]);
    });

    it("without AWS credentials exits 2 with one message saying what to set", async () => {
        const io = testIo({}, out);
        const deps = fakeDeps(new FakeBackend(), {
            credentials: async () => {
                throw new CredentialsMissing("No AWS credentials found: set AWS_PROFILE");
            },
        });
        assert.equal(await cohort(["destroy", "--yes"], io, deps), 2);
        assert.deepEqual(io.stderr, ["No AWS credentials found: set AWS_PROFILE"]);
    });

    it("refuses a cohort above an account limit before deploying anything (exit 1)", async () => {
        const backend = new FakeBackend();
        const io = testIo({}, out);
        const tiny: QuotaReader = async (limit) => ({
            value: limit.quotaCode === "L-B99A9384" ? 10 : limit.documentedDefault,
            source: "Service Quotas",
        });
        assert.equal(await cohort(["up", "--count", "4", "--yes"], io, fakeDeps(backend, { quotas: tiny })), 1);
        assert.match(io.stderr.join("\n"), /Refused: Lambda concurrent executions .*the cohort needs \d+ \(4 environments × \d function/);
        assert.deepEqual(backend.calls, [], "nothing deployed");
    });

    it("asks before deploying, refuses without --yes when nobody can answer, and stops on no", async () => {
        const backend = new FakeBackend();
        const io = testIo({}, out);
        assert.equal(await cohort(["up", "--count", "1"], io, fakeDeps(backend, { stdinIsTTY: false })), 2);
        assert.match(io.stderr.join("\n"), /Standard input is not a terminal, so nobody can confirm: pass --yes/);
        const questions: string[] = [];
        const io2 = testIo({}, out);
        assert.equal(
            await cohort(
                ["up", "--count", "1"],
                io2,
                fakeDeps(backend, { stdinIsTTY: true, confirm: async (q) => (questions.push(q), false) }),
            ),
            1,
        );
        assert.match(questions[0], /^Deploy 1 environment for about \$0\.36 a month idle\?$/);
        assert.deepEqual(backend.calls, []);
    });

    it("deploys, verifies and writes cohort.json and cohort.md; exits 1 when one environment failed", async () => {
        const backend = new FakeBackend({ failUp: ["cohort-02"] });
        const io = testIo({}, out);
        assert.equal(await cohort(["up", "--count", "3", "--yes", "--out", "report"], io, fakeDeps(backend)), 1);
        const report = JSON.parse(fs.readFileSync(path.join(out, "report", "cohort.json"), "utf8"));
        assert.deepEqual(
            report.environments.map((e: { state: string }) => e.state),
            ["ready", "failed", "ready"],
        );
        assert.match(
            fs.readFileSync(path.join(out, "report", "cohort.md"), "utf8"),
            /\| 01 \| cohort-01 \| http:\/\/cohort-01\.example \|/,
        );
        assert.match(io.stderr.join("\n"), /✖ 02 \(cohort-02\): error: creating S3 Bucket: AccessDenied/);
    });
});

describe("npm run reap", () => {
    it("destroys expired stacks, keeps unexpired ones, skips untagged ones, and goes on past a failed destroy", async () => {
        const backend = new FakeBackend({ failDestroy: ["b-late"] });
        const tag = (name: string, expires?: string) =>
            backend.stacks.set(name, { tags: expires ? { "cloud-labs:expires-at": expires } : {}, outputs: {}, config: {} });
        tag("a-old", "2026-11-30T09:00:00.000Z");
        tag("b-late", "2026-11-30T08:00:00.000Z");
        tag("c-new", "2026-11-30T11:00:00.000Z");
        tag("dev");
        const io = testIo();
        assert.equal(await reap([], io, fakeDeps(backend)), 1);
        assert.deepEqual([...backend.stacks.keys()].sort(), ["b-late", "c-new", "dev"]);
        const text = io.stdout.join("\n");
        assert.match(text, /keep  c-new: expires 2026-11-30T11:00:00\.000Z/);
        assert.match(text, /skip  dev: no cloud-labs:expires-at tag/);
        assert.match(text, /reap  a-old: expired/);
        assert.match(
            io.stderr.join("\n"),
            /✖ b-late: destroy failed, the stack is left in place: error: deleting S3 Bucket: BucketNotEmpty/,
        );
        assert.match(text, /1 of 2 stacks destroyed and removed\./);
    });

    it("--dry-run lists the expired stacks and touches none", async () => {
        const backend = new FakeBackend();
        backend.stacks.set("a-old", { tags: { "cloud-labs:expires-at": "2026-11-30T09:00:00.000Z" }, outputs: {}, config: {} });
        const io = testIo();
        assert.equal(await reap(["--dry-run"], io, fakeDeps(backend)), 0);
        assert.match(io.stdout.join("\n"), /would reap  a-old/);
        assert.deepEqual(backend.calls, []);
    });
});
