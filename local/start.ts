/**
 * `npm start [-- --port 3000] [--labs directory,hello,audio,webService] [--reset] ...`: the course's labs on this
 * machine, until Ctrl-C (or SIGTERM, SIGHUP, or the npm that started it going away).
 */
import * as path from "node:path";
import { EXIT, fromCallerDir, numberFlag, parseOrUsage, runMain, UsageError, type CliIo } from "../shared/cli";
import { SEED_DIR } from "../stacks/directory-files";
import { LAB_NAMES, type LabName } from "../stacks/lab-names";
import { POLLY_VOICES } from "../stacks/polly-voices";
import { labBanner } from "./banner";
import { acquireLabLock, LabBusyError } from "./lab-lock";
import { DEFAULT_LAB_DIR, removeLabState, writeLabState } from "../shared/lab-state";
import { startLab } from "./lab-server";
import { watchParent } from "./parent-watch";

/** Every flag of `npm start` (util.parseArgs form); the usage text names each. */
export const OPTIONS = {
    labs: { type: "string" },
    port: { type: "string" },
    "s3-port": { type: "string" },
    "web-port": { type: "string" },
    apache: { type: "string" },
    voice: { type: "string" },
    reset: { type: "boolean" },
    "lab-dir": { type: "string" },
    "seed-dir": { type: "string" },
    "signup-consumer-can-write": { type: "string" },
} as const;

const DEFAULT_PORT = 3000;
const DEFAULT_WEB_PORT = 8081;

export const USAGE = `Usage: npm start -- [--labs <list>] [--port <n>] [--s3-port <n>] [--web-port <n>] [--apache <path|name>]
                    [--voice <name>] [--reset] [--lab-dir <dir>] [--seed-dir <dir>]
                    [--signup-consumer-can-write <true|false>] [--help]

  --labs <list>          labs to run, comma-separated: ${LAB_NAMES.join(",")} (default: all)
  --port <n>             HTTP port of the website, API and audio page (default ${DEFAULT_PORT}; 0 picks a free port)
  --s3-port <n>          port of the local S3 server (default 0: a free port)
  --web-port <n>         port of the web-service lab's Apache httpd (default ${DEFAULT_WEB_PORT}; 0 picks a free port)
  --apache <path|name>   the apache2 binary, a path or a name looked up on PATH (default /usr/sbin/apache2)
  --voice <name>         Polly voice of the audio lab, spoken locally by espeak-ng (default Joanna)
  --reset                start from the seed data again (forget files you added or deleted)
  --lab-dir <dir>        where the lab keeps its S3 data, httpd's pid file and log (default .labs/)
  --seed-dir <dir>       where the users_*.json seed files are (default data/)
  --signup-consumer-can-write <true|false>
                         false runs the sign-up consumer without DynamoDB write permission (the lab's exercise; default true)
  --help                 show this

Every flag also takes the --flag=value form; folders are relative to where you run npm.`;

export interface StartArgs {
    port: number;
    s3Port: number;
    webPort: number;
    reset: boolean;
    labDir: string;
    seedDir?: string;
    labs: LabName[];
    apache?: string;
    voice: string;
    signupConsumerCanWrite: boolean;
}

/** The flags' values, checked; throws UsageError naming the flag. */
export function startArgs(values: Partial<Record<keyof typeof OPTIONS, string | boolean>>, io: Pick<CliIo, "cwd">): StartArgs {
    const text = (flag: keyof typeof OPTIONS) => {
        const value = values[flag];
        if (typeof value !== "string") return undefined;
        if (value.trim() === "") throw new UsageError(`--${flag} needs a value`);
        return value;
    };
    const port = (flag: "port" | "s3-port" | "web-port", fallback: number) => {
        const value = text(flag);
        return value === undefined ? fallback : numberFlag(`--${flag}`, value, 0, 65535, true);
    };
    const apache = text("apache");
    const labDir = text("lab-dir");
    const seedDir = text("seed-dir");
    const labs = text("labs");
    const voice = text("voice");
    const canWrite = text("signup-consumer-can-write");
    if (canWrite !== undefined && canWrite !== "true" && canWrite !== "false") {
        throw new UsageError(`--signup-consumer-can-write needs true or false; received ${JSON.stringify(canWrite)}`);
    }
    const args: StartArgs = {
        port: port("port", DEFAULT_PORT),
        s3Port: port("s3-port", 0),
        webPort: port("web-port", DEFAULT_WEB_PORT),
        reset: values.reset === true,
        labDir: labDir === undefined ? DEFAULT_LAB_DIR : fromCallerDir(labDir, io),
        seedDir: seedDir === undefined ? undefined : fromCallerDir(seedDir, io),
        labs: labs === undefined ? [...LAB_NAMES] : labList(labs),
        // A name without a slash is looked up on PATH (by local/httpd.ts), as a shell would; a path is the caller's.
        apache: apache === undefined ? undefined : apache.includes("/") ? fromCallerDir(apache, io) : apache,
        voice: voice === undefined ? "Joanna" : voiceName(voice),
        signupConsumerCanWrite: canWrite !== "false",
    };
    // Two servers cannot share a port: name both flags (and say when one is a default).
    const ports: { flag: string; port: number; given: boolean }[] = [
        { flag: "--port", port: args.port, given: values.port !== undefined },
        { flag: "--s3-port", port: args.s3Port, given: values["s3-port"] !== undefined },
    ];
    if (args.labs.includes("webService")) ports.push({ flag: "--web-port", port: args.webPort, given: values["web-port"] !== undefined });
    for (const [i, a] of ports.entries()) {
        const b = ports.slice(i + 1).find((other) => other.port === a.port && a.port !== 0);
        if (b) {
            const name = (p: typeof a) => (p.given ? p.flag : `${p.flag} (by default)`);
            throw new UsageError(`${name(a)} and ${name(b)} are both ${a.port}: each server needs a port of its own (0 picks a free one)`);
        }
    }
    return args;
}

function labList(value: string): LabName[] {
    const names = value
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean);
    const unknown = names.filter((name) => !(LAB_NAMES as readonly string[]).includes(name));
    if (names.length === 0 || unknown.length > 0) {
        throw new UsageError(
            `--labs ${value}: ${unknown.length ? `unknown lab ${unknown.join(", ")}; ` : ""}choose from ${LAB_NAMES.join(", ")}`,
        );
    }
    return LAB_NAMES.filter((name) => names.includes(name));
}

function voiceName(value: string): string {
    if (!Object.prototype.hasOwnProperty.call(POLLY_VOICES, value))
        throw new UsageError(`--voice ${value}: choose one of ${Object.keys(POLLY_VOICES).join(", ")}`);
    return value;
}

/**
 * Starts the labs, prints the banner, and runs until `io.signal` aborts (its reason, e.g. "SIGINT", is printed) or
 * the process that started the lab goes away; then stops every lab and returns 0.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
    const parsed = parseOrUsage(argv, io, OPTIONS, USAGE);
    if (typeof parsed === "number") return parsed;
    let args: StartArgs;
    try {
        args = startArgs(parsed.values, io);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.err(`${error.message}\n\n${USAGE}`);
        return EXIT.usage;
    }
    const started = performance.now();
    let lock;
    try {
        lock = await acquireLabLock(args.labDir);
    } catch (error) {
        if (!(error instanceof LabBusyError)) throw error;
        io.err(error.message);
        return EXIT.failed;
    }
    // However this process ends, the folder is given back.
    const release = () => lock.release();
    process.on("exit", release);

    // A stop asked for while the labs start (httpd is a separate process) is acted on once they are up.
    let stopWhy: string | undefined;
    let wake: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (wake = resolve));
    const stop = (why: string) => {
        stopWhy ??= why;
        wake();
    };
    const onAbort = () => stop(typeof io.signal?.reason === "string" ? io.signal.reason : "stopped");
    if (io.signal?.aborted) onAbort();
    io.signal?.addEventListener("abort", onAbort, { once: true });
    const unwatch = watchParent(stop);
    try {
        let lab;
        try {
            lab = await startLab({
                labDir: args.labDir,
                port: args.port,
                s3Port: args.s3Port,
                reset: args.reset,
                seedDir: args.seedDir ?? SEED_DIR,
                labs: args.labs,
                webPort: args.webPort,
                apache: args.apache,
                voice: args.voice,
                signupConsumerCanWrite: args.signupConsumerCanWrite,
                log: (line) => io.out(line),
            });
        } catch (error) {
            io.err(`Could not start the lab: ${error instanceof Error ? error.message : String(error)}`);
            return EXIT.failed;
        }
        if (!stopWhy) {
            writeLabState(args.labDir, { pid: process.pid, url: lab.url, s3Endpoint: lab.s3Endpoint, ...lab.outputs });
            const seedFiles = path.join(args.seedDir ?? "data", "users_*.json");
            if (args.seedDir && !lab.seeded) {
                io.out(
                    `Note: --seed-dir ${args.seedDir} was not used: ${args.labDir} already holds the lab's data (add --reset to start over from ${seedFiles}).`,
                );
            }
            const labCommand = args.labDir === DEFAULT_LAB_DIR ? "npm run lab --" : `npm run lab -- --lab-dir ${quote(args.labDir)}`;
            const readyMs = require.main === module ? performance.now() : performance.now() - started;
            io.out(labBanner(lab, { labDir: args.labDir, readyMs, labCommand, seedFiles }));
            await stopped;
        }
        io.out(`\n${stopWhy}: stopping the lab`);
        removeLabState(args.labDir);
        await lab.close();
        io.out("stopped");
        return EXIT.ok;
    } finally {
        unwatch();
        io.signal?.removeEventListener("abort", onAbort);
        lock.release();
        process.off("exit", release);
    }
}

/** A path as a shell command argument. */
function quote(p: string): string {
    return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

if (require.main === module) {
    // stdout may be a pipe whose reader (npm) is gone: a failed write must not stop the lab or its clean-up.
    process.stdout.on("error", () => undefined);
    process.stderr.on("error", () => undefined);
    runMain(main, USAGE, { stopSignals: ["SIGINT", "SIGTERM", "SIGHUP"], exit: true });
}
