/**
 * `npm run bench [-- --delay 20 --runs 3 --readme]`: measures, in one run, ratios against baselines measured in
 * the same run. Not part of `npm test`.
 *
 * 1. The directory handler against the lab's reference solution, both against s3rver behind a latency proxy.
 * 2. Each function's bundle: size, and the time to load it in a fresh Node process vs. unbundled from node_modules.
 * 3. The whole program under mocks, per stack: time and resource count.
 * 4. `npm start` with every lab: start to ready.
 *
 * Writes bench/results.json and bench/results.md; with --readme also the README's Performance section.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { buildSync } from "esbuild";
import { createHandler, mapLimit } from "../functions/directory/core";
import { memoryLogger } from "../functions/shared/log";
import { localS3Client } from "../local/s3-server";
import { functionEntries } from "../scripts/build-functions";
import { generateUser } from "../scripts/generate-users";
import { ROOT, runProgram, shippedStacks } from "../scripts/mock-program";
import { bundle } from "../stacks/bundle";
import { getEvent } from "../test/helpers/events";
import { labStartBench } from "./lab-start";
import { createReferenceHandler } from "./reference-solution";

interface Options {
    delayMs: number;
    runs: number;
    readme: boolean;
    /** Re-render the tables from bench/results.json without measuring. */
    reportOnly: boolean;
}

function parseOptions(argv: string[]): Options {
    const options: Options = { delayMs: 20, runs: 3, readme: false, reportOnly: false };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--report-only") options.reportOnly = true;
        else if (argv[i] === "--delay") options.delayMs = Number(argv[++i]);
        else if (argv[i] === "--runs") options.runs = Number(argv[++i]);
        else if (argv[i] === "--readme") options.readme = true;
        else throw new Error(`unknown option ${argv[i]} (use --delay MS, --runs N, --readme, --report-only)`);
    }
    if (!(options.delayMs >= 0) || !(options.runs >= 1)) throw new Error("--delay must be >= 0 and --runs >= 1");
    return options;
}

const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
    const start = process.hrtime.bigint();
    const value = await fn();
    return [Number(process.hrtime.bigint() - start) / 1e6, value];
}

// ---------------------------------------------------------------- 1. directory handler

interface Measure {
    medianMs: number;
    lists: number;
    gets: number;
    records: number;
}

interface DirectoryCase {
    name: string;
    files: number;
    records: number;
    baseline: Measure;
    cold: Measure;
    warm: Measure;
    warmAfterChange: Measure;
    coldSpeedup: number;
    warmSpeedup: number;
    rawBytes: number;
    gzipBytes: number;
}

/** s3rver behind the latency proxy, in a child process (see s3-server-process.ts). */
async function startServerProcess(dir: string, delayMs: number) {
    const child = spawn(
        process.execPath,
        ["--openssl-legacy-provider", "-r", "ts-node/register/transpile-only", path.join(__dirname, "s3-server-process.ts"), dir, String(delayMs)],
        { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    const endpoints = await new Promise<{ s3: string; proxy: string; control: string }>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d) => {
            out += d;
            if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]));
        });
        child.once("exit", (code) => reject(new Error(`s3 server process exited with ${code}`)));
    });
    const counts = async (reset = false) =>
        (await (await fetch(`${endpoints.control}/${reset ? "__reset" : "__counts"}`, { method: reset ? "POST" : "GET" })).json()) as { list: number; get: number };
    return {
        ...endpoints,
        counts,
        stop: () => new Promise<void>((resolve) => (child.once("exit", () => resolve()), child.kill("SIGTERM"))),
    };
}

async function directoryCase(name: string, files: { key: string; body: string }[], o: Options): Promise<DirectoryCase> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-bench-"));
    const server = await startServerProcess(dir, o.delayMs);
    const direct = localS3Client(server.s3);
    const client = localS3Client(server.proxy);
    const proxy = { reset: () => server.counts(true), counts: { list: 0, get: 0 } };
    try {
        await mapLimit(files, 32, (f) => direct.send(new PutObjectCommand({ Bucket: "data", Key: f.key, Body: f.body })).then(() => undefined));
        const logger = memoryLogger();
        const newHandler = () => createHandler({ s3: client, bucket: "data", logger });
        const measure = async (call: () => Promise<unknown>, prepare: () => Promise<void> = async () => undefined): Promise<Measure> => {
            const times: number[] = [];
            let records = 0;
            for (let i = 0; i < o.runs; i++) {
                await prepare();
                await proxy.reset();
                const [ms, result] = await timed(call);
                times.push(ms);
                proxy.counts = await server.counts();
                const body = JSON.parse((result as { body: string }).body);
                records = Array.isArray(body) ? body.length : body.total;
            }
            return { medianMs: median(times), lists: proxy.counts.list, gets: proxy.counts.get, records };
        };

        const reference = createReferenceHandler(client, "data");
        const baseline = await measure(() => reference());
        const cold = await measure(() => newHandler()(getEvent("/users")));
        const warmHandler = newHandler();
        await warmHandler(getEvent("/users"));
        const warm = await measure(() => warmHandler(getEvent("/users")));
        let version = 0;
        const warmAfterChange = await measure(
            () => warmHandler(getEvent("/users")),
            async () => {
                const changed = JSON.parse(files[0].body) as Record<string, unknown>[];
                changed[0] = { ...changed[0], title: `Changed ${++version}` };
                await direct.send(new PutObjectCommand({ Bucket: "data", Key: files[0].key, Body: JSON.stringify(changed) }));
            },
        );
        const raw = await warmHandler(getEvent("/users"));
        const zipped = await warmHandler(getEvent("/users", {}, { "accept-encoding": "gzip" }));
        return {
            name,
            files: files.length,
            records: files.reduce((n, f) => n + (JSON.parse(f.body) as unknown[]).length, 0),
            baseline,
            cold,
            warm,
            warmAfterChange,
            coldSpeedup: baseline.medianMs / cold.medianMs,
            warmSpeedup: baseline.medianMs / warm.medianMs,
            rawBytes: Buffer.byteLength(raw.body ?? ""),
            gzipBytes: zipped.isBase64Encoded ? Buffer.from(zipped.body ?? "", "base64").length : Buffer.byteLength(zipped.body ?? ""),
        };
    } finally {
        client.destroy();
        direct.destroy();
        await server.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function syntheticFiles(count: number, perFile: number): { key: string; body: string }[] {
    let index = 1;
    return Array.from({ length: count }, (_, i) => ({
        key: `users_${String(i + 1).padStart(4, "0")}.json`,
        body: JSON.stringify(Array.from({ length: perFile }, () => generateUser(index++))),
    }));
}

// ---------------------------------------------------------------- 2. bundles

interface BundleResult {
    fn: string;
    bundleKb: number;
    /** Time to start node and require the code, less the time to start node alone (measured in the same run). */
    bundledLoadMs: number;
    unbundledLoadMs: number;
    loadSpeedup: number;
    nodeStartMs: number;
}

const FUNCTION_ENV = { DATA_BUCKET: "bench", POLLY_VOICE: "Joanna", POLLY_ENGINE: "standard", AWS_REGION: "us-east-1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

function loadTime(file: string | undefined, runs: number): number {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        const script = file ? `require(${JSON.stringify(file)})` : "0";
        const result = spawnSync(process.execPath, ["-e", script], { env: { ...process.env, ...FUNCTION_ENV, NODE_OPTIONS: "" } });
        if (result.status !== 0) throw new Error(`loading ${file} failed: ${result.stderr}`);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return median(times);
}

function bundleBench(runs: number): BundleResult[] {
    const out = path.join(ROOT, "dist", "bench");
    fs.rmSync(out, { recursive: true, force: true });
    // Unbundled: every source file compiled one to one, so imports resolve from node_modules as they would
    // without a bundler.
    const sources = fs.readdirSync(path.join(ROOT, "functions"), { recursive: true }).map(String).filter((f) => f.endsWith(".ts"));
    buildSync({
        absWorkingDir: ROOT,
        entryPoints: sources.map((f) => `functions/${f}`),
        outdir: path.join(out, "unbundled", "functions"),
        bundle: false,
        platform: "node",
        format: "cjs",
        target: "node20",
        logLevel: "silent",
    });
    const samples = Math.max(9, runs * 3);
    const nodeStartMs = loadTime(undefined, samples);
    return functionEntries().map((entry) => {
        const name = path.basename(path.dirname(entry));
        const bundled = path.join(out, "bundled", name, "index.js");
        fs.mkdirSync(path.dirname(bundled), { recursive: true });
        fs.writeFileSync(bundled, bundle(entry).code);
        const bundledLoadMs = Math.max(0.1, loadTime(bundled, samples) - nodeStartMs);
        const unbundledLoadMs = Math.max(0.1, loadTime(path.join(out, "unbundled", "functions", name, "index.js"), samples) - nodeStartMs);
        return { fn: name, bundleKb: fs.statSync(bundled).size / 1024, bundledLoadMs, unbundledLoadMs, loadSpeedup: unbundledLoadMs / bundledLoadMs, nodeStartMs };
    });
}

// ---------------------------------------------------------------- 3. program

interface ProgramResult {
    stack: string;
    medianMs: number;
    resources: number;
}

async function programBench(runs: number): Promise<ProgramResult[]> {
    await runProgram("dev"); // the first run compiles the program; measure the runs after it
    const results: ProgramResult[] = [];
    for (const stack of shippedStacks()) {
        const times: number[] = [];
        let resources = 0;
        for (let i = 0; i < runs; i++) {
            const [ms, run] = await timed(() => runProgram(stack));
            times.push(ms);
            resources = run.resources.length;
        }
        results.push({ stack, medianMs: median(times), resources });
    }
    return results;
}

// ---------------------------------------------------------------- report

/** Load-time differences below this are within the noise of starting a process. */
const NOISE_MS = 10;

function markdown(results: Awaited<ReturnType<typeof runAll>>): string {
    const m = results.machine;
    const f1 = (n: number) => n.toFixed(1);
    const lines = [
        `Measured ${m.date} on ${m.cpus} × ${m.cpu}, ${m.memoryGb} GB, Node ${m.node}; S3 round trip simulated as ${results.options.delayMs} ms, median of ${results.options.runs} runs.`,
        "",
        "| case | baseline (reference solution) | ours, cold | ours, warm | warm after 1 file changed | cold speedup | S3 requests: baseline / cold / warm / changed | body raw → gzip |",
        "|---|---|---|---|---|---|---|---|",
        ...results.directory.map(
            (c) =>
                `| ${c.name} | ${f1(c.baseline.medianMs)} ms (${c.baseline.records} records) | ${f1(c.cold.medianMs)} ms | ${f1(c.warm.medianMs)} ms | ${f1(c.warmAfterChange.medianMs)} ms | ${c.coldSpeedup.toFixed(1)}× | ` +
                `${c.baseline.lists}L+${c.baseline.gets}G / ${c.cold.lists}L+${c.cold.gets}G / ${c.warm.lists}L+${c.warm.gets}G / ${c.warmAfterChange.lists}L+${c.warmAfterChange.gets}G | ` +
                `${(c.rawBytes / 1024).toFixed(0)} KB → ${(c.gzipBytes / 1024).toFixed(0)} KB (${((100 * c.gzipBytes) / c.rawBytes).toFixed(0)}%) |`,
        ),
        "",
        "Cold speedup on 50 files × 100 by simulated round trip (the emulator serves one request at a time, so its own service time is a floor no client parallelism removes):",
        "",
        "| round trip | baseline | ours, cold | speedup |",
        "|---|---|---|---|",
        ...results.sweep.map((w) => `| ${w.delayMs} ms | ${f1(w.baselineMs)} ms | ${f1(w.coldMs)} ms | ${w.speedup.toFixed(1)}× |`),
        "",
        `Load times are a fresh \`node -e 'require(…)'\` less Node's own start (${f1(results.bundles[0]?.nodeStartMs ?? 0)} ms here), median of ${Math.max(9, results.options.runs * 3)}.`,
        "",
        "| function | bundle | load bundled | load unbundled from node_modules | unbundled ÷ bundled |",
        "|---|---|---|---|---|",
        ...results.bundles.map((b) => {
            // Below a few ms the difference of two process start-ups is noise: say so instead of a ratio.
            const noise = Math.min(b.bundledLoadMs, b.unbundledLoadMs) < NOISE_MS;
            const ms = (v: number) => (v < NOISE_MS ? `< ${NOISE_MS} ms` : `${f1(v)} ms`);
            return `| ${b.fn} | ${b.bundleKb.toFixed(0)} KB | ${ms(b.bundledLoadMs)} | ${ms(b.unbundledLoadMs)} | ${noise ? "within noise" : `${b.loadSpeedup.toFixed(2)}×`} |`;
        }),
        "",
        "| stack | program under mocks | resources |",
        "|---|---|---|",
        ...results.program.map((p) => `| ${p.stack} | ${f1(p.medianMs)} ms | ${p.resources} |`),
        "",
        // Older results.json files (--report-only) have no start-up figures.
        ...(results.labStart
            ? [
                  "| npm start | labs | start to ready (median) | slowest | the lab's own figure |",
                  "|---|---|---|---|---|",
                  `| every lab | ${results.labStart.labs} | ${f1(results.labStart.medianMs)} ms | ${f1(results.labStart.maxMs)} ms | ${f1(results.labStart.reportedMs)} ms |`,
                  "",
              ]
            : []),
        "Targets:",
        ...results.targets.map((t) => `- ${t.pass ? "✅" : "❌"} ${t.target}: ${t.measured}`),
    ];
    return lines.join("\n");
}

async function runAll(o: Options) {
    const seed = ["users_1.json", "users_2.json", "users_3.json"].map((key) => ({ key, body: fs.readFileSync(path.join(ROOT, "data", key), "utf8") }));
    console.error("directory handler: seed data …");
    const directory = [await directoryCase("seed: 3 files × 500", seed, o)];
    console.error("directory handler: 50 files × 100 …");
    directory.push(await directoryCase("50 files × 100", syntheticFiles(50, 100), o));
    console.error("directory handler: 1,500 files × 1 …");
    directory.push(await directoryCase("1,500 files × 1", syntheticFiles(1500, 1), o));
    // How the cold speedup depends on the round trip: the emulator's own service time is the floor.
    const sweep: { delayMs: number; baselineMs: number; coldMs: number; speedup: number }[] = [];
    for (const delayMs of [0, o.delayMs, 100].filter((d, i, all) => all.indexOf(d) === i)) {
        console.error(`directory handler: 50 files × 100 at a ${delayMs} ms round trip …`);
        const c = delayMs === o.delayMs ? directory[1] : await directoryCase("50 files × 100", syntheticFiles(50, 100), { ...o, delayMs });
        sweep.push({ delayMs, baselineMs: c.baseline.medianMs, coldMs: c.cold.medianMs, speedup: c.coldSpeedup });
    }
    console.error("bundles …");
    const bundles = bundleBench(o.runs);
    console.error("program under mocks …");
    const program = await programBench(o.runs);
    console.error("npm start, every lab …");
    const labStart = await labStartBench(o.runs);

    const [seedCase, fifty, many] = directory;
    const targets = [
        ...directory.map((c) => ({
            target: `${c.name}: warm unchanged = one LIST per 1,000 keys, no GET`,
            measured: `${c.warm.lists} LIST, ${c.warm.gets} GET`,
            pass: c.warm.lists === Math.max(1, Math.ceil(c.files / 1000)) && c.warm.gets === 0,
        })),
        { target: "cold with 50 files at least 8× faster than the baseline", measured: `${fifty.coldSpeedup.toFixed(1)}×`, pass: fifty.coldSpeedup >= 8 },
        { target: "gzip at most a quarter of the raw bytes on the seed data", measured: `${((100 * seedCase.gzipBytes) / seedCase.rawBytes).toFixed(1)}%`, pass: seedCase.gzipBytes * 4 <= seedCase.rawBytes },
        { target: "1,500 files: every record returned (the baseline stops at 1,000 keys)", measured: `ours ${many.cold.records}, baseline ${many.baseline.records}`, pass: many.cold.records === many.records },
        ...bundles.map((b) => ({ target: `${b.fn} bundle under 600 KB`, measured: `${b.bundleKb.toFixed(0)} KB`, pass: b.bundleKb < 600 })),
        { target: "npm start with every lab ready in under 5 s", measured: `${(labStart.medianMs / 1000).toFixed(1)} s`, pass: labStart.medianMs < 5000 },
    ];
    const cpus = os.cpus();
    return {
        machine: { date: new Date().toISOString().slice(0, 10), cpu: cpus[0]?.model.trim() ?? "unknown", cpus: cpus.length, memoryGb: Math.round(os.totalmem() / 1024 ** 3), node: process.version, platform: `${os.platform()} ${os.arch()}` },
        options: o,
        directory,
        sweep,
        bundles,
        program,
        labStart,
        targets,
    };
}

const README_START = "<!-- bench:start (npm run bench -- --readme) -->";
const README_END = "<!-- bench:end -->";

if (require.main === module) {
    (async () => {
        const options = parseOptions(process.argv.slice(2));
        const saved = path.join(ROOT, "bench", "results.json");
        const results = options.reportOnly ? (JSON.parse(fs.readFileSync(saved, "utf8")) as Awaited<ReturnType<typeof runAll>>) : await runAll(options);
        const table = markdown(results);
        if (!options.reportOnly) fs.writeFileSync(saved, JSON.stringify(results, null, 2) + "\n");
        fs.writeFileSync(path.join(ROOT, "bench", "results.md"), table + "\n");
        console.log(table);
        if (options.readme) {
            const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
            const start = readme.indexOf(README_START);
            const end = readme.indexOf(README_END);
            if (start < 0 || end < 0) throw new Error(`README.md lacks the ${README_START} markers`);
            fs.writeFileSync(path.join(ROOT, "README.md"), readme.slice(0, start) + `${README_START}\n${table}\n` + readme.slice(end));
            console.error("updated README.md");
        }
    })().catch((error) => {
        console.error(`bench: ${error instanceof Error ? error.stack : String(error)}`);
        process.exit(1);
    });
}
