/**
 * `npm start [-- --port 3000] [--s3-port 0] [--reset]`: the employee-directory lab on this machine.
 */
import * as path from "node:path";
import { fromCallerDir, parseOrExit, splitFlagValues, UsageError } from "../scripts/cli-args";
import { SEED_DIR } from "../stacks/directory-files";
import { acquireLabLock, LabBusyError } from "./lab-lock";
import { DEFAULT_LAB_DIR, removeLabState, writeLabState } from "./lab-state";
import { startLab } from "./lab-server";
import { watchParent } from "./parent-watch";

const USAGE = `Usage: npm start -- [--port <n>] [--s3-port <n>] [--reset] [--lab-dir <dir>] [--seed-dir <dir>]

  --port <n>        HTTP port of the website and API (default 3000; 0 picks a free port)
  --s3-port <n>     port of the local S3 server (default 0: a free port)
  --reset           start from the seed data again (forget files you added or deleted)
  --lab-dir <dir>   where the lab keeps its S3 data (default .labs/)
  --seed-dir <dir>  where the users_*.json seed files are (default data/)
  --help            show this

Every flag also takes the --flag=value form; folders are relative to where you run npm.`;

interface Args {
    port: number;
    s3Port: number;
    reset: boolean;
    labDir: string;
    seedDir?: string;
}

export function parseArgs(argv: string[]): Args | "help" {
    const args: Args = { port: 3000, s3Port: 0, reset: false, labDir: DEFAULT_LAB_DIR };
    const port = (flag: string, value: string | undefined) => {
        const n = Number(value);
        if (value === undefined || !/^\d+$/.test(value) || n > 65535) throw new UsageError(`${flag} needs a port number from 0 to 65535`);
        return n;
    };
    const text = (flag: string, value: string | undefined) => {
        if (!value || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
        return value;
    };
    argv = splitFlagValues(argv, ["--port", "--s3-port", "--lab-dir", "--seed-dir"]);
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        switch (flag) {
            case "--port": args.port = port(flag, argv[++i]); break;
            case "--s3-port": args.s3Port = port(flag, argv[++i]); break;
            case "--reset": args.reset = true; break;
            case "--lab-dir": args.labDir = fromCallerDir(text(flag, argv[++i])); break;
            case "--seed-dir": args.seedDir = fromCallerDir(text(flag, argv[++i])); break;
            case "--help": case "-h": return "help";
            default: throw new UsageError(`unknown option ${flag}`);
        }
    }
    return args;
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

    // Stop on these from the start: a signal during start-up must not leave the folder taken.
    let stopping = false;
    let lab: Awaited<ReturnType<typeof startLab>> | undefined;
    const stop = async (why: string) => {
        if (stopping) return;
        stopping = true;
        // stdout may be a pipe whose reader (npm) is gone: a failed write must not stop the clean-up
        process.stdout.on("error", () => undefined);
        say(`\n${why}: stopping the lab`);
        removeLabState(args.labDir);
        await lab?.close();
        lock.release();
        say("stopped");
        process.exit(0);
    };
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(signal));
    watchParent((why) => void stop(why));

    const seedDir = args.seedDir ?? SEED_DIR;
    lab = await startLab({ labDir: args.labDir, port: args.port, s3Port: args.s3Port, reset: args.reset, seedDir });
    if (stopping) return;
    writeLabState(args.labDir, {
        pid: process.pid,
        websiteUrl: lab.url,
        apiUrl: lab.apiUrl,
        helloWorldApi: `${lab.apiUrl}/hello`,
        dataBucket: lab.bucket,
        s3Endpoint: lab.s3Endpoint,
    });
    const seedFiles = path.join(args.seedDir ?? "data", "users_*.json");
    const labCmd = args.labDir === DEFAULT_LAB_DIR ? "npm run lab --" : `npm run lab -- --lab-dir ${quote(args.labDir)}`;
    if (args.seedDir && !lab.seeded) {
        console.log(
            `Note: --seed-dir ${args.seedDir} was not used: ${args.labDir} already holds the lab's data ` +
                `(add --reset to start over from ${seedFiles}).`,
        );
    }
    console.log(`
Employee directory lab is running${lab.seeded ? ` (seeded with ${seedFiles})` : ""}.

  Website     ${lab.url}/
  API         ${lab.apiUrl}/users   ${lab.apiUrl}/hello
  S3 endpoint ${lab.s3Endpoint}   bucket: ${lab.bucket}

Do the lab: open the website (1,500 employees), then in a second terminal
  ${labCmd} rm users_1.json
and reload the page (1,000 employees). More: ${labCmd} ls | rm KEY | put FILE [KEY]

With the AWS CLI (any credentials; s3rver's are S3RVER/S3RVER):
  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER aws --endpoint-url ${lab.s3Endpoint} s3 ls s3://${lab.bucket}/
  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER aws --endpoint-url ${lab.s3Endpoint} s3 rm s3://${lab.bucket}/users_1.json

Ctrl-C stops the lab; your changes are kept in ${args.labDir} (npm start -- --reset starts over).
`);
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
