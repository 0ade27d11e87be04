/** Made-up benchmark results with round numbers, for the tests of the report, the targets and the CLI. */
import type { BenchResults } from "../../bench/results";

/** A directory case with round numbers: the floor takes `floorMs`, ours `oursMs`. */
export function directoryCase(name: string, delayMs: number, floorMs: number, oursMs: number, peakRssMb = 100) {
    const measure = (medianMs: number, lists = 1, gets = 0) => ({ medianMs, lists, gets, records: 5000 });
    return {
        name,
        delayMs,
        files: 50,
        records: 5000,
        baseline: measure(1000, 1, 50),
        floorCold: measure(floorMs, 1, 50),
        cold: measure(oursMs, 1, 50),
        floorWarm: measure(floorMs / 10),
        warm: measure(oursMs / 10),
        warmAfterChange: measure(oursMs / 5, 1, 1),
        coldVsFloor: oursMs / floorMs,
        warmVsFloor: oursMs / floorMs,
        coldSpeedup: 1000 / oursMs,
        warmSpeedup: 10000 / oursMs,
        peakRssMb,
        rawBytes: 4096,
        gzipBytes: 1024,
    };
}

const fifty = directoryCase("50 files × 100", 20, 200, 220);
export const results: BenchResults = {
    machine: { date: "2026-11-28", cpu: "Test CPU", cpus: 2, memoryGb: 4, node: "v20.0.0", platform: "linux x64" },
    options: { delayMs: 20, runs: 5 },
    directory: [directoryCase("seed: 3 files × 500", 20, 100, 105), fifty, directoryCase("1,500 files × 1", 20, 1000, 1250, 187)],
    sweep: [directoryCase("50 files × 100", 0, 100, 108), fifty, directoryCase("50 files × 100", 100, 400, 412)],
    bundles: [{ fn: "directory", bundleKb: 427, bundledLoadMs: 117, unbundledLoadMs: 160, loadSpeedup: 160 / 117, nodeStartMs: 150 }],
    program: [{ stack: "dev", medianMs: 2900, resources: 83 }],
    labStart: { labs: "directory, hello, audio, webService", runs: 3, medianMs: 2500, maxMs: 2900, reportedMs: 2400 },
    targets: [{ target: "1,500 files × 1 at 20 ms: ours cold within 1.3× of the floor", measured: "1.25×", pass: true }],
};
