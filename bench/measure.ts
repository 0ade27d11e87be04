/**
 * One whole benchmark run, in order: the directory handler (bench/directory.ts), the bundles (bench/bundles.ts),
 * the program under mocks (bench/program.ts) and `npm start` with every lab (bench/lab-start.ts). Ratios are
 * always against references measured in the same run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../shared/resource-graph";
import { bundleBench } from "./bundles";
import { directoryCase, syntheticFiles } from "./directory";
import { labStartBench } from "./lab-start";
import { programBench } from "./program";
import type { BenchOptions, DirectoryCase, Machine, Measurements } from "./results";

/** The machine a run measured on; the date is the day of the run. */
export function machine(): Machine {
    const cpus = os.cpus();
    return {
        date: new Date().toISOString().slice(0, 10),
        cpu: cpus[0]?.model.trim() ?? "unknown",
        cpus: cpus.length,
        memoryGb: Math.round(os.totalmem() / 1024 ** 3),
        node: process.version,
        platform: `${os.platform()} ${os.arch()}`,
    };
}

/** Measures everything with `o`; `progress` hears which part is running. */
export async function measureAll(o: BenchOptions, progress: (text: string) => void): Promise<Measurements> {
    const seed = ["users_1.json", "users_2.json", "users_3.json"].map((key) => ({
        key,
        body: fs.readFileSync(path.join(ROOT, "data", key), "utf8"),
    }));
    progress("directory handler: seed data …");
    const directory = [await directoryCase("seed: 3 files × 500", seed, o)];
    progress("directory handler: 50 files × 100 …");
    directory.push(await directoryCase("50 files × 100", syntheticFiles(50, 100), o));
    progress("directory handler: 1,500 files × 1 …");
    directory.push(await directoryCase("1,500 files × 1", syntheticFiles(1500, 1), o));
    // The 50-file case by round trip: the emulator's own service time weighs most at 0 ms, the round trip at 100.
    const sweep: DirectoryCase[] = [];
    for (const delayMs of [0, o.delayMs, 100].filter((d, i, all) => all.indexOf(d) === i).sort((a, b) => a - b)) {
        progress(`directory handler: 50 files × 100 at a ${delayMs} ms round trip …`);
        sweep.push(
            delayMs === o.delayMs ? directory[1] : await directoryCase("50 files × 100", syntheticFiles(50, 100), { ...o, delayMs }),
        );
    }
    progress("bundles …");
    const bundles = bundleBench(o.runs);
    progress("program under mocks …");
    const program = await programBench(o.runs);
    progress("npm start, every lab …");
    const labStart = await labStartBench(o.runs);
    return { machine: machine(), options: { delayMs: o.delayMs, runs: o.runs }, directory, sweep, bundles, program, labStart };
}
