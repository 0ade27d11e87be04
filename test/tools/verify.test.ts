/** `npm run verify` against the real local lab (npm start), and its AWS-only and future-lab checks against local servers. */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { DescribeServicesCommand, ECSClient } from "@aws-sdk/client-ecs";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { localS3Client } from "../../shared/local-s3";
import { awsPublicUrl, main as verifyMain, publicObjectUrl, PULUMI_INSTALL_URL } from "../../tools/verify/cli";
import { MAX_ANSWER_BYTES } from "../../shared/verify/check";
import { verify, type CheckResult, type VerifyContext } from "../../shared/verify/core";
import type { LabOutputs } from "../../shared/outputs";
import { spawnLab, type LabProcess } from "../helpers/lab-process";
import { ROOT } from "../helpers/program";
import { put, remove, startTestS3 } from "../helpers/s3";
import { verifyContext } from "../helpers/verify";
import { TYPESCRIPT_HOOK } from "../../shared/cli";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-verify-"));

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

/** `npm run verify -- ARGS` in this process (the CLI's own entry point, without process.exit). */
async function runVerify(args: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await verifyMain(args, {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        env,
        cwd,
        isTTY: false,
        signal: new AbortController().signal,
    });
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

/** Every object of a bucket: key → md5 of the body and content type. */
async function snapshot(s3: S3Client, Bucket: string): Promise<Record<string, string>> {
    const all: Record<string, string> = {};
    let token: string | undefined;
    do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
            const res = await s3.send(new GetObjectCommand({ Bucket, Key: o.Key! }));
            const body = Buffer.from(await res.Body!.transformToByteArray());
            all[o.Key!] = `${crypto.createHash("md5").update(body).digest("hex")} ${res.ContentType}`;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return all;
}

async function listen(server: http.Server): Promise<string> {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: http.Server): Promise<void> {
    return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
    });
}

type ProxyMode = "pass" | "wrong-total" | "hold-while-moved" | "wrong-total-while-moved";

/**
 * A proxy in front of the lab's website and API that can misbehave on `GET /users`: answer a wrong total, or,
 * while users_1.json is missing from the bucket (moved aside), answer a wrong total or nothing at all.
 */
async function startProxy(target: string, s3: S3Client, bucket: string) {
    let mode: ProxyMode = "pass";
    let onHeld = () => {};
    /** When set, answers CORS preflights as API Gateway does with these allowed origins. */
    let corsOrigins: string[] | undefined;
    /** When set, the Host header sent on (the lab's config.js names the API at the Host it was asked on). */
    let host: string | undefined;
    const moved = async () => !(await snapshot(s3, bucket))["users_1.json"];
    const server = http.createServer(async (req, res) => {
        if (corsOrigins && req.method === "OPTIONS") {
            const origin = req.headers.origin ?? "";
            const allowed = corsOrigins.includes("*") ? "*" : corsOrigins.includes(origin) ? origin : undefined;
            res.writeHead(204, allowed ? { "access-control-allow-origin": allowed, "access-control-allow-methods": "GET,OPTIONS" } : {});
            res.end();
            return;
        }
        if (req.url?.startsWith("/users") && mode !== "pass") {
            if (mode === "wrong-total" || (mode === "wrong-total-while-moved" && (await moved()))) {
                res.writeHead(200, { "content-type": "application/json" });
                res.end(JSON.stringify({ users: [], count: 0, total: mode === "wrong-total" ? 1499 : 1500, warnings: [] }));
                return;
            }
            if (mode === "hold-while-moved" && (await moved())) {
                onHeld();
                return; // never answers: an API that stopped
            }
        }
        const headers = host ? { ...req.headers, host } : req.headers;
        const upstream = http.request(`${target}${req.url}`, { method: req.method, headers }, (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
        });
        upstream.on("error", () => res.destroy());
        req.pipe(upstream);
    });
    const url = await listen(server);
    return {
        url,
        set(next: ProxyMode) {
            mode = next;
        },
        cors(origins: string[]) {
            corsOrigins = origins;
        },
        forwardAs(nextHost: string) {
            host = nextHost;
        },
        /** Resolves when a request is being held. */
        held: () => new Promise<void>((resolve) => (onHeld = resolve)),
        close: () => close(server),
    };
}

describe("npm run verify against the local lab", function () {
    this.timeout(120_000);
    const dirs: string[] = [];
    let labDir: string;
    let lab: LabProcess;
    let outputs: LabOutputs & { pid: number };
    let s3: S3Client;
    let seed: Record<string, string>;
    const dir = () => {
        const d = tmp();
        dirs.push(d);
        return d;
    };
    const outputsFile = (values: unknown) => {
        const file = path.join(dir(), "outputs.json");
        fs.writeFileSync(file, JSON.stringify(values));
        return file;
    };

    before(async () => {
        labDir = dir();
        lab = spawnLab(["--port", "0", "--lab-dir", labDir, "--labs", "directory,hello"]); // all four: test/local/labs.test.ts
        await lab.ready;
        outputs = JSON.parse(fs.readFileSync(path.join(labDir, "outputs.json"), "utf8"));
        s3 = localS3Client(outputs.s3Endpoint!);
        seed = await snapshot(s3, outputs.dataBucket!);
    });
    after(async () => {
        s3?.destroy();
        if (lab && lab.child.exitCode === null) {
            lab.child.kill("SIGCONT");
            lab.child.kill("SIGINT");
            await lab.exited;
        }
        dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
    });

    it("the running lab keeps one state file, outputs.json, with the stack output names (removed on exit: lab.test.ts)", () => {
        assert.deepEqual(Object.keys(outputs).sort(), ["apiUrl", "dataBucket", "helloWorldApi", "pid", "s3Endpoint", "url", "websiteUrl"]);
        assert.equal(outputs.pid, lab.child.pid);
        assert.equal(outputs.helloWorldApi, `${outputs.apiUrl}/hello`);
        assert.equal(outputs.dataBucket, "directory-data");
        assert.ok(!fs.existsSync(path.join(labDir, "lab.json")), "no second state file");
        assert.deepEqual(Object.keys(seed).sort(), ["users_1.json", "users_2.json", "users_3.json"]);
    });

    it("--local: every check passes on a fresh lab, one line each, and the AWS-only checks are skipped", async () => {
        const run = await runVerify(["--local", "--lab-dir", labDir]);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        for (const line of [
            /✔ directory · website: .*\(200, \d+ bytes; \d+ ms\)/,
            /✔ directory · config\.js: .*apiUrl http:\/\/127\.0\.0\.1:\d+/,
            /✔ directory · GET \/users total: .*total 1500 = the records of 3 files in s3:\/\/directory-data, no warnings/,
            /✔ directory · CORS from the website: .*same origin/,
            /✔ directory · CORS from another origin: .*not allowed/,
            /✔ hello · GET helloWorldApi: .*\{"message":"hello world"\}/,
            /6 passed, 0 failed \(local lab: the AWS-only checks were skipped\)/,
        ]) {
            assert.match(run.stdout, line);
        }
        assert.doesNotMatch(run.stdout, /private/);
    });

    it("--json prints only the summary object", async () => {
        const run = await runVerify(["--local", `--lab-dir=${labDir}`, "--json"]);
        assert.equal(run.code, 0, run.stderr);
        const report = JSON.parse(run.stdout) as { checks: Record<string, unknown>[]; passed: number; failed: number };
        assert.deepEqual(Object.keys(report), ["checks", "passed", "failed"]);
        assert.equal(report.passed, 6);
        assert.equal(report.failed, 0);
        for (const check of report.checks) {
            assert.deepEqual(Object.keys(check), ["lab", "name", "ok", "detail", "ms"]);
            assert.equal(typeof check.ms, "number");
        }
        assert.deepEqual([...new Set(report.checks.map((c) => c.lab))], ["directory", "hello"]);
    });

    it("--lab-steps moves users_1.json aside and back (1,500 → 1,000 → 1,500) and leaves the bucket exactly as it was", async () => {
        const run = await runVerify(["--local", "--lab-dir", labDir, "--lab-steps"]);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.match(run.stdout, /✔ directory · lab step: move users_1\.json aside: .*total 1500 → 1000/);
        assert.match(run.stdout, /✔ directory · lab step: put users_1\.json back: .*total back to 1500/);
        assert.deepEqual(await snapshot(s3, outputs.dataBucket!), seed);
    });

    it("a corrupt users_9.json fails the directory check, naming the file and the reason", async () => {
        await put(s3, outputs.dataBucket!, "users_9.json", "[{", "application/json");
        try {
            const run = await runVerify(["--local", "--lab-dir", labDir]);
            assert.equal(run.code, 1);
            assert.match(run.stdout, /✖ directory · GET \/users total: .*users_9\.json is not valid JSON/);
            assert.match(run.stdout, /5 passed, 1 failed/);
        } finally {
            await remove(s3, outputs.dataBucket!, "users_9.json");
        }
    });

    it("an API that answers 200 with the wrong count fails", async () => {
        const proxy = await startProxy(outputs.apiUrl!, s3, outputs.dataBucket!);
        try {
            proxy.set("wrong-total");
            const file = outputsFile({ ...outputs, websiteUrl: proxy.url, apiUrl: proxy.url, helloWorldApi: `${proxy.url}/hello` });
            const run = await runVerify(["--outputs", file]);
            assert.equal(run.code, 1);
            assert.match(run.stdout, /✖ directory · GET \/users total: .*total 1499, but the 3 data files hold 1500 records/);
            assert.match(run.stdout, /✔ directory · config\.js/, "the proxy is a faithful stand-in otherwise");
        } finally {
            await proxy.close();
        }
    });

    it("CORS from a website on another origin: allowed for it, refused for others (answered as API Gateway does)", async () => {
        const api = await startProxy(outputs.apiUrl!, s3, outputs.dataBucket!);
        const site = await startProxy(outputs.websiteUrl!, s3, outputs.dataBucket!);
        try {
            site.forwardAs(new URL(api.url).host); // so the site's config.js names the API's URL, as on AWS
            const file = outputsFile({ ...outputs, websiteUrl: site.url, apiUrl: api.url, helloWorldApi: `${api.url}/hello` });
            const cases: [string[], RegExp, RegExp][] = [
                [
                    [site.url],
                    new RegExp(`✔ directory · CORS from the website: .*allowed ${site.url}`),
                    /✔ directory · CORS from another origin: .*not allowed from https:\/\/verify\.example\.invalid/,
                ],
                [
                    ["*"],
                    /✔ directory · CORS from the website: .*allowed \*/,
                    /✖ directory · CORS from another origin: .*preflight from https:\/\/verify\.example\.invalid was allowed \(\*\)/,
                ],
                [
                    [],
                    new RegExp(`✖ directory · CORS from the website: .*preflight from ${site.url} was not allowed`),
                    /✔ directory · CORS from another origin/,
                ],
            ];
            for (const [origins, fromSite, fromOther] of cases) {
                api.cors(origins);
                const run = await runVerify(["--outputs", file]);
                assert.match(run.stdout, /✔ directory · config\.js/);
                assert.match(run.stdout, fromSite, origins.join());
                assert.match(run.stdout, fromOther, origins.join());
                assert.equal(run.code, origins.length === 1 && origins[0] === site.url ? 0 : 1);
            }
        } finally {
            await Promise.all([api.close(), site.close()]);
        }
    });

    it("a stopped API fails each check with a timeout message instead of hanging", async () => {
        lab.child.kill("SIGSTOP");
        try {
            const started = Date.now();
            const run = await runVerify(["--local", "--lab-dir", labDir, "--timeout", "0.5"]);
            assert.equal(run.code, 1);
            assert.match(run.stdout, /✖ directory · website: .*no answer within 0\.5 s \(--timeout\)/);
            assert.match(run.stdout, /✖ hello · GET helloWorldApi: .*no answer within 0\.5 s/);
            assert.match(run.stdout, /1 passed, 5 failed/, "only the same-origin CORS check needs no request");
            assert.ok(Date.now() - started < 60_000);
        } finally {
            lab.child.kill("SIGCONT");
        }
    });

    for (const [how, mode, args, expected] of [
        [
            "a failed check",
            "wrong-total-while-moved",
            [],
            /✖ directory · lab step: move users_1\.json aside: .*total 1500 after moving users_1\.json \(500 records\) aside; expected 1000/,
        ],
        // 5 s: long enough for every honest request on a busy machine, so only the held one times out.
        [
            "a timeout",
            "hold-while-moved",
            ["--timeout", "5"],
            /✖ directory · lab step: move users_1\.json aside: .*no answer within 5 s \(--timeout\)/,
        ],
    ] as const) {
        it(`--lab-steps puts users_1.json back after ${how}`, async () => {
            const proxy = await startProxy(outputs.apiUrl!, s3, outputs.dataBucket!);
            try {
                proxy.set(mode);
                const file = outputsFile({ ...outputs, websiteUrl: proxy.url, apiUrl: proxy.url, helloWorldApi: `${proxy.url}/hello` });
                const run = await runVerify(["--outputs", file, "--lab-steps", ...args]);
                assert.equal(run.code, 1, run.stdout);
                assert.match(run.stdout, expected);
                assert.match(
                    run.stdout,
                    /✔ directory · lab step: restore users_1\.json: nothing is lost \(put back from s3:\/\/directory-data\/verify-aside-\w+\/users_1\.json/,
                );
                assert.deepEqual(await snapshot(s3, outputs.dataBucket!), seed);
            } finally {
                await proxy.close();
            }
        });
    }

    it("--lab-steps puts users_1.json back on Ctrl-C, and exits 130", async () => {
        const proxy = await startProxy(outputs.apiUrl!, s3, outputs.dataBucket!);
        try {
            proxy.set("hold-while-moved");
            const held = proxy.held();
            const file = outputsFile({ ...outputs, websiteUrl: proxy.url, apiUrl: proxy.url, helloWorldApi: `${proxy.url}/hello` });
            const child = spawn(
                process.execPath,
                ["-r", TYPESCRIPT_HOOK, path.join(ROOT, "tools", "verify", "cli.ts"), "--outputs", file, "--lab-steps", "--timeout", "600"],
                {
                    cwd: ROOT,
                    stdio: ["ignore", "pipe", "pipe"],
                },
            );
            let output = "";
            child.stdout.on("data", (d) => (output += d));
            child.stderr.on("data", (d) => (output += d));
            const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
            let early = false;
            await Promise.race([held, exited.then(() => (early = true))]);
            assert.ok(!early, `verify exited before the step:\n${output}`);
            assert.ok(!(await snapshot(s3, outputs.dataBucket!))["users_1.json"], "users_1.json is moved aside while the API hangs");
            child.kill("SIGINT");
            assert.equal(await exited, 130, output);
            assert.match(output, /SIGINT: stopping; putting back what the lab steps moved first/);
            assert.match(output, /✔ directory · lab step: restore users_1\.json: nothing is lost/);
            assert.doesNotMatch(output, /hello ·/, "nothing runs after Ctrl-C");
            assert.deepEqual(await snapshot(s3, outputs.dataBucket!), seed);
        } finally {
            await proxy.close();
        }
    });

    it("--lab-steps with the bucket unreachable as the file is moved aside says only what is true of the bucket", async () => {
        // A client that loses the S3 endpoint at the copy aside: that request and every later one are refused.
        const cut = localS3Client(outputs.s3Endpoint!);
        let lost = false;
        cut.middlewareStack.add(
            (next, context) => async (args) => {
                if (context.commandName === "CopyObjectCommand") lost = true;
                if (lost)
                    throw Object.assign(new Error(`connect ECONNREFUSED ${new URL(outputs.s3Endpoint!).host}`), { code: "ECONNREFUSED" });
                return next(args);
            },
            { step: "initialize", name: "endpointLost" },
        );
        try {
            const run = await verify(outputs, context(cut), true);
            assert.match(line(run.results, "lab step: move users_1.json aside"), /^✖ connect ECONNREFUSED/);
            const restore = line(run.results, "lab step: restore users_1.json");
            assert.match(
                restore,
                /^✖ users_1\.json was never deleted; the bucket did not answer the copy to s3:\/\/directory-data\/verify-aside-\w+\/users_1\.json nor this clean-up \(connect ECONNREFUSED [^)]*\), so that copy may or may not exist: aws s3 ls s3:\/\/directory-data\/verify-aside-\w+\/users_1\.json$/,
            );
            assert.doesNotMatch(restore, /is kept at|aws s3 mv/);
            assert.deepEqual(
                await snapshot(s3, outputs.dataBucket!),
                seed,
                "the bucket is as it was: no copy was made, nothing was deleted",
            );
        } finally {
            cut.destroy();
        }
    });

    it("reads an outputs file with a UTF-8 byte order mark, and names a UTF-16 one as UTF-16", async () => {
        const d = dir();
        fs.writeFileSync(path.join(d, "bom.json"), "\uFEFF" + JSON.stringify(outputs));
        const bom = await runVerify(["--outputs", "bom.json"], process.env, d);
        assert.equal(bom.code, 0, bom.stdout + bom.stderr);
        assert.match(bom.stdout, /6 passed, 0 failed/);
        for (const [name, bytes] of [
            ["utf16le.json", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(outputs), "utf16le")])],
            ["utf16-no-bom.json", Buffer.from(JSON.stringify(outputs), "utf16le")],
        ] as const) {
            fs.writeFileSync(path.join(d, name), bytes);
            const run = await runVerify(["--outputs", name], process.env, d);
            assert.equal(run.code, 2, name);
            assert.equal(run.stdout, "");
            assert.ok(
                run.stderr.includes(
                    `${path.join(d, name)} is UTF-16 text, not UTF-8 (PowerShell's > writes UTF-16): save it as UTF-8, e.g. pulumi stack output --json --show-secrets | Out-File -Encoding utf8 outputs.json`,
                ),
                run.stderr,
            );
        }
    });

    it("--stack reads `pulumi stack output --json --show-secrets --stack NAME`", async () => {
        const bin = dir();
        const argsFile = path.join(bin, "args");
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            `#!/bin/sh\nprintf '%s ' "$@" > '${argsFile}'\nprintf '%s' '${JSON.stringify(outputs)}'\n`,
            { mode: 0o755 },
        );
        const run = await runVerify(["--stack", "org/dev"], { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` });
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.equal(fs.readFileSync(argsFile, "utf8"), "stack output --json --show-secrets --stack org/dev ");
        assert.match(run.stdout, /6 passed, 0 failed/);
    });

    it("exits 2 naming the file or command when the outputs are missing, unreadable or incomplete", async () => {
        const d = dir();
        const cases: [string[], RegExp][] = [
            [
                ["--stack", "dev"],
                new RegExp(`not installed or not on PATH: install it \\(${PULUMI_INSTALL_URL.replace(/[./]/g, "\\$&")}\\).*--outputs FILE`),
            ],
            [["--outputs", path.join(d, "missing.json")], /Cannot read the outputs file .*missing\.json: it does not exist/],
            [["--outputs", d], /Cannot read the outputs file .*: it is a folder/],
            [["--local", "--lab-dir", d], /No local lab is running in .*: .*outputs\.json does not exist \(start one with npm start/],
        ];
        fs.writeFileSync(path.join(d, "broken.json"), "{ websiteUrl");
        cases.push([["--outputs", path.join(d, "broken.json")], /broken\.json is not valid JSON/]);
        cases.push([["--outputs", outputsFile([])], /outputs\.json must hold a JSON object of stack outputs/]);
        cases.push([
            ["--outputs", outputsFile({ websiteUrl: outputs.websiteUrl })],
            /the directory lab's outputs are incomplete: apiUrl, dataBucket missing/,
        ]);
        cases.push([
            ["--outputs", outputsFile({ helloWorldApi: "not a url" })],
            /helloWorldApi must be an http\(s\) URL; received "not a url"/,
        ]);
        cases.push([["--outputs", outputsFile({ deploymentId: "cloud-labs-dev-ab12cd" })], /holds no lab outputs/]);
        const stale = dir();
        fs.writeFileSync(path.join(stale, "outputs.json"), JSON.stringify({ ...outputs, pid: 2 ** 22 + 1 }));
        cases.push([["--local", "--lab-dir", stale], /left by a lab that is no longer running \(pid 4194305\)/]);
        for (const [args, message] of cases) {
            const env = args[0] === "--stack" ? { ...process.env, PATH: dir() } : process.env;
            const run = await runVerify(args, env);
            assert.equal(run.code, 2, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
            assert.match(run.stderr, message, args.join(" "));
            assert.equal(run.stdout, "", "nothing on stdout");
        }
    });

    it("exits 2 with the usage on bad arguments", async () => {
        for (const [args, message] of [
            [[], /exactly one of --stack NAME, --outputs FILE or --local/],
            [["--local", "--stack", "dev"], /exactly one of/],
            [["--local", "--timeout", "0"], /--timeout needs a number from 0\.001 to 600; received "0"/],
            [["--local", "--colour"], /unknown option --colour/],
            [["--outputs", "x", "--lab-dir", "y"], /--lab-dir goes with --local/],
        ] as const) {
            const run = await runVerify([...args]);
            assert.equal(run.code, 2);
            assert.match(run.stderr, message);
            assert.match(run.stderr, /Usage: npm run verify/);
        }
    });

    it("takes --flag=value and --flag value alike, prints --help on stdout, and reads a relative --lab-dir from the caller's folder", async () => {
        const help = await runVerify(["--help"]);
        assert.equal(help.code, 0);
        assert.match(help.stdout, /^Usage: npm run verify -- /);
        assert.match(help.stdout, /npm run -s verify/, "the usage says how to get JSON without npm's banner");
        assert.equal(help.stderr, "");
        const relative = await runVerify(
            ["--local", `--lab-dir=${path.basename(labDir)}`, "--timeout=5"],
            process.env,
            path.dirname(labDir),
        );
        assert.equal(relative.code, 0, relative.stdout + relative.stderr);
        const missingValue = await runVerify(["--local", "--lab-dir"]);
        assert.equal(missingValue.code, 2);
        assert.match(missingValue.stderr, /--lab-dir needs a value\n\nUsage: npm run verify/);
    });

    it("on AWS, an unsigned GET of a data file must be denied: passes on S3's 403, fails on 200", async () => {
        let answer = { status: 403, body: "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>" };
        const requested: string[] = [];
        const fakeS3 = http.createServer((req, res) => {
            requested.push(req.url!);
            res.writeHead(answer.status, { "content-type": "application/xml" });
            res.end(answer.body);
        });
        const url = await listen(fakeS3);
        try {
            const ctx = context(s3, { publicUrlOf: async (bucket, key) => `${url}/${bucket}/${key}` });
            const denied = await verify(outputs, ctx);
            assert.match(line(denied.results, "data bucket private"), /✔.*unsigned GET of users_1\.json: 403 AccessDenied/);
            assert.deepEqual(requested, ["/directory-data/users_1.json"]);

            answer = { status: 200, body: "[]" };
            const open = await verify(outputs, ctx);
            assert.match(
                line(open.results, "data bucket private"),
                /✖.*unsigned GET of users_1\.json answered 200: the data bucket is public/,
            );
        } finally {
            await close(fakeS3);
        }
    });
});

/** A verify context as the CLI builds it, with local clients and short waits. */
const context = verifyContext;

function line(results: CheckResult[], name: string): string {
    const r = results.find((x) => x.name === name);
    assert.ok(r, `no check ${name} in ${results.map((x) => x.name).join(", ")}`);
    return `${r.ok ? "✔" : "✖"} ${r.detail}`;
}

describe("npm run verify: the audio lab's checks (against a local S3 and a public front answering as S3 does)", function () {
    this.timeout(60_000);
    const MP3 = Buffer.concat([Buffer.from("ID3"), Buffer.alloc(64, 1)]);
    let bucket: Awaited<ReturnType<typeof startTestS3>>;
    let front: http.Server;
    let frontUrl: string;
    /** How the public front answers: as the lab's bucket policy makes it (audio/ public), or blocked, or all public. */
    let policy: "audio-public" | "blocked" | "all-public" = "audio-public";

    before(async () => {
        bucket = await startTestS3("audio-bucket");
        await put(bucket.client, bucket.bucket, "text/welcome.txt", "Welcome", "text/plain");
        await put(bucket.client, bucket.bucket, "audio/welcome.mp3", MP3, "audio/mpeg");
        front = http.createServer(async (req, res) => {
            const key = decodeURIComponent(req.url!.slice(1));
            const allowed = policy === "all-public" || (policy === "audio-public" && key.startsWith("audio/"));
            if (!allowed) {
                res.writeHead(403, { "content-type": "application/xml" });
                res.end("<Error><Code>AccessDenied</Code></Error>");
                return;
            }
            try {
                const object = await bucket.client.send(new GetObjectCommand({ Bucket: bucket.bucket, Key: key }));
                res.writeHead(200, { "content-type": object.ContentType ?? "binary/octet-stream" });
                res.end(Buffer.from(await object.Body!.transformToByteArray()));
            } catch {
                res.writeHead(403, { "content-type": "application/xml" });
                res.end("<Error><Code>AccessDenied</Code></Error>"); // S3 without ListBucket: 403, not 404
            }
        });
        frontUrl = await listen(front);
    });
    after(async () => {
        await close(front);
        await bucket.close();
    });
    beforeEach(() => (policy = "audio-public"));

    const audioOutputs = (): LabOutputs => ({
        audioBucket: bucket.bucket,
        audioUrlPattern: `${frontUrl}/audio/<name>.mp3`,
        seedAudioUrl: `${frontUrl}/audio/welcome.mp3`,
    });
    const ctx = (extra: Partial<VerifyContext> = {}) =>
        context(bucket.client, { publicUrlOf: async (_bucket, key) => `${frontUrl}/${key}`, ...extra });

    it("waits for a seed MP3 not spoken yet although AWS answers 403 for a missing key, and names the wait", async () => {
        const late = `audio/late-${Date.now()}.mp3`;
        const arrives = setTimeout(() => void put(bucket.client, bucket.bucket, late, MP3, "audio/mpeg"), 300);
        try {
            const run = await verify({ ...audioOutputs(), seedAudioUrl: `${frontUrl}/${late}` }, ctx({ audioWaitMs: 20_000 }));
            assert.match(
                line(run.results, "seed MP3 public"),
                /^✔ .*200 audio\/mpeg, \d+ bytes, after waiting \d+ ms for it to be spoken$/,
            );
        } finally {
            clearTimeout(arrives);
        }
    });

    it("passes when the seed MP3 is public as audio/mpeg and texts are denied", async () => {
        const run = await verify(audioOutputs(), ctx());
        assert.deepEqual(
            run.results.map((r) => [r.lab, r.name, r.ok]),
            [
                ["audio", "seed MP3 public", true],
                ["audio", "texts private", true],
            ],
        );
        assert.equal(
            line(run.results, "seed MP3 public"),
            "✔ 200 audio/mpeg, 67 bytes",
            "no wait is claimed when the first answer was the MP3",
        );
        assert.match(line(run.results, "texts private"), /unsigned GET of text\/welcome\.txt: 403 AccessDenied/);
    });

    it("says it waited for the seed MP3 only when it answered 404 first", async () => {
        await put(bucket.client, bucket.bucket, "audio/late.mp3", MP3, "audio/mpeg");
        let misses = 2;
        const fetchLate: typeof fetch = async (url, init) =>
            (typeof url === "string" ? url : url instanceof URL ? url.href : url.url).endsWith("/audio/late.mp3") && misses-- > 0
                ? new Response("<Error><Code>NoSuchKey</Code></Error>", { status: 404 })
                : fetch(url, init);
        try {
            const run = await verify({ ...audioOutputs(), seedAudioUrl: `${frontUrl}/audio/late.mp3` }, ctx({ fetch: fetchLate }));
            assert.match(line(run.results, "seed MP3 public"), /^✔ 200 audio\/mpeg, 67 bytes, after waiting \d+ ms for it to be spoken$/);
        } finally {
            await remove(bucket.client, bucket.bucket, "audio/late.mp3");
        }
    });

    it("a denied MP3 fails and suggests account-level Block Public Access; public texts fail", async () => {
        policy = "blocked";
        let run = await verify(audioOutputs(), ctx());
        assert.match(
            line(run.results, "seed MP3 public"),
            /✖ .*403 AccessDenied: the MP3 is not public; .*account-level S3 Block Public Access/,
        );
        policy = "all-public";
        run = await verify(audioOutputs(), ctx());
        assert.match(line(run.results, "texts private"), /✖ unsigned GET of text\/welcome\.txt answered 200: texts are public/);
    });

    it("an MP3 served with another content type fails", async () => {
        await put(bucket.client, bucket.bucket, "audio/plain.mp3", MP3, "text/plain");
        try {
            const run = await verify({ ...audioOutputs(), seedAudioUrl: `${frontUrl}/audio/plain.mp3` }, ctx());
            assert.match(line(run.results, "seed MP3 public"), /✖ .*content-type text\/plain, not audio\/mpeg/);
        } finally {
            await remove(bucket.client, bucket.bucket, "audio/plain.mp3");
        }
    });

    it("--lab-steps uploads a text, finds its public MP3, then deletes both", async () => {
        const before = await snapshot(bucket.client, bucket.bucket);
        // Stands in for the speech function: each text/*.txt put makes its audio/*.mp3, as the S3 trigger would.
        const s3 = localS3Client(bucket.endpoint);
        const made: string[] = [];
        s3.middlewareStack.add(
            (next) => async (args) => {
                const result = await next(args);
                const input = args.input as { Key?: string; Body?: unknown };
                if (/^text\/.*\.txt$/.test(input.Key ?? "") && "Body" in input) {
                    const key = input.Key!.replace(/^text\//, "audio/").replace(/\.txt$/, ".mp3");
                    made.push(key);
                    setImmediate(() => void put(bucket.client, bucket.bucket, key, MP3, "audio/mpeg"));
                }
                return result;
            },
            { step: "initialize", name: "speechStandIn" },
        );
        try {
            const run = await verify(audioOutputs(), context(s3, { publicUrlOf: async (_b, key) => `${frontUrl}/${key}` }), true);
            const step = run.results.find((r) => r.name.startsWith("lab step: upload"))!;
            assert.ok(step.ok, step.detail);
            assert.match(step.name, /^lab step: upload text\/verify-\w+\.txt$/);
            assert.match(step.detail, /^audio\/verify-\w+\.mp3 after \d+ ms; 200 audio\/mpeg/);
            assert.equal(made.length, 1);
            assert.match(line(run.results, "lab step: clean up"), /✔ deleted text\/verify-\w+\.txt, audio\/verify-\w+\.mp3/);
            assert.deepEqual(await snapshot(bucket.client, bucket.bucket), before);
        } finally {
            s3.destroy();
        }
    });

    it("--lab-steps fails when no MP3 comes within the wait, and still deletes the text", async () => {
        const before = await snapshot(bucket.client, bucket.bucket);
        const run = await verify(audioOutputs(), ctx({ audioWaitMs: 300 }), true);
        const step = run.results.find((r) => r.name.startsWith("lab step: upload"))!;
        assert.equal(step.ok, false);
        assert.match(step.detail, /no audio\/verify-\w+\.mp3 within 0\.3 s of the upload/);
        // It claims only what it deleted: the MP3 never came, so it is "not there", and on AWS it may still come.
        assert.match(
            line(run.results, "lab step: clean up"),
            /^✔ deleted text\/verify-(\w+)\.txt; audio\/verify-\1\.mp3 not there: a speech that read the text before it was deleted still writes audio\/verify-\1\.mp3; look with aws s3 ls s3:\/\/audio-bucket\/audio\/verify-\1\.mp3 and remove it with aws s3 rm s3:\/\/audio-bucket\/audio\/verify-\1\.mp3$/,
        );
        assert.deepEqual(await snapshot(bucket.client, bucket.bucket), before);
    });
});

describe("npm run verify: the web service's checks (against a local HTTP server)", function () {
    let health = 200;
    let page = fs.readFileSync(path.join(ROOT, "containers", "httpd", "htdocs", "index.html"), "utf8");
    const server = http.createServer((req, res) => {
        if (req.url === "/health") {
            res.writeHead(health, { "content-type": "text/plain" });
            res.end(health === 200 ? "OK\n" : "unhealthy\n");
            return;
        }
        res.writeHead(req.url === "/" ? 200 : 404, { "content-type": "text/html" });
        res.end(page);
    });
    let url: string;
    const unusedS3 = localS3Client("http://127.0.0.1:9"); // the web service's checks touch no bucket
    before(async () => (url = await listen(server)));
    after(async () => {
        unusedS3.destroy();
        await close(server);
    });

    it("passes on the sample page and /health, and runs only the checks of the labs present", async () => {
        const run = await verify({ serviceUrl: url }, context(unusedS3));
        assert.deepEqual(
            run.results.map((r) => [r.lab, r.name, r.ok]),
            [
                ["webService", "sample page", true],
                ["webService", "GET /health", true],
            ],
        );
    });

    it("fails on an unhealthy /health and on another page", async () => {
        health = 503;
        let run = await verify({ serviceUrl: url }, context(unusedS3));
        assert.match(line(run.results, "GET /health"), /✖ GET http:\/\/127\.0\.0\.1:\d+\/health answered 503/);
        health = 200;
        page = "<h1>It works!</h1>";
        run = await verify({ serviceUrl: url }, context(unusedS3));
        assert.match(line(run.results, "sample page"), /✖ .*answered 200 but not the sample page/);
    });
});

describe("npm run verify: a web service its schedule stopped (ECS mocked, the load balancer answering 503)", function () {
    // What an ALB answers with no healthy target.
    const server = http.createServer((_req, res) => {
        res.writeHead(503, { "content-type": "text/html" });
        res.end("<html><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>");
    });
    const ecs = mockClient(ECSClient);
    let dir: string;
    let file: string;
    before(async () => {
        const url = await listen(server);
        dir = tmp();
        file = path.join(dir, "outputs.json");
        fs.writeFileSync(
            file,
            JSON.stringify({
                serviceUrl: url,
                clusterName: "web-cluster-1",
                serviceName: "web-service-1",
                webStopSchedule: "cron(0 19 ? * MON-FRI *)",
                webStartSchedule: "cron(0 7 ? * MON-FRI *)",
                deploymentId: "cloud-labs-containers-ab12cd",
            }),
        );
    });
    after(async () => {
        ecs.restore();
        fs.rmSync(dir, { recursive: true, force: true });
        await close(server);
    });
    const at = async (iso: string, runningCount: number) => {
        ecs.reset();
        ecs.on(DescribeServicesCommand).resolves({
            services: [{ serviceName: "web-service-1", runningCount, desiredCount: runningCount }],
        });
        const out: string[] = [];
        const err: string[] = [];
        const code = await verifyMain(["--outputs", file, "--region", "us-east-1"], {
            out: (l) => out.push(l),
            err: (l) => err.push(l),
            env: {},
            cwd: process.cwd(),
            isTTY: false,
            signal: new AbortController().signal,
            now: () => new Date(iso),
        });
        return { code, stdout: out.join("\n"), stderr: err.join("\n") };
    };

    it("on a Friday night with no running task: stopped by schedule until Monday 07:00, exit 0 with a note on starting it by hand", async () => {
        const run = await at("2026-11-27T22:00:00Z", 0);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.match(run.stdout, /✔ webService · stopped by schedule: .*stopped by schedule until 2026-11-30 07:00 UTC/);
        assert.match(
            run.stdout,
            /pulumi up does not start it; to start tasks now: aws application-autoscaling register-scalable-target .*--resource-id service\/web-cluster-1\/web-service-1 --min-capacity 1/,
        );
        assert.doesNotMatch(run.stdout, /sample page/, "the load balancer's error page is not checked");
        assert.deepEqual(ecs.commandCalls(DescribeServicesCommand)[0].args[0].input, {
            cluster: "web-cluster-1",
            services: ["web-service-1"],
        });
    });

    it("fails on the 503 when no task runs outside the stop window (a broken service, not a stopped one)", async () => {
        const run = await at("2026-11-30T10:00:00Z", 0);
        assert.equal(run.code, 1);
        assert.match(run.stdout, /✖ webService · sample page: .*answered 503/);
        assert.doesNotMatch(run.stdout, /stopped by schedule/);
    });

    it("fails on the 503 when a task runs in the stop window (started by hand, yet not serving)", async () => {
        const run = await at("2026-11-27T22:00:00Z", 1);
        assert.equal(run.code, 1);
        assert.match(run.stdout, /✖ webService · sample page/);
    });
});

describe("npm run verify: answers too large to read", function () {
    this.timeout(120_000);
    const unusedS3 = localS3Client("http://127.0.0.1:9");
    after(() => unusedS3.destroy());

    it("stops reading a 2 GB answer at the cap, fails naming it, and keeps memory flat", async () => {
        const TWO_GB = 2 * 1024 ** 3;
        const chunk = Buffer.alloc(1024 * 1024, 0x61);
        let sent = 0;
        let closed!: () => void;
        const done = new Promise<void>((resolve) => (closed = resolve));
        const server = http.createServer((req, res) => {
            const declare = req.url === "/declared";
            res.writeHead(
                200,
                declare ? { "content-type": "application/json", "content-length": String(TWO_GB) } : { "content-type": "application/json" },
            );
            res.on("close", closed);
            const pump = () => {
                while (sent < TWO_GB && !res.destroyed) {
                    sent += chunk.length;
                    if (!res.write(chunk)) return void res.once("drain", pump);
                }
                res.end();
            };
            pump();
        });
        const url = await listen(server);
        const baseline = process.memoryUsage().rss;
        let peak = baseline;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
        try {
            const run = await verify({ helloWorldApi: `${url}/hello` }, context(unusedS3, { timeoutMs: 60_000 }));
            await done;
            assert.equal(MAX_ANSWER_BYTES, 64 * 1024 * 1024);
            assert.match(
                line(run.results, "GET helloWorldApi"),
                /^✖ GET http:\/\/127\.0\.0\.1:\d+\/hello answered 200 with a body over 64 MiB, the most verify reads of one answer$/,
            );
            assert.ok(sent < 512 * 1024 * 1024, `the server sent ${sent} bytes: reading stopped near the cap`);
            assert.ok(peak - baseline < 256 * 1024 * 1024, `RSS grew by ${Math.round((peak - baseline) / 1048576)} MB`);

            sent = 0;
            const declared = await verify({ helloWorldApi: `${url}/declared` }, context(unusedS3));
            assert.match(line(declared.results, "GET helloWorldApi"), /^✖ .* with a body over 64 MiB/);
        } finally {
            clearInterval(sampler);
            await close(server);
        }
    });
});

describe("npm run verify: the public URL of an object on AWS", () => {
    it("is the bucket's regional virtual-hosted URL, each key segment encoded; path-style for a bucket with dots", () => {
        assert.equal(
            publicObjectUrl("cloud-labs-audio-1a2b3c", "audio/welcome.mp3", "eu-west-1"),
            "https://cloud-labs-audio-1a2b3c.s3.eu-west-1.amazonaws.com/audio/welcome.mp3",
        );
        assert.equal(
            publicObjectUrl("lab", "audio/a b+c%é.mp3", "us-east-1"),
            "https://lab.s3.us-east-1.amazonaws.com/audio/a%20b%2Bc%25%C3%A9.mp3",
        );
        assert.equal(publicObjectUrl("lab", "users_1.json"), "https://lab.s3.amazonaws.com/users_1.json");
        assert.equal(
            publicObjectUrl("my.lab.bucket", "audio/x.mp3", "ap-south-1"),
            "https://s3.ap-south-1.amazonaws.com/my.lab.bucket/audio/x.mp3",
        );
    });

    it("asks the bucket's region once per bucket (none means us-east-1, EU means eu-west-1) and falls back to the global endpoint", async () => {
        const asked: string[] = [];
        const answers: Record<string, () => Promise<unknown>> = {
            east: async () => ({}),
            dublin: async () => ({ LocationConstraint: "EU" }),
            tokyo: async () => ({ LocationConstraint: "ap-northeast-1" }),
            denied: async () => Promise.reject(Object.assign(new Error("Access Denied"), { name: "AccessDenied" })),
        };
        const s3 = {
            send: (command: { input: { Bucket: string } }) => (asked.push(command.input.Bucket), answers[command.input.Bucket]()),
        };
        const urlOf = awsPublicUrl(s3 as never);
        assert.equal(await urlOf("east", "audio/a.mp3"), "https://east.s3.us-east-1.amazonaws.com/audio/a.mp3");
        assert.equal(await urlOf("east", "audio/b.mp3"), "https://east.s3.us-east-1.amazonaws.com/audio/b.mp3");
        assert.equal(await urlOf("dublin", "text/welcome.txt"), "https://dublin.s3.eu-west-1.amazonaws.com/text/welcome.txt");
        assert.equal(await urlOf("tokyo", "audio/x.mp3"), "https://tokyo.s3.ap-northeast-1.amazonaws.com/audio/x.mp3");
        assert.equal(await urlOf("denied", "users_1.json"), "https://denied.s3.amazonaws.com/users_1.json");
        assert.deepEqual(asked, ["east", "dublin", "tokyo", "denied"]);
    });
});
