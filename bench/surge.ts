/**
 * `npm run surge`: the course's quiz scenario, measured. A campaign brings 500× the usual sign-ups; the local
 * sign-up lab (API → queue → consumer → DynamoDB) takes them, and the one-server design (bench/one-server.ts: the
 * request waits for the write) takes the same surge, side by side.
 *
 * For each design: a baseline rate, then the surge (default 2/s for 5 s, then 1,000/s for 10 s), driven by
 * autocannon, with repeated emails (another case) and invalid bodies mixed in. Reported: sent, accepted, rejected at
 * the door (4xx), server errors (5xx, timeouts, resets), accept latency p50/p95/p99 during the surge, the time until
 * the queue is drained, and the count check: every accepted sign-up is stored once, recorded as duplicate or
 * rejected, or in the dead-letter queue; lost must be 0.
 *
 * Every run prints and writes bench/out/surge.json and surge.md; `--record` also writes bench/surge-results.json
 * and the table in docs/labs/signup.md (bench/record.ts, the benchmarks' convention).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import autocannon from "autocannon";
import { ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { SIGNUP_ID_HEADER } from "../functions/signup/contract";
import { EXIT, fromCallerDir, numberFlag, parseOrUsage, runMain, UsageError, type CliIo, TYPESCRIPT_HOOK } from "../shared/cli";
import { BACKGROUND_NICE_ENV } from "../shared/background-threads";
import { localDynamoDbClient } from "../shared/local-dynamodb";
import { markers, OUT_DIR, resultsJson, writeRun, type Artifact } from "./record";

const ROOT = path.resolve(__dirname, "..");
/** What a run writes under bench/out/ (the convention of bench/record.ts). */
export const RESULTS_FILE = path.join(ROOT, OUT_DIR, "surge.json");
/** What `--record` writes: the results, and the table in the lab's page. */
export const RECORDED_RESULTS = "bench/surge-results.json";
export const DOC_PAGE = "docs/labs/signup.md";
export const MARKERS = markers("surge", "npm run surge -- --record");
const DESIGNS = ["queue", "one-server"] as const;
/**
 * The labs this bench starts run their stand-ins for other machines (DynamoDB in both designs, the consumer in the
 * queue design) at the lowest CPU priority: on AWS they never take CPU from the API, nor from the visitors' browsers
 * that autocannon plays here (shared/background-threads.ts). A lab given with --lab-dir runs as it was started.
 */
const BACKGROUND_ENV = { ...process.env, [BACKGROUND_NICE_ENV]: "19" };
type Design = (typeof DESIGNS)[number];

const USAGE = `Usage: npm run surge -- [options]

  --baseline-rate N     sign-ups per second before the campaign (default 2)
  --baseline-seconds S  how long the baseline runs (default 5)
  --surge-rate N        sign-ups per second during the campaign (default 1000: 500 × the baseline)
  --surge-seconds S     how long the surge runs (default 10)
  --duplicates F        share of sign-ups repeating an earlier email (default 0.1)
  --invalid F           share of invalid bodies (default 0.05)
  --connections N       connections autocannon opens for the surge (default 1000)
  --design LIST         queue, one-server or both, comma-separated (default both)
  --lab-dir DIR         use the lab running in DIR (npm start) instead of starting one
  --drain-timeout S     how long to wait for the queue to drain (default 600)
  --record              also write bench/surge-results.json and the table in docs/labs/signup.md
  --json                print the results as JSON
  --help                show this

Exit status: 0 the count check passed (lost 0) for every design, 1 it did not, 2 bad arguments.`;

export interface SurgeOptions {
    baselineRate: number;
    baselineSeconds: number;
    surgeRate: number;
    surgeSeconds: number;
    duplicates: number;
    invalid: number;
    connections: number;
    designs: Design[];
    labDir?: string;
    drainTimeoutMs: number;
}

export interface CountCheck {
    accepted: number;
    stored: number;
    duplicate: number;
    rejected: number;
    deadLetter: number;
    /** Accepted and in none of the above. */
    lost: number;
    /** Emails with more than one record claiming them (must be 0). */
    storedTwice: number;
}

export interface DesignResult {
    design: Design;
    /** Requests answered or failed (autocannon's own "sent" also counts requests cut off at the end). */
    sent: number;
    accepted: number;
    /** 4xx answers (throttled, refused bodies). */
    rejectedAtDoor: number;
    /** 5xx answers, timeouts and connection errors. */
    serverErrors: number;
    /** Requests per second actually sent at the surge's full rate (after the ramp): answered ones, first to last sent. */
    surgeRateAchieved: number;
    /** Accept latency during the surge, ms (every answered request). */
    latency: Percentiles;
    /**
     * Accept latency of the requests sent while the surge ran at its full rate, ms: after the ramp, in which
     * autocannon opens its connections group by group (its own CPU) and the rate climbs (fullRateWindow).
     */
    latencyAtFullRate: Percentiles;
    /** From the end of the surge until the queue had no message (0 for the synchronous design). */
    drainMs: number;
    count: CountCheck;
}

export interface Percentiles {
    p50: number;
    p95: number;
    p99: number;
    max: number;
}

/** A request's answer time, and when it was sent (ms from the start of the phase). */
export interface Sample {
    sentAt: number;
    ms: number;
}

/** Requests sent per second from the first to the last sample (`fallbackMs` when they were sent at once). */
export function sendRate(samples: Sample[], fallbackMs: number): number {
    if (samples.length === 0) return 0;
    let first = Infinity;
    let last = -Infinity;
    for (const { sentAt } of samples) {
        first = Math.min(first, sentAt);
        last = Math.max(last, sentAt);
    }
    const spanMs = samples.length > 1 && last > first ? ((last - first) * samples.length) / (samples.length - 1) : fallbackMs;
    return Math.round(samples.length / (spanMs / 1000));
}

/** Nearest-rank percentiles of the samples' answer times. */
export function percentiles(samples: { ms: number }[]): Percentiles {
    const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
    const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0);
    return { p50: pct(50), p95: pct(95), p99: pct(99), max: sorted[sorted.length - 1] ?? 0 };
}

export interface SurgeResults {
    machine: { date: string; cpus: number; cpu: string; node: string; loadAverage: number[] };
    options: Omit<SurgeOptions, "labDir" | "designs" | "drainTimeoutMs">;
    designs: DesignResult[];
}

export async function main(argv: string[], io: CliIo): Promise<number> {
    const parsed = parseOrUsage(
        argv,
        io,
        {
            "baseline-rate": { type: "string" },
            "baseline-seconds": { type: "string" },
            "surge-rate": { type: "string" },
            "surge-seconds": { type: "string" },
            duplicates: { type: "string" },
            invalid: { type: "string" },
            connections: { type: "string" },
            design: { type: "string" },
            "lab-dir": { type: "string" },
            "drain-timeout": { type: "string" },
            record: { type: "boolean" },
            json: { type: "boolean" },
        },
        USAGE,
    );
    if (typeof parsed === "number") return parsed;
    const v = parsed.values;
    let options: SurgeOptions;
    try {
        const designs = (v.design ?? DESIGNS.join(",")).split(",").map((d) => d.trim());
        const unknown = designs.filter((d) => !(DESIGNS as readonly string[]).includes(d));
        if (unknown.length || designs.length === 0) throw new UsageError(`--design ${v.design}: choose from ${DESIGNS.join(", ")}`);
        options = {
            baselineRate: numberFlag("--baseline-rate", v["baseline-rate"] ?? "2", 1, 100_000),
            baselineSeconds: numberFlag("--baseline-seconds", v["baseline-seconds"] ?? "5", 0, 3600),
            surgeRate: numberFlag("--surge-rate", v["surge-rate"] ?? "1000", 1, 100_000),
            surgeSeconds: numberFlag("--surge-seconds", v["surge-seconds"] ?? "10", 0.1, 3600),
            duplicates: numberFlag("--duplicates", v.duplicates ?? "0.1", 0, 0.9),
            invalid: numberFlag("--invalid", v.invalid ?? "0.05", 0, 0.9),
            connections: numberFlag("--connections", v.connections ?? "1000", 1, 10_000, true),
            designs: DESIGNS.filter((d) => designs.includes(d)),
            labDir: v["lab-dir"] === undefined ? undefined : fromCallerDir(v["lab-dir"], io),
            drainTimeoutMs: numberFlag("--drain-timeout", v["drain-timeout"] ?? "600", 1, 86_400) * 1000,
        };
        if (Math.round(options.surgeRate * options.surgeSeconds) < 1)
            throw new UsageError(
                `--surge-rate ${options.surgeRate} for --surge-seconds ${options.surgeSeconds} sends no sign-up: give at least one`,
            );
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.err(`${error.message}\n\n${USAGE}`);
        return EXIT.usage;
    }
    const results: SurgeResults = {
        machine: {
            date: new Date().toISOString().slice(0, 10),
            cpus: os.cpus().length,
            cpu: os.cpus()[0]?.model ?? "unknown",
            node: process.version,
            loadAverage: os.loadavg().map((n) => Number(n.toFixed(1))),
        },
        options: {
            baselineRate: options.baselineRate,
            baselineSeconds: options.baselineSeconds,
            surgeRate: options.surgeRate,
            surgeSeconds: options.surgeSeconds,
            duplicates: options.duplicates,
            invalid: options.invalid,
            connections: options.connections,
        },
        designs: [],
    };
    for (const design of options.designs) {
        if (!v.json) io.out(`${design}: starting`);
        results.designs.push(await runDesign(design, options, io, !v.json));
    }
    const table = markdown(results);
    if (v.json) io.out(JSON.stringify(results, null, 2));
    writeRun(
        ROOT,
        { name: "surge", results, markdown: v.json ? "" : `\n${table}`, tracked: trackedArtifacts(results), record: Boolean(v.record) },
        v.json ? { out: () => undefined, err: io.err } : io,
    );
    return results.designs.every((d) => d.count.lost === 0 && d.count.storedTwice === 0) ? EXIT.ok : EXIT.failed;
}

/** A target to drive: where to POST, and how to read back what it stored. */
interface Target {
    url: string;
    dynamodbEndpoint: string;
    table: string;
    /** The queue's figures (queue design only). */
    queuesUrl?: string;
    close(): Promise<void>;
}

async function runDesign(design: Design, options: SurgeOptions, io: CliIo, progress: boolean): Promise<DesignResult> {
    const target = design === "queue" ? await queueTarget(options.labDir) : await oneServerTarget();
    try {
        const run: Drive = {
            url: target.url,
            bodies: new BodyMaker(options.duplicates, options.invalid),
            accepted: new Set<string>(),
            tally: { sent: 0, accepted: 0, rejectedAtDoor: 0, serverErrors: 0 },
        };
        const { accepted, tally } = run;
        const baselineAmount = Math.round(options.baselineRate * options.baselineSeconds);
        if (baselineAmount > 0) {
            if (progress) io.out(`${design}: baseline, ${options.baselineRate}/s for ${options.baselineSeconds} s`);
            await drive(run, { latencies: [], started: performance.now() }, options.baselineRate, baselineAmount, 1);
        }
        if (progress) io.out(`${design}: surge, ${options.surgeRate}/s for ${options.surgeSeconds} s`);
        const latencies: Sample[] = [];
        const surgeAmount = Math.round(options.surgeRate * options.surgeSeconds);
        const connections = Math.min(options.connections, surgeAmount);
        const fullRate = fullRateWindow(startGroups(options.surgeRate, surgeAmount, connections));
        const started = performance.now();
        await drive(run, { latencies, started }, options.surgeRate, surgeAmount, connections);
        const surgeMs = performance.now() - started;
        const drainStarted = performance.now();
        if (target.queuesUrl) await drained(target.queuesUrl, options.drainTimeoutMs);
        const drainMs = target.queuesUrl ? Math.round(performance.now() - drainStarted) : 0;
        if (progress)
            io.out(
                `${design}: ${tally.accepted} accepted${target.queuesUrl ? `, queue drained ${(drainMs / 1000).toFixed(1)} s after the surge` : ""}; checking the table`,
            );
        const count = await countCheck(target, accepted);
        // A phase too short for a ramp and a full rate after it has no window: its figures are then the whole phase's.
        const windowed = latencies.filter((l) => l.sentAt >= fullRate.fromMs && l.sentAt < fullRate.toMs);
        const atFullRate = windowed.length > 0 ? windowed : latencies;
        return {
            design,
            ...tally,
            surgeRateAchieved: sendRate(atFullRate, surgeMs),
            latency: percentiles(latencies),
            latencyAtFullRate: percentiles(atFullRate),
            drainMs,
            count,
        };
    } finally {
        await target.close();
    }
}

/**
 * In how many groups the surge's connections start, and over how many pacing periods. autocannon paces each
 * connection at rate ÷ connections and starts them all at once, so 1,000 connections at 1,000/s send 1,000 requests
 * in the same millisecond, once a second: not a surge of visitors but a synchronized volley, whose last request
 * waits for the 999 before it. Started in 40 groups over two periods, the same connections send 50 requests every
 * 50 ms: 1,000/s, arriving as visitors do. The two periods are the ramp: opening a connection costs autocannon about
 * 0.4 ms of its one thread, and 1,000 of them opened in one second hold up its reading of the answers.
 */
export const START_GROUPS = 40;
export const RAMP_PERIODS = 2;

/** What one design's run sends and records, shared by its phases and their autocannon groups. */
interface Drive {
    url: string;
    bodies: BodyMaker;
    /** The ids of accepted sign-ups, from `x-signup-id`. */
    accepted: Set<string>;
    tally: { sent: number; accepted: number; rejectedAtDoor: number; serverErrors: number };
}

/** One phase's samples, timed from its start. */
interface Phase {
    latencies: Sample[];
    started: number;
}

/** Sends `amount` sign-ups at `rate` per second over `connections`; tallies answers and records latencies. */
async function drive(run: Drive, phase: Phase, rate: number, amount: number, connections: number): Promise<void> {
    // Every group ends before the phase does, even when one fails: none keeps sending to a target being closed.
    const runs = await Promise.allSettled(
        startGroups(rate, amount, connections).map(async (group) => {
            await new Promise((resolve) => setTimeout(resolve, group.delayMs));
            await driveGroup(run, phase, group);
        }),
    );
    const failed = runs.find((run): run is PromiseRejectedResult => run.status === "rejected");
    if (failed) throw failed.reason;
}

export interface StartGroup {
    /** When the group starts, from the start of the phase. */
    delayMs: number;
    rate: number;
    amount: number;
    connections: number;
}

/**
 * The phase split into START_GROUPS autocannon runs whose starts are spread evenly over RAMP_PERIODS pacing
 * periods (connections ÷ rate seconds each), so that together they send `amount` requests at `rate` per second over
 * `connections`, arriving evenly rather than in one volley a period.
 */
export function startGroups(rate: number, amount: number, connections: number): StartGroup[] {
    // autocannon paces whole requests per connection per second, and takes at most as many connections as requests
    // per second or requests in all: whole numbers, each connection at least one a second and one request.
    const wholeRate = Math.max(1, Math.round(rate));
    const used = Math.max(1, Math.min(connections, wholeRate, amount));
    const groups = Math.min(START_GROUPS, used);
    const split = (total: number, parts: number, i: number) => Math.floor(total / parts) + (i < total % parts ? 1 : 0);
    const groupConnections = Array.from({ length: groups }, (_, g) => split(used, groups, g));
    // Each connection's rate and request count, in whole numbers that add up to the phase's.
    let firstConnection = 0;
    const periodMs = (1000 * used) / wholeRate;
    // The ramp spreads the starts over RAMP_PERIODS pacing periods, but over no more than a quarter of the phase.
    const rampMs = Math.min(RAMP_PERIODS * periodMs, (1000 * amount) / wholeRate / 4);
    return groupConnections.map((n, g) => {
        const ids = Array.from({ length: n }, (_, i) => firstConnection + i);
        firstConnection += n;
        return {
            delayMs: (g * rampMs) / groups,
            rate: ids.reduce((sum, i) => sum + split(wholeRate, used, i), 0),
            amount: ids.reduce((sum, i) => sum + split(amount, used, i), 0),
            connections: n,
        };
    });
}

/**
 * When the phase runs at its full rate: from the start of the last group (the ramp's end) until the first group has
 * sent all its requests (the rate falls from then on).
 */
export function fullRateWindow(groups: StartGroup[]): { fromMs: number; toMs: number } {
    return {
        fromMs: Math.max(...groups.map((g) => g.delayMs)),
        toMs: Math.min(...groups.map((g) => g.delayMs + (1000 * g.amount) / g.rate)),
    };
}

/** One autocannon run: the group's requests at its rate over its connections. */
async function driveGroup(run: Drive, phase: Phase, { rate, amount, connections }: StartGroup): Promise<void> {
    const { bodies, accepted, tally } = run;
    // Without a callback autocannon returns its instance, an event emitter that is also the result's promise.
    const instance = autocannon({
        url: `${run.url}/signup`,
        connections,
        overallRate: rate,
        amount,
        timeout: 10,
        requests: [
            {
                method: "POST",
                headers: { "content-type": "application/json" },
                setupRequest: (request) => ({ ...request, body: bodies.next() }),
                onResponse: (status, _body, _context, headers) => {
                    const id = (headers as Record<string, string> | undefined)?.[SIGNUP_ID_HEADER];
                    if (status >= 200 && status < 300 && id) accepted.add(id);
                },
            },
        ],
    }) as unknown as autocannon.Instance & Promise<autocannon.Result>;
    void instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        tally.sent++;
        phase.latencies.push({ sentAt: performance.now() - responseTime - phase.started, ms: responseTime });
        if (statusCode >= 200 && statusCode < 300) tally.accepted++;
        else if (statusCode >= 400 && statusCode < 500) tally.rejectedAtDoor++;
        else tally.serverErrors++;
    });
    const result = await instance;
    tally.sent += result.errors;
    tally.serverErrors += result.errors; // connection errors and resets; autocannon counts its timeouts among them
}

/** Bodies with repeated emails (another case) and invalid ones mixed in, deterministically. */
class BodyMaker {
    private i = 0;
    private readonly run = Date.now().toString(36);
    private readonly valid: string[] = [];
    private seed = 42;
    constructor(
        private readonly duplicates: number,
        private readonly invalid: number,
    ) {}
    private random(): number {
        // mulberry32: the same mix on every run
        let t = (this.seed += 0x6d2b79f5);
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    next(): string {
        const i = this.i++;
        const r = this.random();
        if (r < this.invalid)
            return ["not json", JSON.stringify({ name: "No Email" }), JSON.stringify({ name: "Bad", email: "not-an-address" })][i % 3];
        if (r < this.invalid + this.duplicates && this.valid.length > 0) {
            const email = this.valid[Math.floor(this.random() * this.valid.length)];
            return JSON.stringify({ name: "Again", email: email.toUpperCase() });
        }
        const email = `surge-${this.run}-${i}@example.org`;
        this.valid.push(email);
        return JSON.stringify({ name: `Visitor ${i}`, email });
    }
}

/** Waits until the queue has no visible or in-flight message. */
async function drained(queuesUrl: string, limitMs: number): Promise<void> {
    const started = performance.now();
    for (;;) {
        const report = (await (await fetch(queuesUrl)).json()) as { queue: { visible: number; inFlight: number } };
        if (report.queue.visible === 0 && report.queue.inFlight === 0) return;
        if (performance.now() - started > limitMs)
            throw new Error(
                `the queue still held ${report.queue.visible + report.queue.inFlight} messages after ${limitMs / 1000} s (--drain-timeout)`,
            );
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

/** Every accepted sign-up: stored once, recorded duplicate or rejected, or in the dead-letter queue. */
async function countCheck(target: Target, accepted: Set<string>): Promise<CountCheck> {
    const client = localDynamoDbClient(target.dynamodbEndpoint);
    const states = new Map<string, string>();
    const emailClaims = new Map<string, number>();
    try {
        let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
        do {
            const page = await client.send(new ScanCommand({ TableName: target.table, ExclusiveStartKey }));
            for (const item of page.Items ?? []) {
                const pk = item.pk?.S ?? "";
                if (pk.startsWith("signup#")) states.set(pk.slice("signup#".length), item.state?.S ?? "");
                else if (pk.startsWith("email#")) emailClaims.set(pk, (emailClaims.get(pk) ?? 0) + 1);
            }
            ExclusiveStartKey = page.LastEvaluatedKey;
        } while (ExclusiveStartKey);
    } finally {
        client.destroy();
    }
    const deadLetter = new Set<string>();
    if (target.queuesUrl) {
        const report = (await (await fetch(target.queuesUrl)).json()) as { deadLetterQueue: { signupIds: string[] } };
        for (const id of report.deadLetterQueue.signupIds) deadLetter.add(id);
    }
    const count: CountCheck = { accepted: accepted.size, stored: 0, duplicate: 0, rejected: 0, deadLetter: 0, lost: 0, storedTwice: 0 };
    for (const id of accepted) {
        const state = states.get(id);
        if (state === "stored") count.stored++;
        else if (state === "duplicate") count.duplicate++;
        else if (state === "rejected") count.rejected++;
        else if (deadLetter.has(id)) count.deadLetter++;
        else count.lost++;
    }
    count.storedTwice = [...emailClaims.values()].filter((n) => n > 1).length;
    return count;
}

/** The local lab: the one running in `labDir`, or a fresh one started for the run. */
async function queueTarget(labDir: string | undefined): Promise<Target> {
    let child: ChildProcess | undefined;
    let dir = labDir;
    if (!dir) {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-surge-"));
        const logFile = path.join(dir, "lab.log");
        const log = fs.openSync(logFile, "a");
        child = spawn(
            process.execPath,
            [
                "--openssl-legacy-provider",
                "-r",
                TYPESCRIPT_HOOK,
                path.join(ROOT, "local", "start.ts"),
                "--labs",
                "signup",
                "--port",
                "0",
                "--lab-dir",
                dir,
            ],
            // Its log goes to a file, not a pipe: Node writes to a pipe synchronously, so a lab logging each sign-up
            // would stall on a full pipe whenever this process, busy starting connections, is slow to read it.
            { cwd: ROOT, env: BACKGROUND_ENV, stdio: ["ignore", log, log] },
        );
        fs.closeSync(log);
        await waitForLog(child, logFile, /Local labs running:/, "npm start -- --labs signup");
    }
    const file = path.join(dir, "outputs.json");
    if (!fs.existsSync(file))
        throw new Error(`no lab is running in ${dir} (${file} is missing): start one with npm start -- --labs signup`);
    const outputs = JSON.parse(fs.readFileSync(file, "utf8")) as {
        url: string;
        signupApiUrl?: string;
        signupTableName?: string;
        dynamodbEndpoint?: string;
    };
    if (!outputs.signupApiUrl || !outputs.dynamodbEndpoint || !outputs.signupTableName)
        throw new Error(`the lab in ${dir} does not run the sign-up lab (npm start -- --labs signup)`);
    const ownDir = labDir ? undefined : dir;
    return {
        url: outputs.signupApiUrl,
        dynamodbEndpoint: outputs.dynamodbEndpoint,
        table: outputs.signupTableName,
        queuesUrl: `${outputs.url}/local/signup/queues`,
        close: async () => {
            if (child) await stopChild(child);
            if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
        },
    };
}

async function oneServerTarget(): Promise<Target> {
    const child = spawn(process.execPath, ["-r", TYPESCRIPT_HOOK, path.join(ROOT, "bench", "one-server.ts")], {
        cwd: ROOT,
        env: BACKGROUND_ENV,
        stdio: ["ignore", "pipe", "pipe"],
    });
    const line = await waitForLine(child, /one-server ready (\S+) (\S+)/, "bench/one-server.ts");
    return { url: line[1], dynamodbEndpoint: line[2], table: "signups", close: () => stopChild(child) };
}

/** Waits until the child's log file shows `pattern`; rejects with the log if the child exits first. */
async function waitForLog(child: ChildProcess, logFile: string, pattern: RegExp, what: string): Promise<void> {
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    for (;;) {
        const text = fs.readFileSync(logFile, "utf8");
        if (pattern.test(text)) return;
        if (code !== undefined) throw new Error(`${what} exited (${code}) before it was ready:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
        let out = "";
        const onData = (d: Buffer) => {
            out += d.toString("utf8");
            const match = pattern.exec(out);
            if (match) {
                child.stdout!.off("data", onData);
                child.stdout!.resume();
                resolve(match);
            }
        };
        child.stdout!.on("data", onData);
        child.stderr!.on("data", (d) => (out += d));
        child.once("exit", (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${out}`)));
    });
}

async function stopChild(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
}

const ms = (n: number) => `${n.toFixed(0)} ms`;
const latencyCell = (l: Percentiles) => `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)} (${ms(l.max)})`;

/** The results as a Markdown table, with the run's conditions. */
export function markdown(results: SurgeResults): string {
    const o = results.options;
    const m = results.machine;
    const lines = [
        `Measured ${m.date} on ${m.cpus} × ${m.cpu}, Node ${m.node} (load average ${m.loadAverage.join(", ")} at the start): ${o.baselineRate}/s for ${o.baselineSeconds} s, then ${o.surgeRate}/s for ${o.surgeSeconds} s over ${o.connections} connections; ${Math.round(o.duplicates * 100)}% repeated emails, ${Math.round(o.invalid * 100)}% invalid bodies.`,
        "",
        "| design | sent | accepted | rejected at the door | server errors | surge rate reached | accept p50 / p95 / p99 (max), whole surge | the same at full rate (after the ramp) | queue drained after | stored | duplicate | rejected | dead-letter | lost |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ...results.designs.map(
            (d) =>
                `| ${d.design === "queue" ? "queue (API → SQS → Lambda)" : "one server (request waits for the write)"} | ${d.sent} | ${d.accepted} | ${d.rejectedAtDoor} | ${d.serverErrors} | ${d.surgeRateAchieved}/s | ` +
                `${latencyCell(d.latency)} | ${latencyCell(d.latencyAtFullRate)} | ${d.design === "queue" ? `${(d.drainMs / 1000).toFixed(1)} s` : "n/a"} | ` +
                `${d.count.stored} | ${d.count.duplicate} | ${d.count.rejected} | ${d.count.deadLetter} | **${d.count.lost}** |`,
        ),
    ];
    return lines.join("\n");
}

/** What `--record` writes: the results and the table between the markers in docs/labs/signup.md. */
export function trackedArtifacts(results: SurgeResults): Artifact[] {
    return [
        { file: RECORDED_RESULTS, text: resultsJson(results) },
        { file: DOC_PAGE, text: markdown(results), markers: MARKERS },
    ];
}

if (require.main === module) runMain(main, USAGE);
