/**
 * `npm run bench [-- --delay 20 --runs 5 --readme --docs]`: measures, in one run, ratios against references
 * measured in the same run. Not part of `npm test`.
 *
 * 1. The directory handler against the floor (bench/floor.ts: one GET wave per listing page) and the lab's
 *    reference solution, all against s3rver behind a latency proxy; and the deployed bundle's peak RSS.
 * 2. Each function's bundle: size, and the time to load it in a fresh Node process vs. unbundled from node_modules.
 * 3. The whole program under mocks, per stack: time and resource count.
 * 4. `npm start` with every lab: start to ready.
 *
 * Writes bench/results.json and bench/results.md; with --readme also the README's Performance table, with --docs
 * the whole docs/performance.md (rendered by bench/report.ts).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { buildSync } from "esbuild";
import { createHandler, mapLimit } from "../functions/directory/core";
import { directoryS3Client } from "../functions/directory/s3-client";
import { memoryLogger } from "../functions/shared/log";
import { localS3Client, localS3Config } from "../shared/local-s3";
import { functionEntries } from "../scripts/build-functions";
import { generateUser } from "../scripts/generate-users";
import { ROOT, runProgram, shippedStacks } from "../shared/resource-graph";
import { bundle } from "../stacks/bundle";
import { getEvent } from "../test/helpers/events";
import { createFloor } from "./floor";
import { markdown, performancePage, readmeSummary, WARM_SAMPLES_FACTOR } from "./report";
import { labStartBench } from "./lab-start";
import { createReferenceHandler } from "./reference-solution";

interface Options {
    delayMs: number;
    runs: number;
    readme: boolean;
    /** Write docs/performance.md, the whole page. */
    docs: boolean;
    /** Re-render the tables from bench/results.json without measuring. */
    reportOnly: boolean;
}

function parseOptions(argv: string[]): Options {
    const options: Options = { delayMs: 20, runs: 5, readme: false, docs: false, reportOnly: false };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--report-only") options.reportOnly = true;
        else if (argv[i] === "--delay") options.delayMs = Number(argv[++i]);
        else if (argv[i] === "--runs") options.runs = Number(argv[++i]);
        else if (argv[i] === "--readme") options.readme = true;
        else if (argv[i] === "--docs") options.docs = true;
        else throw new Error(`unknown option ${argv[i]} (use --delay MS, --runs N, --readme, --docs, --report-only)`);
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
    /** The simulated S3 round trip this case ran with. */
    delayMs: number;
    files: number;
    records: number;
    baseline: Measure;
    /** The floor (bench/floor.ts): list, then one parallel GET wave per listing page, merge. */
    floorCold: Measure;
    cold: Measure;
    floorWarm: Measure;
    warm: Measure;
    warmAfterChange: Measure;
    /** Ours ÷ floor, cold and warm (1 = the floor; lower is better). */
    coldVsFloor: number;
    warmVsFloor: number;
    coldSpeedup: number;
    warmSpeedup: number;
    /** The most memory the deployed bundle's process held (max RSS) over a cold invocation, as in Lambda. */
    peakRssMb: number;
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

type Call = () => Promise<{ body?: string }>;


/**
 * The deployed bundle of the directory function in a fresh Node process, as Lambda runs it, against `endpoint`:
 * one cold invocation; returns the process's peak RSS in MB.
 */
function handlerProcessPeakRss(endpoint: string, records: number): number {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-bench-fn-"));
    try {
        const file = path.join(dir, "index.js");
        fs.writeFileSync(file, bundle("functions/directory/index.ts").code);
        const script = `require(${JSON.stringify(file)}).handler({ rawPath: "/users", headers: {} }).then((r) => {
            console.log(JSON.stringify({ status: r.statusCode, total: JSON.parse(r.body).total, maxRssKb: process.resourceUsage().maxRSS }));
        });`;
        const env = { PATH: process.env.PATH, DATA_BUCKET: "data", AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
        const result = spawnSync(process.execPath, ["-e", script], { env, cwd: dir, encoding: "utf8", timeout: 300_000 });
        const out = JSON.parse(result.stdout || "{}") as { status?: number; total?: number; maxRssKb?: number };
        if (out.status !== 200 || out.total !== records) throw new Error(`the bundled handler answered ${result.stdout} ${result.stderr}`);
        return out.maxRssKb! / 1024;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function directoryCase(name: string, files: { key: string; body: string }[], o: Options): Promise<DirectoryCase> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-bench-"));
    const server = await startServerProcess(dir, o.delayMs);
    const direct = localS3Client(server.s3);
    // Every client is built as the function builds its own (keep-alive pool sized to a GET wave), so the floor
    // and the handler differ only in what they do with it.
    const newClient = () => directoryS3Client(localS3Config(server.proxy));
    const clients: S3Client[] = [];
    const client = (c = newClient()) => (clients.push(c), c);
    /** Cold calls' clients, closed before the next call so their sockets do not pile up. */
    const retire: S3Client[] = [];
    const coldClient = () => (retire.push(newClient()), retire[retire.length - 1]);
    try {
        await mapLimit(files, 32, (f) => direct.send(new PutObjectCommand({ Bucket: "data", Key: f.key, Body: f.body })).then(() => undefined));
        const logger = memoryLogger();
        const once = async (call: Call) => {
            await server.counts(true);
            const [ms, result] = await timed(call);
            const counts = await server.counts();
            const body = JSON.parse(result.body ?? "null");
            return { ms, counts, records: Array.isArray(body) ? body.length : body.total };
        };
        /**
         * Times each of `calls` `runs` times, interleaved and in turns (one run of each, then again with the order
         * rotated), so the load of this shared machine falls on all of them alike; `make` builds a fresh call
         * (cold) or returns the same one (warm).
         */
        const measure = async (makes: (() => Call)[], prepare: () => Promise<void> = async () => undefined, runs = o.runs): Promise<Measure[]> => {
            const samples = makes.map(() => ({ times: [] as number[], lists: 0, gets: 0, records: 0 }));
            for (let i = 0; i < runs; i++) {
                for (let j = 0; j < makes.length; j++) {
                    const k = (i + j) % makes.length;
                    for (const c of retire.splice(0)) c.destroy();
                    const call = makes[k]();
                    await prepare();
                    const run = await once(call);
                    Object.assign(samples[k], { lists: run.counts.list, gets: run.counts.get, records: run.records });
                    samples[k].times.push(run.ms);
                }
            }
            return samples.map((s) => ({ medianMs: median(s.times), lists: s.lists, gets: s.gets, records: s.records }));
        };
        const ours = (c: S3Client) => createHandler({ s3: c, bucket: "data", logger });
        const event = getEvent("/users");

        const reference = createReferenceHandler(client(), "data");
        const [baseline] = await measure([() => reference]);
        // Cold: a new client (so new connections, as in a new Lambda container) and an empty cache for every call.
        const [cold, floorCold] = await measure([
            () => {
                const handler = ours(coldClient());
                return () => handler(event);
            },
            () => createFloor(coldClient(), "data"),
        ]);
        // Warm: one call first, then the measured ones reuse the cache and the kept-alive connections.
        const warmHandler = ours(client());
        const warmFloor = createFloor(client(), "data");
        await warmHandler(event);
        await warmFloor();
        const [warm, floorWarm] = await measure([() => () => warmHandler(event), () => warmFloor], undefined, WARM_SAMPLES_FACTOR * o.runs);
        let version = 0;
        const [warmAfterChange] = await measure(
            [() => () => warmHandler(event)],
            async () => {
                const changed = JSON.parse(files[0].body) as Record<string, unknown>[];
                changed[0] = { ...changed[0], title: `Changed ${++version}` };
                await direct.send(new PutObjectCommand({ Bucket: "data", Key: files[0].key, Body: JSON.stringify(changed) }));
            },
        );
        const raw = await warmHandler(event);
        const zipped = await warmHandler(getEvent("/users", {}, { "accept-encoding": "gzip" }));
        const records = files.reduce((n, f) => n + (JSON.parse(f.body) as unknown[]).length, 0);
        const peakRssMb = Math.max(...Array.from({ length: Math.min(3, o.runs) }, () => handlerProcessPeakRss(server.proxy, records)));
        return {
            name,
            delayMs: o.delayMs,
            files: files.length,
            records,
            baseline,
            floorCold,
            cold,
            floorWarm,
            warm,
            warmAfterChange,
            coldVsFloor: cold.medianMs / floorCold.medianMs,
            warmVsFloor: warm.medianMs / floorWarm.medianMs,
            coldSpeedup: baseline.medianMs / cold.medianMs,
            warmSpeedup: baseline.medianMs / warm.medianMs,
            peakRssMb,
            rawBytes: Buffer.byteLength(raw.body ?? ""),
            gzipBytes: zipped.isBase64Encoded ? Buffer.from(zipped.body ?? "", "base64").length : Buffer.byteLength(zipped.body ?? ""),
        };
    } finally {
        for (const c of [...clients, ...retire]) c.destroy();
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

const FUNCTION_ENV = { DATA_BUCKET: "bench", ALEXA_SKILL_ID: "amzn1.ask.skill.00000000-0000-4000-8000-000000000000", POLLY_VOICE: "Joanna", POLLY_ENGINE: "standard", AWS_REGION: "us-east-1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

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

export function bundleBench(runs: number): BundleResult[] {
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

// ---------------------------------------------------------------- run

/** Within this factor of the floor, the handler's own overhead is small enough (issue 14's targets). */
const FLOOR_TARGET = 1.15;
const FLOOR_TARGET_1500 = 1.3;
const FUNCTION_MEMORY_MB = 256;

async function runAll(o: Options) {
    const seed = ["users_1.json", "users_2.json", "users_3.json"].map((key) => ({ key, body: fs.readFileSync(path.join(ROOT, "data", key), "utf8") }));
    console.error("directory handler: seed data …");
    const directory = [await directoryCase("seed: 3 files × 500", seed, o)];
    console.error("directory handler: 50 files × 100 …");
    directory.push(await directoryCase("50 files × 100", syntheticFiles(50, 100), o));
    console.error("directory handler: 1,500 files × 1 …");
    directory.push(await directoryCase("1,500 files × 1", syntheticFiles(1500, 1), o));
    // The 50-file case by round trip: the emulator's own service time weighs most at 0 ms, the round trip at 100.
    const sweep: DirectoryCase[] = [];
    for (const delayMs of [0, o.delayMs, 100].filter((d, i, all) => all.indexOf(d) === i).sort((a, b) => a - b)) {
        console.error(`directory handler: 50 files × 100 at a ${delayMs} ms round trip …`);
        sweep.push(delayMs === o.delayMs ? directory[1] : await directoryCase("50 files × 100", syntheticFiles(50, 100), { ...o, delayMs }));
    }
    console.error("bundles …");
    const bundles = bundleBench(o.runs);
    console.error("program under mocks …");
    const program = await programBench(o.runs);
    console.error("npm start, every lab …");
    const labStart = await labStartBench(o.runs);

    const [seedCase, fifty, many] = directory;
    const within = (c: DirectoryCase, which: "cold" | "warm", limit: number) => {
        const value = which === "cold" ? c.coldVsFloor : c.warmVsFloor;
        return { target: `${c.name} at ${c.delayMs} ms: ours ${which} within ${limit}× of the floor`, measured: `${value.toFixed(2)}×`, pass: value <= limit };
    };
    const targets = [
        ...directory.map((c) => ({
            target: `${c.name}: warm unchanged = one LIST per 1,000 keys, no GET`,
            measured: `${c.warm.lists} LIST, ${c.warm.gets} GET`,
            pass: c.warm.lists === Math.max(1, Math.ceil(c.files / 1000)) && c.warm.gets === 0,
        })),
        ...sweep.flatMap((c) => [within(c, "cold", FLOOR_TARGET), within(c, "warm", FLOOR_TARGET)]),
        within(many, "cold", FLOOR_TARGET_1500),
        { target: `1,500 files × 1: peak RSS of the function's own process under ${FUNCTION_MEMORY_MB} MB`, measured: `${many.peakRssMb.toFixed(0)} MB`, pass: many.peakRssMb < FUNCTION_MEMORY_MB },
        { ...within(seedCase, "cold", FLOOR_TARGET), target: `seed: no regression (3 files were already one wave): ours cold within ${FLOOR_TARGET}× of the floor` },
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

export type BenchResults = Awaited<ReturnType<typeof runAll>>;

export const README_START = "<!-- bench:start (npm run bench -- --readme) -->";
export const README_END = "<!-- bench:end -->";
/** The page `--docs` writes, whole. */
export const PERFORMANCE_PAGE = path.join("docs", "performance.md");

if (require.main === module) {
    (async () => {
        const options = parseOptions(process.argv.slice(2));
        const saved = path.join(ROOT, "bench", "results.json");
        const results = options.reportOnly ? (JSON.parse(fs.readFileSync(saved, "utf8")) as BenchResults) : await runAll(options);
        const table = markdown(results);
        if (!options.reportOnly) fs.writeFileSync(saved, JSON.stringify(results, null, 2) + "\n");
        fs.writeFileSync(path.join(ROOT, "bench", "results.md"), table + "\n");
        console.log(table);
        if (options.readme) {
            const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
            const start = readme.indexOf(README_START);
            const end = readme.indexOf(README_END);
            if (start < 0 || end < 0) throw new Error(`README.md lacks the ${README_START} markers`);
            fs.writeFileSync(path.join(ROOT, "README.md"), readme.slice(0, start) + `${README_START}\n${readmeSummary(results)}\n` + readme.slice(end));
            console.error("updated README.md");
        }
        if (options.docs) {
            fs.mkdirSync(path.join(ROOT, path.dirname(PERFORMANCE_PAGE)), { recursive: true });
            fs.writeFileSync(path.join(ROOT, PERFORMANCE_PAGE), performancePage(results));
            console.error(`wrote ${PERFORMANCE_PAGE}`);
        }
    })().catch((error) => {
        console.error(`bench: ${error instanceof Error ? error.stack : String(error)}`);
        process.exit(1);
    });
}
