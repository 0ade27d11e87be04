/**
 * `npm start`'s start-to-ready time with every lab: from spawning the process to the banner, as a learner waits
 * for it, and the lab's own figure (process start to ready, printed in the banner).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../shared/resource-graph";
import type { LabStartResult } from "./results";
import { median } from "./stats";
import { TYPESCRIPT_HOOK } from "../shared/cli";

/** The labs to time: all four, httpd included when apache2 is installed. */
async function once(): Promise<{ wallMs: number; reportedMs: number; labs: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-bench-start-"));
    const started = process.hrtime.bigint();
    const child = spawn(
        process.execPath,
        [
            "--openssl-legacy-provider",
            "-r",
            TYPESCRIPT_HOOK,
            path.join(ROOT, "local", "start.ts"),
            "--port",
            "0",
            "--web-port",
            "0",
            "--lab-dir",
            dir,
        ],
        { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
        return await new Promise((resolve, reject) => {
            child.stdout.on("data", (d) => {
                out += d;
                const ready = /Local labs running: (.*) \(ready in ([\d.]+) s\)/.exec(out);
                if (ready)
                    resolve({
                        wallMs: Number(process.hrtime.bigint() - started) / 1e6,
                        reportedMs: Number(ready[2]) * 1000,
                        labs: ready[1],
                    });
            });
            void exited.then(() => reject(new Error(`npm start exited before it was ready:\n${out}`)));
        });
    } finally {
        child.kill("SIGINT");
        await exited;
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export async function labStartBench(runs: number): Promise<LabStartResult> {
    await once(); // the first run warms the file system cache; measure the runs after it
    const wall: number[] = [];
    const reported: number[] = [];
    let labs = "";
    for (let i = 0; i < runs; i++) {
        const run = await once();
        wall.push(run.wallMs);
        reported.push(run.reportedMs);
        labs = run.labs;
    }
    return { labs, runs, medianMs: median(wall), maxMs: Math.max(...wall), reportedMs: median(reported) };
}
