/** The GitHub Actions workflows users get, checked with a real validator (@action-validator/cli). */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { ROOT, shippedStacks } from "../helpers/program";

const DIR = path.join(ROOT, ".github", "workflows");
const VALIDATOR = path.join(ROOT, "node_modules", ".bin", "action-validator");
const workflows = fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith(".yml"))
    .sort();
const load = (file: string) => parse(fs.readFileSync(path.join(DIR, file), "utf8"));

async function validate(file: string): Promise<{ ok: boolean; output: string }> {
    try {
        const { stdout, stderr } = await promisify(execFile)(VALIDATOR, [file], { timeout: 30_000 });
        return { ok: true, output: stdout + stderr };
    } catch (error) {
        const e = error as { stdout?: string; stderr?: string };
        return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
    }
}

describe("GitHub workflows", function () {
    this.timeout(60_000);

    it("has preview, deploy, teardown and the reaper", () => {
        assert.deepEqual(workflows, ["deploy.yml", "preview.yml", "reap.yml", "teardown.yml"]);
    });

    for (const file of workflows) {
        it(`${file} passes action-validator`, async () => {
            const result = await validate(path.join(DIR, file));
            assert.ok(result.ok, result.output);
        });

        it(`${file} assumes an AWS role through OIDC and uses no long-lived AWS keys`, () => {
            const text = fs.readFileSync(path.join(DIR, file), "utf8");
            assert.equal(load(file).permissions["id-token"], "write");
            assert.match(text, /aws-actions\/configure-aws-credentials@v4[\s\S]*role-to-assume:/);
            assert.doesNotMatch(text, /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
        });
    }

    it("the validator rejects a broken workflow (so a broken file fails our CI)", async () => {
        const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-wf-")), "broken.yml");
        fs.writeFileSync(broken, fs.readFileSync(path.join(DIR, "preview.yml"), "utf8").replace("runs-on:", "runs-onn:"));
        const result = await validate(broken);
        assert.equal(result.ok, false);
        assert.match(result.output, /runs-onn/);
    });

    it("previews every shipped stack on pull requests and comments on the PR", () => {
        const wf = load("preview.yml");
        assert.ok(wf.on.pull_request);
        const job = wf.jobs.preview;
        assert.deepEqual([...job.strategy.matrix.stack].sort(), shippedStacks());
        const pulumi = job.steps.find((s: { uses?: string }) => s.uses?.startsWith("pulumi/actions@"));
        assert.equal(pulumi.with.command, "preview");
        assert.equal(pulumi.with["comment-on-pr"], true);
    });

    it("runs the policy pack in every preview (--policy-pack policy), after npm ci installed its dependencies", () => {
        const steps: { uses?: string; run?: string; with?: Record<string, unknown> }[] = load("preview.yml").jobs.preview.steps;
        const pulumi = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
        assert.equal(steps[pulumi].with?.policyPacks, "policy");
        assert.ok(fs.existsSync(path.join(ROOT, "policy", "PulumiPolicy.yaml")));
        const install = steps.findIndex((s) => s.run === "npm ci");
        assert.ok(install >= 0 && install < pulumi, "npm ci (which installs @pulumi/policy for policy/) runs before the preview");
    });

    it("deploys on push to main only the stacks opted into with DEPLOY_STACKS", () => {
        const wf = load("deploy.yml");
        assert.deepEqual(wf.on.push.branches, ["main"]);
        assert.match(wf.jobs.up.if, /vars\.DEPLOY_STACKS/);
        assert.match(String(wf.jobs.up.strategy.matrix.stack), /fromJSON\(vars\.DEPLOY_STACKS/);
        assert.equal(wf.jobs.up.steps.find((s: { uses?: string }) => s.uses?.startsWith("pulumi/actions@")).with.command, "up");
    });

    it("verifies the deployed stack right after pulumi up, failing the job when a check fails", () => {
        const steps = load("deploy.yml").jobs.up.steps as {
            uses?: string;
            run?: string;
            with?: Record<string, string>;
            env?: Record<string, string>;
        }[];
        const up = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up");
        const verify = steps.findIndex((s) => /^npm run verify -- --stack "\$STACK"$/.test(s.run ?? ""));
        assert.ok(up >= 0 && verify === up + 1, "the verify step comes right after pulumi up");
        assert.equal(steps[verify].env?.STACK, steps[up].with?.["stack-name"], "it checks the stack that was deployed");
        for (const name of ["PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL"]) {
            assert.equal(steps[verify].env?.[name], steps[up].env?.[name], `it reaches the same Pulumi backend (${name})`);
        }
        assert.ok(!("continue-on-error" in steps[verify]), "a failed check fails the job");
    });

    for (const [file, job] of [
        ["preview.yml", "preview"],
        ["deploy.yml", "up"],
    ] as const) {
        it(`${file} can build the arm64 web image on GitHub's x86 runner (QEMU + Buildx before Pulumi)`, () => {
            const steps: { uses?: string; with?: Record<string, unknown> }[] = load(file).jobs[job].steps;
            const at = (action: string) => steps.findIndex((s) => s.uses?.startsWith(`${action}@`));
            const qemu = at("docker/setup-qemu-action");
            const buildx = at("docker/setup-buildx-action");
            const pulumi = at("pulumi/actions");
            assert.ok(qemu >= 0, "docker/setup-qemu-action: the Dockerfile's RUN step runs under arm64 emulation");
            assert.ok(buildx >= 0, "docker/setup-buildx-action: builds for another platform");
            assert.match(String(steps[qemu].with?.platforms), /arm64/);
            assert.ok(qemu < buildx && buildx < pulumi, "both are set up before Pulumi builds the image");
            assert.match(steps[qemu].uses!, /@v\d+$/);
            assert.match(steps[buildx].uses!, /@v\d+$/);
        });
    }

    it("tears down a chosen stack by hand, then looks for leftovers", () => {
        const wf = load("teardown.yml");
        assert.deepEqual([...wf.on.workflow_dispatch.inputs.stack.options].sort(), shippedStacks());
        const steps = wf.jobs.destroy.steps;
        const destroy = steps.findIndex(
            (s: { uses?: string; with?: Record<string, unknown> }) =>
                s.uses?.startsWith("pulumi/actions@") && s.with?.command === "destroy",
        );
        assert.ok(destroy >= 0, "pulumi destroy");
        const saved = steps.findIndex((s: { run?: string }) =>
            /pulumi stack output --json --stack "\$STACK_NAME" > outputs\.json/.test(s.run ?? ""),
        );
        assert.ok(saved >= 0 && saved < destroy, "the outputs (with deploymentId) are saved before the destroy removes them");
        const leftovers = steps.findIndex((s: { run?: string }) => s.run?.includes("npm run leftovers -- --outputs outputs.json"));
        assert.ok(leftovers > destroy, "leftovers runs after destroy, for this deployment's id");
        assert.equal(steps[leftovers].env?.STACK, "${{ inputs.stack }}");
    });

    it("restores the stack file before leftovers reads its region (pulumi stack rm deletes it)", () => {
        const steps: { run?: string }[] = load("teardown.yml").jobs.destroy.steps;
        const lines = (steps.find((s) => s.run?.includes("npm run leftovers"))?.run ?? "").split("\n").map((l) => l.trim());
        const checkout = lines.findIndex((l) => l.startsWith('git checkout -- "Pulumi.$STACK.yaml"'));
        const leftovers = lines.findIndex((l) => l.startsWith("npm run leftovers"));
        assert.ok(checkout >= 0, `the step restores Pulumi.$STACK.yaml:\n${lines.join("\n")}`);
        assert.ok(leftovers >= 0, "the step runs leftovers");
        assert.ok(checkout < leftovers, "the stack file is restored first");
    });

    const pulumiSteps = (file: string) =>
        Object.values(load(file).jobs as Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>)
            .flatMap((job) => job.steps)
            .filter((s) => s.uses?.startsWith("pulumi/actions@"));

    for (const file of workflows) {
        it(`${file} pins the Pulumi CLI to the tested version (the release of @pulumi/pulumi) and caches provider plugins`, () => {
            const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
            assert.match(sdk, /^\d+\.\d+\.\d+$/, "the SDK is pinned exactly");
            const steps = pulumiSteps(file);
            assert.ok(steps.length > 0);
            for (const step of steps) assert.equal(step.with?.["pulumi-version"], sdk, `${file}: pulumi-version is ${sdk}, not a range`);
            const all = Object.values(
                load(file).jobs as Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>,
            ).flatMap((job) => job.steps);
            const cache = all.findIndex((s) => s.uses?.startsWith("actions/cache@"));
            assert.ok(cache >= 0, `${file}: an actions/cache step`);
            assert.equal(all[cache].with?.path, "~/.pulumi/plugins");
            assert.match(String(all[cache].with?.key), /hashFiles\('package-lock\.json'\)/, "new plugins when the providers change");
            assert.ok(cache < all.findIndex((s) => s.uses?.startsWith("pulumi/actions@")), "restored before Pulumi runs");
        });
    }

    it("comments the violated policies on the PR when the preview fails (the action comments only on success)", () => {
        const steps: {
            id?: string;
            if?: string;
            uses?: string;
            run?: string;
            with?: Record<string, unknown>;
            env?: Record<string, string>;
        }[] = load("preview.yml").jobs.preview.steps;
        const preview = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
        assert.equal(steps[preview].id, "preview");
        assert.equal(steps[preview].with?.policyPackConfigs, "policy-config.json", "the same example config the docs use");
        const comment = steps.findIndex((s) => /gh pr comment/.test(s.run ?? ""));
        assert.ok(comment > preview, "after the preview");
        assert.match(String(steps[comment].if), /failure\(\) && steps\.preview\.outcome == 'failure'/);
        assert.match(steps[comment].run!, /npm run --silent policy -- --stack "\$STACK" --config policy-config\.json/);
        assert.match(steps[comment].run!, /Violated policies: /);
        assert.equal(steps[comment].env?.STACK, "${{ matrix.stack }}");
        assert.equal(steps[comment].env?.GH_TOKEN, "${{ secrets.GITHUB_TOKEN }}");
        assert.equal(load("preview.yml").permissions["pull-requests"], "write");
    });

    it("reaps expired stacks every hour with a Pulumi CLI that keeps stack tags on every backend (3.211 or later)", () => {
        const wf = load("reap.yml");
        assert.match(wf.on.schedule[0].cron, /^\d{1,2} \* \* \* \*$/, "hourly");
        const steps: { uses?: string; run?: string; with?: Record<string, string>; env?: Record<string, string> }[] = wf.jobs.reap.steps;
        const pulumi = steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
        assert.equal(pulumi.with?.command, undefined, "the action only installs the CLI");
        const [major, minor] = String(pulumi.with?.["pulumi-version"]).split(".").map(Number);
        assert.ok(major === 3 && minor >= 211, `pulumi-version ${pulumi.with?.["pulumi-version"]}`);
        const reap = steps.findIndex((s) => /^npm run reap\b/.test(s.run ?? ""));
        assert.ok(reap > steps.indexOf(pulumi), "npm run reap runs after the CLI is installed");
        for (const name of ["PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL"])
            assert.ok(steps[reap].env?.[name], `it reaches the backend (${name})`);
        assert.equal(wf.concurrency["cancel-in-progress"], false, "a running reap is never cancelled half-way");
    });
});
