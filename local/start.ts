/**
 * `npm start [-- --port 3000] [--labs directory,hello,audio,webService] [--reset]`: the course's labs on this machine.
 */
import * as path from "node:path";
import { fromCallerDir, parseOrExit, splitFlagValues, UsageError } from "../shared/cli";
import { SEED_DIR } from "../stacks/directory-files";
import { LAB_NAMES, type LabName } from "../stacks/lab-names";
import { POLLY_VOICES } from "../stacks/polly-voices";
import { labBanner } from "./banner";
import { acquireLabLock, LabBusyError } from "./lab-lock";
import { DEFAULT_LAB_DIR, removeLabState, writeLabState } from "../shared/lab-state";
import { startLab } from "./lab-server";
import { watchParent } from "./parent-watch";

const USAGE = `Usage: npm start -- [--labs <list>] [--port <n>] [--s3-port <n>] [--web-port <n>] [--reset] [--lab-dir <dir>] [--seed-dir <dir>]

  --labs <list>     labs to run, comma-separated: ${LAB_NAMES.join(",")} (default: all)
  --port <n>        HTTP port of the website, API and audio page (default 3000; 0 picks a free port)
  --s3-port <n>     port of the local S3 server (default 0: a free port)
  --web-port <n>    port of the web-service lab's Apache httpd (default 8081; 0 picks a free port)
  --apache <path>   the apache2 binary (default /usr/sbin/apache2)
  --voice <name>    Polly voice of the audio lab, spoken locally by espeak-ng (default Joanna)
  --reset           start from the seed data again (forget files you added or deleted)
  --lab-dir <dir>   where the lab keeps its S3 data (default .labs/)
  --seed-dir <dir>  where the users_*.json seed files are (default data/)
  --help            show this

Every flag also takes the --flag=value form; folders are relative to where you run npm.`;

interface Args {
    port: number;
    s3Port: number;
    webPort: number;
    reset: boolean;
    labDir: string;
    seedDir?: string;
    labs: LabName[];
    apache?: string;
    voice: string;
}

export function parseArgs(argv: string[]): Args | "help" {
    const args: Args = { port: 3000, s3Port: 0, webPort: 8081, reset: false, labDir: DEFAULT_LAB_DIR, labs: [...LAB_NAMES], voice: "Joanna" };
    const port = (flag: string, value: string | undefined) => {
        const n = Number(value);
        if (value === undefined || !/^\d+$/.test(value) || n > 65535) throw new UsageError(`${flag} needs a port number from 0 to 65535`);
        return n;
    };
    const text = (flag: string, value: string | undefined) => {
        if (!value || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
        return value;
    };
    argv = splitFlagValues(argv, ["--port", "--s3-port", "--web-port", "--labs", "--apache", "--voice", "--lab-dir", "--seed-dir"]);
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        switch (flag) {
            case "--port": args.port = port(flag, argv[++i]); break;
            case "--s3-port": args.s3Port = port(flag, argv[++i]); break;
            case "--web-port": args.webPort = port(flag, argv[++i]); break;
            case "--labs": args.labs = labList(text(flag, argv[++i])); break;
            case "--apache": args.apache = fromCallerDir(text(flag, argv[++i])); break;
            case "--voice": args.voice = voiceName(text(flag, argv[++i])); break;
            case "--reset": args.reset = true; break;
            case "--lab-dir": args.labDir = fromCallerDir(text(flag, argv[++i])); break;
            case "--seed-dir": args.seedDir = fromCallerDir(text(flag, argv[++i])); break;
            case "--help": case "-h": return "help";
            default: throw new UsageError(`unknown option ${flag}`);
        }
    }
    if (args.webPort !== 0 && args.webPort === args.port && args.labs.includes("webService")) {
        throw new UsageError(`--port and --web-port are both ${args.port}: the lab server and httpd need a port each`);
    }
    return args;
}

function labList(value: string): LabName[] {
    const names = value.split(",").map((name) => name.trim()).filter(Boolean);
    const unknown = names.filter((name) => !(LAB_NAMES as readonly string[]).includes(name));
    if (names.length === 0 || unknown.length > 0) {
        throw new UsageError(`--labs ${value}: ${unknown.length ? `unknown lab ${unknown.join(", ")}; ` : ""}choose from ${LAB_NAMES.join(", ")}`);
    }
    return LAB_NAMES.filter((name) => names.includes(name));
}

function voiceName(value: string): string {
    if (!Object.prototype.hasOwnProperty.call(POLLY_VOICES, value)) throw new UsageError(`--voice ${value}: choose one of ${Object.keys(POLLY_VOICES).join(", ")}`);
    return value;
}

async function main(): Promise<void> {
    const args = parseOrExit(parseArgs, USAGE);
    if (args === "help") {
        console.log(USAGE);
        return;
    }
    const lock = await acquireLabLock(args.labDir).catch((error: unknown) => {
        if (!(error instanceof LabBusyError)) throw error;
        console.error(error.message);
        return process.exit(1);
    });
    // However this process ends, the folder is given back.
    process.on("exit", () => lock.release());

    // Signals are caught from the start: one arriving while the labs start (httpd is a separate process) stops them
    // once they are up, instead of killing Node and leaving httpd or the folder's lock behind.
    let lab: Awaited<ReturnType<typeof startLab>> | undefined;
    let stopping: string | undefined;
    let stopped = false;
    const stop = async (why: string) => {
        stopping ??= why;
        if (!lab || stopped) return; // still starting: stopped below, once started
        stopped = true;
        // stdout may be a pipe whose reader (npm) is gone: a failed write must not stop the clean-up
        process.stdout.on("error", () => undefined);
        say(`\n${stopping}: stopping the lab`);
        removeLabState(args.labDir);
        await lab.close();
        lock.release();
        say("stopped");
        process.exit(0);
    };
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(signal));
    watchParent((why) => void stop(why));

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
    });
    if (stopping) return stop(stopping);
    writeLabState(args.labDir, { pid: process.pid, url: lab.url, s3Endpoint: lab.s3Endpoint, ...lab.outputs });
    const seedFiles = path.join(args.seedDir ?? "data", "users_*.json");
    if (args.seedDir && !lab.seeded) {
        say(`Note: --seed-dir ${args.seedDir} was not used: ${args.labDir} already holds the lab's data (add --reset to start over from ${seedFiles}).`);
    }
    const labCommand = args.labDir === DEFAULT_LAB_DIR ? "npm run lab --" : `npm run lab -- --lab-dir ${quote(args.labDir)}`;
    say(labBanner(lab, { labDir: args.labDir, readyMs: performance.now(), labCommand, seedFiles }));
}

/** Prints a line, ignoring a closed stdout (the terminal or npm that read it may be gone). */
function say(line: string): void {
    try {
        process.stdout.write(`${line}\n`);
    } catch {
        // nobody is reading
    }
}

/** A path as a shell command argument. */
function quote(p: string): string {
    return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

if (require.main === module) {
    main().catch((error) => {
        console.error(`Could not start the lab: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
    });
}
