import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "./program";

export interface LabProcess {
    child: ChildProcess;
    output(): string;
    /** Resolves with the lab server's URL once the lab prints it; rejects if the process exits first. */
    ready: Promise<string>;
    exited: Promise<number | null>;
}

/** Runs `npm start`'s command line (local/start.ts) as a child process, with the given flags. */
export function spawnLab(args: string[], env: Record<string, string> = {}): LabProcess {
    const child = spawn(
        process.execPath,
        ["--openssl-legacy-provider", "-r", "ts-node/register/transpile-only", path.join(ROOT, "local", "start.ts"), ...args],
        { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const ready = new Promise<string>((resolve, reject) => {
        const check = () => {
            const match = /(?:Lab server|Website)\s+(http:\/\/\S+?)\/?\s/.exec(out);
            if (match) resolve(match[1]);
        };
        child.stdout!.on("data", check);
        exited.then((code) => reject(new Error(`lab exited with ${code} before it was ready:\n${out}`)));
    });
    return { child, output: () => out, ready, exited };
}

/** Runs `npm run lab -- ...` (local/lab-cli.ts) and returns its exit code and output. */
export function runLabCli(args: string[], labDir: string): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "local", "lab-cli.ts"), ...args], {
            cwd: ROOT,
            env: { ...process.env, CLOUD_LABS_DIR: labDir },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("exit", (code) => resolve({ code, output }));
    });
}
