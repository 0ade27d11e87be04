/**
 * The directory handler against the floor (bench/floor.ts: one GET wave per listing page) and the lab's reference
 * solution, all against s3rver behind a latency proxy (in their own process); and the deployed bundle's peak RSS.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createHandler, mapLimit } from "../functions/directory/core";
import { directoryS3Client } from "../functions/directory/s3-client";
import { memoryLogger } from "../functions/shared/log";
import { localS3Client, localS3Config } from "../shared/local-s3";
import { ROOT } from "../shared/resource-graph";
import { getEvent } from "../shared/http-event";
import { placeholderUserFiles } from "../shared/placeholder-users";
import { bundle } from "../stacks/bundle";
import { createFloor } from "./floor";
import { WARM_SAMPLES_FACTOR } from "./report";
import { createReferenceHandler } from "./reference-solution";
import type { BenchOptions, DirectoryCase, Measure } from "./results";
import { median, timed } from "./stats";
import { TYPESCRIPT_HOOK } from "../shared/cli";

/** s3rver behind the latency proxy, in a child process (see s3-server-process.ts). */
async function startServerProcess(dir: string, delayMs: number) {
    const child = spawn(
        process.execPath,
        ["--openssl-legacy-provider", "-r", TYPESCRIPT_HOOK, path.join(__dirname, "s3-server-process.ts"), dir, String(delayMs)],
        { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    const endpoints = await new Promise<{ s3: string; proxy: string; control: string }>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]) as { s3: string; proxy: string; control: string });
        });
        child.once("exit", (code) => reject(new Error(`s3 server process exited with ${code}`)));
    });
    const counts = async (reset = false) =>
        (await (await fetch(`${endpoints.control}/${reset ? "__reset" : "__counts"}`, { method: reset ? "POST" : "GET" })).json()) as {
            list: number;
            get: number;
        };
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
        const env = {
            PATH: process.env.PATH,
            DATA_BUCKET: "data",
            AWS_ENDPOINT_URL_S3: endpoint,
            AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: "S3RVER",
            AWS_SECRET_ACCESS_KEY: "S3RVER",
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        };
        const result = spawnSync(process.execPath, ["-e", script], { env, cwd: dir, encoding: "utf8", timeout: 300_000 });
        const out = JSON.parse(result.stdout || "{}") as { status?: number; total?: number; maxRssKb?: number };
        if (out.status !== 200 || out.total !== records) throw new Error(`the bundled handler answered ${result.stdout} ${result.stderr}`);
        return out.maxRssKb! / 1024;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export async function directoryCase(name: string, files: { key: string; body: string }[], o: BenchOptions): Promise<DirectoryCase> {
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
        await mapLimit(files, 32, (f) =>
            direct.send(new PutObjectCommand({ Bucket: "data", Key: f.key, Body: f.body })).then(() => undefined),
        );
        const logger = memoryLogger();
        const once = async (call: Call) => {
            await server.counts(true);
            const [ms, result] = await timed(call);
            const counts = await server.counts();
            // The reference solution answers an array of records, the handler and the floor { users, total }.
            const body = JSON.parse(result.body ?? "null") as unknown[] | { total: number };
            return { ms, counts, records: Array.isArray(body) ? body.length : body.total };
        };
        /**
         * Times each of `calls` `runs` times, interleaved and in turns (one run of each, then again with the order
         * rotated), so the load of this shared machine falls on all of them alike; `make` builds a fresh call
         * (cold) or returns the same one (warm).
         */
        const measure = async (
            makes: (() => Call)[],
            prepare: () => Promise<void> = async () => undefined,
            runs = o.runs,
        ): Promise<Measure[]> => {
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
        const [warmAfterChange] = await measure([() => () => warmHandler(event)], async () => {
            const changed = JSON.parse(files[0].body) as Record<string, unknown>[];
            changed[0] = { ...changed[0], title: `Changed ${++version}` };
            await direct.send(new PutObjectCommand({ Bucket: "data", Key: files[0].key, Body: JSON.stringify(changed) }));
        });
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

/** `count` files of `perFile` placeholder users each, named as the lab's data files are. */
export function syntheticFiles(count: number, perFile: number): { key: string; body: string }[] {
    return placeholderUserFiles(count * perFile, perFile).map((users, i) => ({
        key: `users_${String(i + 1).padStart(4, "0")}.json`,
        body: JSON.stringify(users),
    }));
}
