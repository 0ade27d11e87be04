import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "./program";
import { TYPESCRIPT_HOOK } from "../../shared/cli";

export interface LabProcess {
    child: ChildProcess;
    output(): string;
    /** Resolves with the lab server's URL once the lab prints it; rejects if the process exits first. */
    ready: Promise<string>;
    exited: Promise<number | null>;
}

/** The flags with `--web-port 0` added when they name none: tests never depend on httpd's fixed default port. */
function withFreeWebPort(args: string[]): string[] {
    return args.some((a) => a === "--web-port" || a.startsWith("--web-port=")) ? args : [...args, "--web-port", "0"];
}

/** Runs `npm start`'s command line (local/start.ts) as a child process, with the given flags. */
export function spawnLab(args: string[], env: Record<string, string> = {}): LabProcess {
    const child = spawn(
        process.execPath,
        ["--openssl-legacy-provider", "-r", TYPESCRIPT_HOOK, path.join(ROOT, "local", "start.ts"), ...withFreeWebPort(args)],
        { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    return watchLab(child);
}

/** Collects a lab process's output and tells when it is ready (prints its website URL) or has exited. */
function watchLab(child: ChildProcess): LabProcess {
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
        void exited.then((code) => reject(new Error(`lab exited with ${code} before it was ready:\n${out}`)));
    });
    ready.catch(() => undefined); // a test that expects the exit need not await ready
    return { child, output: () => out, ready, exited };
}

/**
 * Runs `npm run lab -- --lab-dir <labDir> ...` (local/lab-cli.ts; without the flag when labDir is undefined) and
 * returns its exit code and output; `env` adds to the environment (e.g. INIT_CWD, the folder npm was run in).
 */
export function runLabCli(
    args: string[],
    labDir: string | undefined,
    env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
    const dirArgs = labDir === undefined ? [] : ["--lab-dir", labDir];
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["-r", TYPESCRIPT_HOOK, path.join(ROOT, "local", "lab-cli.ts"), ...dirArgs, ...args], {
            cwd: ROOT,
            env: { ...process.env, CLOUD_LABS_DIR: "", INIT_CWD: "", ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("exit", (code) => resolve({ code, output }));
    });
}

/** Runs the real `npm start -- ...` from the project root (npm, then sh, then node), to test what killing npm does. */
export function spawnNpmStart(args: string[]): LabProcess {
    const child = spawn("npm", ["start", "--silent", "--", ...withFreeWebPort(args)], {
        cwd: ROOT,
        env: { ...process.env, INIT_CWD: "" },
        stdio: ["ignore", "pipe", "pipe"],
    });
    return watchLab(child);
}
