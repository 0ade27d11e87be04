/**
 * The policy pack (shared/guardrails/policies.ts) over every shipped stack, and over stacks broken on purpose: each policy
 * flags the resource that breaks it and nothing else. Runs through tools/policy, as `npm run policy` does.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { DEFAULT_MAX_IDLE_MONTHLY_USD, policies } from "../../shared/guardrails/policies";
import { evaluatePolicies, type Violation } from "../../tools/policy/evaluate";
import { main as policyMain } from "../../tools/policy/cli";
import type { CliIo } from "../../shared/cli";
import { ROOT, runProgram, shippedStacks, type ProgramRun } from "../helpers/program";
import { TYPESCRIPT_HOOK } from "../../shared/cli";

/** Changes one resource's props or options as the program registers it. */
function breaking(name: string, props: Record<string, unknown>, opts: pulumi.CustomResourceOptions = {}): pulumi.ResourceTransformation {
    return (args) => (args.name === name ? { props: { ...args.props, ...props }, opts: { ...args.opts, ...opts } } : undefined);
}

const anonymousRead = (...resources: string[]) =>
    JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: resources }],
    });

/** `policy resource` pairs, sorted, for exact comparisons. */
const flagged = (violations: Violation[]) => violations.map((v) => `${v.policy} ${v.resource ?? "(stack)"}`).sort();
const messageOf = (violations: Violation[], policy: string, resource?: string) =>
    violations.find((v) => v.policy === policy && v.resource === resource)?.message ?? "";

describe("policy pack", function () {
    this.timeout(300_000);

    it("has uniquely named, mandatory policies, and an index that only constructs the pack", () => {
        assert.equal(new Set(policies.map((p) => p.name)).size, policies.length);
        assert.deepEqual(
            policies.map((p) => p.enforcementLevel),
            policies.map(() => "mandatory"),
        );
        const index = fs.readFileSync(path.join(ROOT, "policy", "index.ts"), "utf8");
        assert.match(index, /new PolicyPack\("cloud-labs", \{ policies, enforcementLevel: "mandatory" \}\)/);
        assert.equal(parse(fs.readFileSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"), "utf8")).runtime.name, "nodejs");
        assert.equal(JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "package.json"), "utf8")).main, "index.ts");
    });

    for (const stack of shippedStacks()) {
        it(`${stack}: every shipped resource passes`, async () => {
            const run = await runProgram(stack);
            assert.deepEqual(await evaluatePolicies(stack, run.resources), []);
        });
    }

    describe("serverless, broken on purpose", () => {
        let violations: Violation[];
        before(async () => {
            const run: ProgramRun = await runProgram("serverless", {}, [
                // An anonymous read on the private data bucket, and its access block opened for it.
                breaking("directory-dataPolicy", { policy: anonymousRead("arn:aws:s3:::directory-databucket-abc123/*") }),
                breaking("directory-dataPublicAccessBlock", { blockPublicPolicy: false, restrictPublicBuckets: false }),
                // The audio bucket made public beyond audio/*.
                breaking("audio-bucketPolicy", {
                    policy: anonymousRead(
                        "arn:aws:s3:::audio-bucketbucket-abc123/audio/*",
                        "arn:aws:s3:::audio-bucketbucket-abc123/text/*",
                    ),
                }),
                breaking("directory-websiteBucket", { forceDestroy: false }),
                breaking("directory-dataBucket", {}, { protect: true, retainOnDelete: true }),
                breaking("hello-functionLogGroup", { retentionInDays: undefined }),
                breaking("directory-usersFunction", { loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/somewhere-else" } }),
                breaking("audio-speechPolicy", {
                    policy: JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [{ Sid: "Everything", Effect: "Allow", Action: "*", Resource: "*" }],
                    }),
                }),
                breaking("hello-functionPolicy", {
                    policy: JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [{ Sid: "AllOfS3", Effect: "Allow", Action: ["s3:*"], Resource: ["arn:aws:s3:::x/*"] }],
                    }),
                }),
            ]);
            violations = await evaluatePolicies("serverless", run.resources);
        });

        it("flags exactly the broken resources (the compliant website and audio buckets, other groups and roles pass)", () => {
            assert.deepEqual(flagged(violations), [
                "iam-least-privilege audio-speechPolicy",
                "iam-least-privilege audio-speechPolicy",
                "iam-least-privilege hello-functionPolicy",
                "lambdas-log-to-own-group directory-usersFunction",
                "log-groups-have-retention hello-functionLogGroup",
                "nothing-survives-destroy directory-dataBucket",
                "nothing-survives-destroy directory-dataBucket",
                "nothing-survives-destroy directory-websiteBucket",
                "public-only-where-declared audio-bucketPolicy",
                "public-only-where-declared directory-dataPolicy",
                "public-only-where-declared directory-dataPublicAccessBlock",
            ]);
        });

        it("names the resource and the fix in every message", () => {
            assert.match(
                messageOf(violations, "public-only-where-declared", "directory-dataPolicy"),
                /^directory-dataPolicy: statement PublicRead allows anyone .* not declared public\. Fix: /,
            );
            assert.match(
                messageOf(violations, "public-only-where-declared", "audio-bucketPolicy"),
                /text\/\*; audio-bucket is public only for audio\/\*\. Fix: /,
            );
            assert.match(
                messageOf(violations, "public-only-where-declared", "directory-dataPublicAccessBlock"),
                /blockPublicPolicy, restrictPublicBuckets off on a bucket not declared public/,
            );
            assert.match(
                messageOf(violations, "nothing-survives-destroy", "directory-websiteBucket"),
                /bucket without forceDestroy.*Fix: set forceDestroy: true/,
            );
            const teardown = violations.filter((v) => v.resource === "directory-dataBucket").map((v) => v.message);
            assert.ok(
                teardown.some((m) => /is protected.*Fix: drop the protect option/.test(m)),
                teardown.join("\n"),
            );
            assert.ok(
                teardown.some((m) => /has retainOnDelete.*Fix: drop the retainOnDelete option/.test(m)),
                teardown.join("\n"),
            );
            assert.match(
                messageOf(violations, "log-groups-have-retention", "hello-functionLogGroup"),
                /without retention.*Fix: set retentionInDays/,
            );
            assert.match(
                messageOf(violations, "lambdas-log-to-own-group", "directory-usersFunction"),
                /\/aws\/lambda\/somewhere-else, a log group this stack does not create/,
            );
            const iam = violations.filter((v) => v.policy === "iam-least-privilege").map((v) => v.message);
            assert.ok(iam.includes("audio-speechPolicy: statement Everything allows *. Fix: list the actions it needs."), iam.join("\n"));
            assert.ok(
                iam.some((m) => /^audio-speechPolicy: statement Everything allows \* on Resource "\*"/.test(m)),
                iam.join("\n"),
            );
            assert.ok(iam.includes("hello-functionPolicy: statement AllOfS3 allows s3:*. Fix: list the actions it needs."), iam.join("\n"));
        });
    });

    describe("dev, the sign-up table protected", () => {
        it("flags a DynamoDB table with deletion protection, and only it", async () => {
            const run = await runProgram("dev", {}, [breaking("signup-table", { deletionProtectionEnabled: true })]);
            const violations = await evaluatePolicies("dev", run.resources);
            assert.deepEqual(flagged(violations), ["nothing-survives-destroy signup-table"]);
            assert.match(
                violations[0].message,
                /^signup-table: DynamoDB table with deletion protection.*Fix: set deletionProtectionEnabled: false/,
            );
        });
    });

    describe("containers, broken on purpose", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram("containers", {}, [breaking("web-repo", { forceDelete: false })]);
        });

        it("flags an ECR repository without forceDelete, and only it", async () => {
            const violations = await evaluatePolicies("containers", run.resources);
            assert.deepEqual(flagged(violations), ["nothing-survives-destroy web-repo"]);
            assert.match(violations[0].message, /^web-repo: ECR repository without forceDelete.*Fix: set forceDelete: true/);
        });

        it(`caps the idle cost (default $${DEFAULT_MAX_IDLE_MONTHLY_USD}): the $34.59 stack passes it and fails a $30 cap, with the breakdown`, async () => {
            const capped = await evaluatePolicies("containers", run.resources, { "idle-cost-cap": { maxIdleMonthlyUsd: 30 } });
            const cap = capped.filter((v) => v.policy === "idle-cost-cap");
            assert.equal(cap.length, 1);
            assert.equal(cap[0].resource, undefined, "a violation of the whole stack");
            assert.match(cap[0].message, /^Stack containers idles at \$34\.59 a month, above maxIdleMonthlyUsd = \$30 \(/);
            assert.match(cap[0].message, /webService Application Load Balancer \$16\.43; webService Public IPv4 addresses \$10\.95/);
            assert.match(cap[0].message, /Fix: .*webStopSchedule/);
            const advisory = await evaluatePolicies("containers", run.resources, {
                "idle-cost-cap": { enforcementLevel: "advisory", maxIdleMonthlyUsd: 30 },
            });
            assert.equal(advisory.find((v) => v.policy === "idle-cost-cap")?.enforcementLevel, "advisory");
        });

        it("counts the schedule in the cap: a bigger task over $60 idle passes once it stops nights and weekends", async () => {
            const big = { webCpu: 2048, webMemoryMb: 4096 };
            const always = await evaluatePolicies("containers", (await runProgram("containers", big)).resources);
            assert.deepEqual(flagged(always), ["idle-cost-cap (stack)"]);
            const scheduled = await runProgram("containers", {
                ...big,
                webStopSchedule: "cron(0 19 ? * MON-FRI *)",
                webStartSchedule: "cron(0 7 ? * MON-FRI *)",
            });
            assert.deepEqual(await evaluatePolicies("containers", scheduled.resources), []);
        });
    });
});

describe("npm run policy", function () {
    this.timeout(300_000);
    const cli = (args: string[]) =>
        promisify(execFile)(process.execPath, ["-r", TYPESCRIPT_HOOK, path.join(ROOT, "tools", "policy", "cli.ts"), ...args], { cwd: ROOT })
            .then((r) => ({ code: 0, out: r.stdout + r.stderr }))
            .catch((e) => ({ code: e.code as number, out: `${e.stdout}${e.stderr}` }));

    it("the command exits 1 on a mandatory violation, naming it (a real process: what CI sees)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-policy-"));
        try {
            const config = path.join(dir, "policy-config.json");
            fs.writeFileSync(config, JSON.stringify({ "idle-cost-cap": { maxIdleMonthlyUsd: 30 } }));
            const over = await cli(["--stack", "containers", "--config", config]);
            assert.equal(over.code, 1, over.out);
            assert.match(over.out, /\[mandatory\] idle-cost-cap: Stack containers idles at \$34\.59/);
            assert.match(over.out, /Stack containers: 1 mandatory and 0 advisory violation\(s\)\./);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    /** `npm run policy -- ARGS` in this process, run from `cwd` (npm's INIT_CWD). */
    const inProcess = async (args: string[], cwd = ROOT) => {
        const out: string[] = [];
        const err: string[] = [];
        const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env: {}, cwd, isTTY: false };
        const code = await policyMain(args, io);
        return { code, out: out.join("\n"), err: err.join("\n") };
    };

    it("exits 0 for a stack that passes, 1 on a mandatory violation, 2 on usage errors", async () => {
        const ok = await inProcess(["--stack", "containers"]);
        assert.equal(ok.code, 0, ok.err);
        assert.match(ok.out, /Stack containers passes all 6 policies\./);
        assert.match(
            ok.out,
            /Mocked look-ups that decided a price[^\n]*\n {2}- subnets: the default VPC's default subnets were taken to be subnet-0a+1 \(us-east-1a\)/,
            "the idle cost it checked rests on the mocks' subnets",
        );

        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-policy-"));
        try {
            const config = path.join(dir, "policy-config.json");
            fs.writeFileSync(config, JSON.stringify({ "idle-cost-cap": { maxIdleMonthlyUsd: 30 } }));
            const over = await inProcess(["--stack", "containers", "--config", config]);
            assert.equal(over.code, 1, over.err);
            assert.match(over.out, /\[mandatory\] idle-cost-cap: Stack containers idles at \$34\.59/);

            fs.writeFileSync(config, "{ not json");
            const badConfig = await inProcess(["--stack", "containers", "--config", config]);
            assert.equal(badConfig.code, 2, badConfig.out);
            assert.match(badConfig.err, /--config .*policy-config\.json: /);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }

        const unknown = await inProcess(["--stack", "prod"]);
        assert.equal(unknown.code, 2);
        assert.match(unknown.err, /unknown stack "prod": there is no Pulumi\.prod\.yaml/);
        const missing = await inProcess([]);
        assert.equal(missing.code, 2);
        assert.match(missing.err, /--stack is required[\s\S]*Usage: npm run policy -- --stack NAME/);
        const bogus = await inProcess(["--stack", "dev", "--bogus"]);
        assert.equal(bogus.code, 2);
        assert.match(bogus.err, /unknown option --bogus/);
    });

    it("checks --config against the schema the policies declare, as --policy-pack-config does: exit 2 naming the key", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-policy-"));
        try {
            const cases: [unknown, RegExp][] = [
                [
                    { "idle-cost-cap": { maxIdleMonthlyUsd: "abc" } },
                    /idle-cost-cap\.maxIdleMonthlyUsd: must be a number ≥ 0; received "abc"/,
                ],
                [{ "idle-cost-cap": { maxIdleMonthlyUsd: -5 } }, /idle-cost-cap\.maxIdleMonthlyUsd: must be a number ≥ 0; received -5/],
                [
                    { "idle-cost-cap": { maxIdleMonthyUsd: 40 } },
                    /idle-cost-cap\.maxIdleMonthyUsd: not a setting of idle-cost-cap \(did you mean "maxIdleMonthlyUsd"\?\); it takes enforcementLevel, maxIdleMonthlyUsd/,
                ],
                [
                    { "idle-cost-capp": { maxIdleMonthlyUsd: 40 } },
                    /"idle-cost-capp" is not a policy of this pack \(did you mean "idle-cost-cap"\?\); the policies are .*log-groups-have-retention/,
                ],
                [{ "idle-cost-cap": "off" }, /idle-cost-cap: must be one of advisory, mandatory, remediate, disabled; received "off"/],
                [
                    { "idle-cost-cap": { enforcementLevel: "strict" } },
                    /idle-cost-cap\.enforcementLevel: must be one of advisory, mandatory, remediate, disabled/,
                ],
                [{ "idle-cost-cap": 40 }, /idle-cost-cap: must be an enforcement level .* or an object; received 40/],
                [{ all: { maxIdleMonthlyUsd: 40 } }, /all\.maxIdleMonthlyUsd: "all" takes only enforcementLevel/],
                [[], /must be a JSON object of policy names/],
            ];
            for (const [config, message] of cases) {
                fs.writeFileSync(path.join(dir, "cap.json"), JSON.stringify(config));
                const run = await inProcess(["--stack", "containers", "--config", path.join(dir, "cap.json")]);
                assert.equal(run.code, 2, JSON.stringify(config));
                assert.match(run.err, message, JSON.stringify(config));
                assert.match(run.err, new RegExp(`^--config ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/cap\\.json: `));
                assert.equal(run.out, "", "no policy ran");
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("reads a relative --config from the folder npm was run in, names the path it tried, and takes a UTF-8 BOM", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-policy-"));
        try {
            const missing = await inProcess(["--stack", "containers", "--config", "cap.json"], dir);
            assert.equal(missing.code, 2);
            assert.equal(missing.err, `--config ${path.join(dir, "cap.json")}: it does not exist`);
            fs.writeFileSync(path.join(dir, "cap.json"), "\uFEFF" + JSON.stringify({ "idle-cost-cap": "disabled" }));
            const off = await inProcess(["--stack=containers", "--config=cap.json"], dir);
            assert.equal(off.code, 0, off.err);
            assert.equal(off.out.split("\n")[0], "Stack containers passes the 5 enabled policies (disabled by the config: idle-cost-cap).");
            assert.match(off.out, /\nMocked look-ups that decided a price \(a real account may answer otherwise\):\n {2}- subnets: /);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("runs no policy the config disables", async () => {
        let ran = 0;
        const probe = { name: "probe", description: "counts its runs", validateStack: () => void ran++ };
        const capped = {
            name: "capped",
            description: "always violates",
            enforcementLevel: "mandatory" as const,
            validateStack: (_: unknown, report: (m: string) => void) => report("over"),
        };
        assert.deepEqual(
            await evaluatePolicies("containers", [], { probe: "disabled", capped: { enforcementLevel: "disabled" } }, [probe, capped]),
            [],
        );
        assert.equal(ran, 0);
        assert.equal((await evaluatePolicies("containers", [], { all: "advisory" }, [probe, capped]))[0].enforcementLevel, "advisory");
        assert.equal(ran, 1);
    });

    it("--help prints the usage on stdout; usage errors go to stderr with exit 2", async () => {
        const help = await inProcess(["--help"]);
        assert.equal(help.code, 0);
        assert.match(help.out, /^Usage: npm run policy -- --stack NAME \[--config FILE\]/);
        const noValue = await inProcess(["--stack"]);
        assert.equal(noValue.code, 2);
        assert.match(noValue.err, /--stack needs a value[\s\S]*Usage:/);
        assert.equal(noValue.out, "");
    });
});
