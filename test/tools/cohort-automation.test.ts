/**
 * `npm run cohort` and `npm run reap` through the real Automation API (LocalWorkspace, Stack, PulumiCommand)
 * against a stand-in `pulumi` (test/helpers/pulumi-cli/bin/pulumi) put first on PATH: it answers the commands the
 * Automation API issues as the documented CLI does, with a backend of JSON files in a temporary folder.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CliIo } from "../../shared/cli";
import { automationBackend, pulumiCommand } from "../../tools/cohort/automation";
import { main as cohort } from "../../tools/cohort/cli";
import type { CohortDeps } from "../../tools/cohort/deps";
import { main as reap } from "../../tools/cohort/reap";
import { ROOT } from "../helpers/program";

const BIN = path.join(__dirname, "..", "helpers", "pulumi-cli", "bin");

interface World {
    project: string;
    state: string;
    env: NodeJS.ProcessEnv;
    calls(): string[];
}

/** A project folder (Pulumi.yaml, Pulumi.serverless.yaml) and an empty backend; the stand-in first on PATH. */
function world(extra: NodeJS.ProcessEnv = {}): World {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-auto-"));
    const project = path.join(dir, "project");
    const state = path.join(dir, "backend");
    fs.mkdirSync(project);
    fs.mkdirSync(state);
    for (const f of ["Pulumi.yaml", "Pulumi.serverless.yaml"]) fs.copyFileSync(path.join(ROOT, f), path.join(project, f));
    const env = { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH}`, FAKE_PULUMI_STATE: state, ...extra };
    const log = path.join(state, "calls.log");
    return { project, state, env, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []) };
}

function testIo(env: NodeJS.ProcessEnv, cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { out: (t) => stdout.push(t), err: (t) => stderr.push(t), env, cwd, isTTY: false, stdout, stderr };
}

function deps(w: World, over: Partial<CohortDeps> = {}): CohortDeps {
    return {
        backend: async (base, env) => automationBackend({ workDir: w.project, base, env, command: await pulumiCommand(env) }),
        credentials: async () => undefined,
        quotas: async (limit) => ({ value: limit.documentedDefault, source: "test" }),
        verify: async (outputs) =>
            typeof outputs.apiUrl === "string" ? { passed: 4, failed: 0 } : { passed: 0, failed: 1, firstFailure: "no apiUrl" },
        leftovers: async () => [],
        confirm: async () => true,
        stdinIsTTY: false,
        write: () => undefined,
        now: () => new Date(),
        retry: { attempts: 3, baseDelayMs: 1, sleep: async () => undefined },
        ...over,
    };
}

describe("cohort on the Automation API (stand-in pulumi on PATH)", function () {
    this.timeout(300_000);

    it("up: creates each stack with the base config, the learner's values and the tags, deploys, and reports one failure among good ones", async () => {
        const w = world({ FAKE_PULUMI_FAIL_UP: "dec-bo", FAKE_PULUMI_THROTTLE_UP: "dec-cy" });
        const roster = path.join(w.project, "learners.csv");
        fs.writeFileSync(roster, "name,budgetEmail,budgetMonthlyUsd\nana,ana@example.com,10\nbo,,\ncy,,\n");
        const io = testIo(w.env, w.project);
        const code = await cohort(
            ["up", "--roster", roster, "--prefix", "dec", "--expires", "2099-01-01T00:00Z", "--yes", "--parallel", "2"],
            io,
            deps(w, { now: () => new Date("2098-12-31T12:00:00Z") }),
        );
        assert.equal(code, 1, io.stderr.join("\n"));

        const report = JSON.parse(fs.readFileSync(path.join(w.project, "cohort.json"), "utf8"));
        assert.deepEqual(
            report.environments.map((e: { stack: string; state: string }) => [e.stack, e.state]),
            [
                ["dec-ana", "ready"],
                ["dec-bo", "failed"],
                ["dec-cy", "ready"],
            ],
        );
        assert.equal(report.environments[0].apiUrl, "https://dec-ana-abc123.execute-api.us-east-1.amazonaws.com");
        assert.match(
            report.environments[1].error,
            /^error: creating S3 Bucket \(dec-bo-data\): operation error S3: CreateBucket, .*AccessDenied: Access Denied$/,
        );
        assert.equal(report.environments[2].attempts, 2, "the throttled deploy was tried again");

        // The stack file: the base stack's config as written (lists stay lists), plus the learner's values.
        const yaml = fs.readFileSync(path.join(w.project, "Pulumi.dec-ana.yaml"), "utf8");
        assert.match(yaml, /cloud-labs:labs:\n\s+- directory\n\s+- hello\n\s+- audio/);
        assert.match(yaml, /cloud-labs:budgetEmail: ana@example\.com/);
        assert.match(yaml, /aws:region: us-east-1/);

        const calls = w.calls();
        for (const expected of [
            "stack select --stack dec-ana",
            "stack init dec-ana",
            "config set-all --stack dec-ana --plaintext cloud-labs:budgetEmail=ana@example.com --plaintext cloud-labs:budgetMonthlyUsd=10",
            "stack tag set cloud-labs:cohort dec --stack dec-ana",
            "stack tag set cloud-labs:learner ana --stack dec-ana",
            "stack tag set cloud-labs:expires-at 2099-01-01T00:00:00.000Z --stack dec-ana",
        ]) {
            assert.ok(calls.includes(expected), `${expected}\n in:\n${calls.join("\n")}`);
        }
        assert.ok(
            calls.some((c) => /^up --yes --skip-preview .*--stack dec-ana$/.test(c)),
            "pulumi up through the Automation API",
        );
        assert.ok(calls.includes("stack output --json --show-secrets --stack dec-ana"));
        assert.ok(!calls.some((c) => c.startsWith("destroy")), "the failure rolls nobody back");

        // status re-reads the stacks and verifies again.
        const io2 = testIo(w.env, w.project);
        assert.equal(await cohort(["status", "--prefix", "dec", "--only", "ana", "--only", "cy"], io2, deps(w)), 0, io2.stderr.join("\n"));
        assert.match(
            fs.readFileSync(path.join(w.project, "cohort.md"), "utf8"),
            /\| ana \| dec-ana \| http:\/\/dec-ana-abc123-website\.s3-website-us-east-1\.amazonaws\.com \| https:\/\/dec-ana-abc123\.execute-api/,
        );

        // destroy removes every stack and its file, and audits each deployment by its identity.
        const audited: unknown[] = [];
        const io3 = testIo(w.env, w.project);
        const code3 = await cohort(
            ["destroy", "--prefix", "dec", "--yes"],
            io3,
            deps(w, { leftovers: async (q) => (audited.push(q), []) }),
        );
        assert.equal(code3, 0, io3.stderr.join("\n"));
        assert.deepEqual(
            fs.readdirSync(w.state).filter((f) => f.endsWith(".json")),
            [],
        );
        assert.ok(!fs.existsSync(path.join(w.project, "Pulumi.dec-ana.yaml")), "pulumi stack rm removed the stack file");
        // Destroys finish in any order; a stack whose up failed has no deployment identity to search by.
        const byStack = (stack: string) => audited.find((q) => (q as { stack: string }).stack === stack);
        assert.deepEqual(byStack("dec-ana"), { stack: "dec-ana", region: "us-east-1", deployment: "cloud-labs-dec-ana-abc123" });
        assert.deepEqual(byStack("dec-bo"), { stack: "dec-bo", region: "us-east-1", deployment: undefined });
        assert.match(io3.stdout.join("\n"), /3 of 3 stacks destroyed and removed, nothing left behind/);
    });

    it("reap destroys expired stacks, keeps unexpired ones, skips untagged ones, and leaves a failed one with its error", async () => {
        const w = world({ FAKE_PULUMI_FAIL_DESTROY: "old-b" });
        const io = testIo(w.env, w.project);
        const t0 = new Date("2098-12-31T12:00:00Z");
        for (const [prefix, expires] of [
            ["old", "1h"],
            ["new", "3d"],
        ]) {
            assert.equal(
                await cohort(["up", "--count", "2", "--prefix", prefix, "--expires", expires, "--yes"], io, deps(w, { now: () => t0 })),
                0,
                io.stderr.join("\n"),
            );
        }
        // A stack made by hand, without tags.
        fs.writeFileSync(
            path.join(w.state, "dev.json"),
            JSON.stringify({ name: "dev", tags: {}, outputs: {}, resources: 3, ups: 1, history: [] }),
        );
        fs.renameSync(path.join(w.state, "old-02.json"), path.join(w.state, "old-b.json"));

        const io2 = testIo(w.env, w.project);
        const later = new Date(t0.getTime() + 2 * 3_600_000);
        assert.equal(await reap(["--dry-run"], io2, deps(w, { now: () => later })), 0);
        assert.match(io2.stdout.join("\n"), /would reap  old-01/);

        const io3 = testIo(w.env, w.project);
        assert.equal(await reap([], io3, deps(w, { now: () => later })), 1);
        const left = fs
            .readdirSync(w.state)
            .filter((f) => f.endsWith(".json"))
            .sort();
        assert.deepEqual(left, ["dev.json", "new-01.json", "new-02.json", "old-b.json"]);
        assert.match(io3.stdout.join("\n"), /skip  dev: no cloud-labs:expires-at tag/);
        assert.match(io3.stdout.join("\n"), /keep  new-01: expires 2099-01-03T12:00:00\.000Z/);
        assert.match(
            io3.stderr.join("\n"),
            /✖ old-b: destroy failed, the stack is left in place: error: deleting S3 Bucket \(old-b-data\): BucketNotEmpty/,
        );
        assert.ok(w.calls().includes("stack ls --json"));
    });

    it("without pulumi on PATH, or with one older than 3.211, exits 2 with one message saying what to install", async () => {
        const w = world();
        const noCli = testIo({ ...w.env, PATH: path.dirname(process.execPath) }, w.project);
        assert.equal(await cohort(["status"], noCli, deps(w)), 2);
        assert.equal(noCli.stderr.length, 1);
        assert.match(
            noCli.stderr[0],
            /^The Pulumi CLI \(pulumi\) is not on PATH: install Pulumi CLI 3\.211\.0 or later \(https:\/\/www\.pulumi\.com\/docs\/iac\/download-install\/\); .*DIY backends .* keep stack tags only since 3\.211\.$/,
        );

        // `pulumi version` runs with the process's own environment: an older CLI is a wrapper first on PATH.
        const oldBin = path.join(w.state, "..", "old", "bin");
        fs.mkdirSync(oldBin, { recursive: true });
        fs.writeFileSync(path.join(oldBin, "pulumi"), `#!/bin/sh\nFAKE_PULUMI_VERSION=v3.210.1 exec "${path.join(BIN, "pulumi")}" "$@"\n`, {
            mode: 0o755,
        });
        const old = testIo({ ...w.env, PATH: `${oldBin}${path.delimiter}${w.env.PATH}` }, w.project);
        assert.equal(await reap([], old, deps(w)), 2);
        assert.equal(old.stderr.length, 1);
        assert.match(old.stderr[0], /^Pulumi CLI 3\.210\.1 at .*pulumi is too old: install Pulumi CLI 3\.211\.0 or later/);
        assert.deepEqual(w.calls(), [], "nothing else was asked of the CLI");
    });
});
