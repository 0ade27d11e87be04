/**
 * Each function's bundle: its size, and the time to load it in a fresh Node process against the same code
 * unbundled from node_modules.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { ROOT } from "../shared/resource-graph";
import { bundle, functionEntries } from "../stacks/bundle";
import type { BundleResult } from "./results";
import { median } from "./stats";

const FUNCTION_ENV = {
    DATA_BUCKET: "bench",
    ALEXA_SKILL_ID: "amzn1.ask.skill.00000000-0000-4000-8000-000000000000",
    POLLY_VOICE: "Joanna",
    POLLY_ENGINE: "standard",
    AWS_REGION: "us-east-1",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

function loadTime(file: string | undefined, runs: number): number {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        const script = file ? `require(${JSON.stringify(file)})` : "0";
        const result = spawnSync(process.execPath, ["-e", script], { env: { ...process.env, ...FUNCTION_ENV, NODE_OPTIONS: "" } });
        if (result.status !== 0) throw new Error(`loading ${file} failed: ${result.stderr.toString()}`);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return median(times);
}

export function bundleBench(runs: number): BundleResult[] {
    const out = path.join(ROOT, "dist", "bench");
    fs.rmSync(out, { recursive: true, force: true });
    // Unbundled: every source file compiled one to one, so imports resolve from node_modules as they would
    // without a bundler.
    const sources = fs
        .readdirSync(path.join(ROOT, "functions"), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".ts"));
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
        return {
            fn: name,
            bundleKb: fs.statSync(bundled).size / 1024,
            bundledLoadMs,
            unbundledLoadMs,
            loadSpeedup: unbundledLoadMs / bundledLoadMs,
            nodeStartMs,
        };
    });
}
