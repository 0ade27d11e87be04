import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { bundle, bundleBuilds, BUNDLE_CACHE_DIR } from "../../stacks/bundle";
import { ROOT, runProgram, type ProgramRun } from "../helpers/program";
import { ACTIONS_WITHOUT_RESOURCES, list, statementsOf } from "../helpers/policy";
import { TYPESCRIPT_HOOK } from "../../shared/cli";

/** A new folder under dist/ (ignored by git): inside the project, so its files resolve node_modules and functions/. */
function scratchDir(prefix: string): string {
    fs.mkdirSync(path.join(ROOT, "dist"), { recursive: true });
    return fs.mkdtempSync(path.join(ROOT, "dist", prefix));
}

describe("NodeFunction, the shared Lambda block", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram("dev");
    });
    const functions = () => run.ofType("aws:lambda/function:Function");

    it("every function runs nodejs22.x on the configured architecture with its own timeout", () => {
        assert.ok(functions().length >= 2);
        for (const fn of functions()) {
            assert.equal(fn.inputs.runtime, "nodejs22.x", fn.name);
            assert.deepEqual(fn.inputs.architectures, ["arm64"], fn.name);
            assert.equal(fn.inputs.handler, "index.handler");
        }
        assert.equal(run.named("hello-functionFunction").inputs.timeout, 3, "the SAM template's 3 s");
    });

    it("every function logs JSON into its own log group with retention", () => {
        for (const fn of functions()) {
            const base = fn.name.replace(/Function$/, "");
            const group = run.named(`${base}LogGroup`);
            assert.equal(
                group.inputs.namePrefix,
                `/aws/lambda/${run.outputs.deploymentId}-${base}-`,
                "the deployment's id, readable, made unique by AWS",
            );
            assert.equal(group.inputs.retentionInDays, 7);
            assert.equal(fn.inputs.loggingConfig.logGroup, group.state.name);
            assert.equal(fn.inputs.loggingConfig.logFormat, "JSON");
        }
    });

    it("every function is auto-named, so a second deployment of the same stack name does not collide", () => {
        for (const fn of functions()) {
            assert.equal(fn.inputs.name, undefined, `${fn.name} has no fixed name`);
            assert.notEqual(fn.options.deleteBeforeReplace, true, `${fn.name}: a replacement can create before it deletes`);
        }
    });

    it("every role trusts only lambda.amazonaws.com", () => {
        const functionRoles = functions().map((fn) => run.named(fn.name.replace(/Function$/, "Role")));
        for (const role of functionRoles) {
            assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement, [
                { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
            ]);
            assert.equal(role.inputs.managedPolicyArns, undefined, `${role.name} has no managed policies`);
        }
        assert.equal(run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0, "no managed policies anywhere");
    });

    it("every role may write logs only to its own log group, and names a resource for every non-X-Ray action", () => {
        for (const policy of functions().map((fn) => run.named(fn.name.replace(/Function$/, "Policy")))) {
            const base = policy.name.replace(/Policy$/, "");
            const statements = statementsOf(policy.inputs.policy);
            const logs = statements.find((s) => s.Sid === "WriteOwnLogs")!;
            assert.deepEqual(logs.Action, ["logs:CreateLogStream", "logs:PutLogEvents"]);
            assert.deepEqual(logs.Resource, [`${run.named(`${base}LogGroup`).state.arn}:*`]);
            assert.match(
                logs.Resource[0],
                new RegExp(
                    `^arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/cloud-labs-dev-[a-z0-9]{6}-${base}-\\d{18}[0-9a-f]{8}:\\*$`,
                ),
            );
            for (const s of statements) {
                assert.ok(!list(s.Action).some((a) => a.includes("*")), `${policy.name} ${s.Sid}: no wildcard actions`);
                if (list(s.Resource).includes("*")) {
                    const unscoped = list(s.Action).filter((a) => !ACTIONS_WITHOUT_RESOURCES.includes(a));
                    assert.deepEqual(unscoped, [], `${policy.name} ${s.Sid}: "*" only for actions that have no resource to name`);
                }
            }
        }
    });

    it("turns X-Ray on with the dev stack's tracing switch, and off by default", async () => {
        for (const fn of functions()) assert.equal(fn.inputs.tracingConfig.mode, "Active");
        const traces = statementsOf(run.named("hello-functionPolicy").inputs.policy).find((s) => s.Sid === "WriteTraces")!;
        assert.deepEqual(traces.Action, ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]);

        const builds = bundleBuilds();
        const off = await runProgram("dev", { tracing: false, lambdaArchitecture: "x86_64", logRetentionDays: 30 });
        assert.equal(bundleBuilds(), builds, "a second program run reuses the function bundles of the first");
        for (const fn of off.ofType("aws:lambda/function:Function")) {
            assert.equal(fn.inputs.tracingConfig.mode, "PassThrough");
            assert.deepEqual(fn.inputs.architectures, ["x86_64"]);
        }
        for (const group of off.ofType("aws:cloudwatch/logGroup:LogGroup")) assert.equal(group.inputs.retentionInDays, 30);
        assert.ok(!statementsOf(off.named("hello-functionPolicy").inputs.policy).some((s) => s.Sid === "WriteTraces"));
    });

    it("ships the esbuild bundle as index.js", async () => {
        const fn = run.named("hello-functionFunction").inputs;
        const assets = await fn.code.assets;
        assert.deepEqual(Object.keys(assets), ["index.js"]);
        assert.equal(await assets["index.js"].text, bundle("functions/hello/index.ts").code);
    });

    it("bundles deterministically, minified, with no absolute paths: a second esbuild run gives the same bytes", () => {
        // An entry of its own (in dist/, ignored by git) that wraps the directory function, so editing it forces a
        // second real build of the same code: a comment does not survive minification.
        const dir = scratchDir("bundle-determinism-");
        try {
            const entry = path.join(dir, "index.ts");
            fs.writeFileSync(entry, 'export { handler } from "../../functions/directory/index";\n');
            const builds = bundleBuilds();
            const first = bundle(entry).code;
            fs.appendFileSync(entry, "// edited, so the cache cannot answer\n");
            const again = bundle(entry).code;
            assert.equal(bundleBuilds(), builds + 2, "esbuild ran twice");
            assert.equal(again, first);
            assert.ok(!first.includes(ROOT), "no absolute path of this checkout");
            assert.ok(!first.includes(os.tmpdir()), "no temporary path");
            assert.ok(first.length / first.split("\n").length > 2000, "minified: long lines");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("reuses a bundle while its files are unchanged, and bundles again when a file it imports changes", () => {
        const dir = scratchDir("bundle-cache-");
        try {
            const entry = path.join(dir, "index.ts");
            fs.writeFileSync(entry, 'import { greeting } from "./greeting";\nexport const handler = async () => greeting;\n');
            fs.writeFileSync(path.join(dir, "greeting.ts"), 'export const greeting = "first greeting";\n');
            const builds = bundleBuilds();
            const first = bundle(entry);
            assert.match(first.code, /first greeting/);
            assert.equal(bundle(entry), first, "unchanged files: the cached bundle");
            assert.equal(bundleBuilds(), builds + 1);
            fs.writeFileSync(path.join(dir, "greeting.ts"), 'export const greeting = "second greeting";\n');
            const second = bundle(entry);
            assert.equal(bundleBuilds(), builds + 2, "a changed import is bundled again");
            assert.match(second.code, /second greeting/);
            assert.doesNotMatch(second.code, /first greeting/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("function bundles kept between processes", function () {
    this.timeout(60_000);
    const entry = "functions/hello/index.ts";
    const cacheFile = path.join(BUNDLE_CACHE_DIR, "functions__hello__index.ts.json");
    /** A fresh process bundles the hello function: how many esbuild builds it ran, and the code. */
    const bundleInAnotherProcess = async (env: Record<string, string> = {}) => {
        const script = `const b = require("./stacks/bundle"); const code = b.bundle(${JSON.stringify(entry)}).code;
            console.log(JSON.stringify({ builds: b.bundleBuilds(), code }));`;
        const { stdout } = await promisify(execFile)(process.execPath, ["-r", TYPESCRIPT_HOOK, "-e", script], {
            cwd: ROOT,
            env: { ...process.env, PULUMI_NODEJS_MONITOR: "", ...env },
        });
        return JSON.parse(stdout) as { builds: number; code: string };
    };

    it("a new process reuses a functions/ bundle from disk, and bundles again when a file it was built from differs", async () => {
        const expected = bundle(entry).code;
        const warm = await bundleInAnotherProcess();
        assert.deepEqual(warm, { builds: 0, code: expected }, "read from the disk cache, not bundled");

        // The saved hash of one input no longer matches its file (as after an edit): the next process must not use it.
        const saved = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as { inputs: [string, string][]; code: string };
        saved.inputs[0][1] = "0".repeat(64);
        saved.code = "stale";
        fs.writeFileSync(cacheFile, JSON.stringify(saved));
        const rebuilt = await bundleInAnotherProcess();
        assert.deepEqual(rebuilt, { builds: 1, code: expected }, "bundled afresh");
        assert.doesNotMatch(fs.readFileSync(cacheFile, "utf8"), /"stale"/, "and the disk cache holds the new bundle");

        // Under the Pulumi CLI (a real preview or update) the disk cache is neither read nor written.
        const deploying = await bundleInAnotherProcess({ PULUMI_NODEJS_MONITOR: "127.0.0.1:1" });
        assert.deepEqual(deploying, { builds: 1, code: expected }, "bundled afresh for a deployment");
    });
});

describe("npm run build", function () {
    this.timeout(60_000);
    it("writes every function's deployable bundle to dist/functions/<name>/index.js", async () => {
        const { execFile } = await import("node:child_process");
        const { promisify } = await import("node:util");
        const { stdout } = await promisify(execFile)(process.execPath, ["-r", TYPESCRIPT_HOOK, "scripts/build-functions.ts"], {
            cwd: ROOT,
        });
        for (const name of ["directory", "hello", "speech"]) {
            const file = path.join(ROOT, "dist", "functions", name, "index.js");
            assert.equal(fs.readFileSync(file, "utf8"), bundle(`functions/${name}/index.ts`).code, `${name} bundle`);
            assert.match(stdout, new RegExp(`dist/functions/${name}/index\\.js\\s+[\\d.]+ KB`));
        }
    });
});

describe("Node versions: local and the Lambda runtime in step", () => {
    const ROOT = require("node:path").resolve(__dirname, "..", "..");
    const read = (file: string) => require("node:fs").readFileSync(require("node:path").join(ROOT, file), "utf8") as string;

    it(".nvmrc names the Lambda runtime's Node major, engines accepts it, and the README says why", async () => {
        const { LAMBDA_RUNTIME } = await import("../../stacks/node-function");
        const major = /^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME)?.[1];
        assert.ok(major, LAMBDA_RUNTIME);
        assert.equal(read(".nvmrc").trim(), major, "the Node local runs should use is the Lambda runtime's");
        const engines = JSON.parse(read("package.json")).engines.node as string;
        assert.equal(engines, "^20 || ^22 || >=24");
        assert.ok(
            engines.split("||").some((range) => range.trim() === `^${major}`),
            `engines ${engines} accepts Node ${major}`,
        );
        const readme = read("README.md");
        assert.ok(readme.includes(`\`${LAMBDA_RUNTIME}\``), "the README names the Lambda runtime");
        assert.ok(readme.includes(`\`${engines}\``), "the README quotes engines");
        assert.match(readme, /SDK's releases after the first\s+week of January 2027 need Node 22/);
    });
});
