/**
 * `npm start [-- --port 3000] [--s3-port 0] [--reset]`: the employee-directory lab on this machine.
 */
import { parseOrExit, UsageError } from "../scripts/cli-args";
import { DEFAULT_LAB_DIR, readLabState, removeLabState, writeLabState } from "./lab-state";
import { startLab } from "./lab-server";

const USAGE = `Usage: npm start -- [--port <n>] [--s3-port <n>] [--reset] [--lab-dir <dir>] [--seed-dir <dir>]

  --port <n>        HTTP port of the website and API (default 3000; 0 picks a free port)
  --s3-port <n>     port of the local S3 server (default 0: a free port)
  --reset           start from the seed data again (forget files you added or deleted)
  --lab-dir <dir>   where the lab keeps its S3 data (default .labs/)
  --seed-dir <dir>  where the users_*.json seed files are (default data/)
  --help            show this`;

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
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        switch (flag) {
            case "--port": args.port = port(flag, argv[++i]); break;
            case "--s3-port": args.s3Port = port(flag, argv[++i]); break;
            case "--reset": args.reset = true; break;
            case "--lab-dir": args.labDir = text(flag, argv[++i]); break;
            case "--seed-dir": args.seedDir = text(flag, argv[++i]); break;
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
    const running = readLabState(args.labDir);
    if (running && running.pid !== process.pid) {
        console.error(`A lab is already running (pid ${running.pid}) at ${running.websiteUrl}: stop it first (Ctrl-C in its terminal).`);
        process.exit(1);
    }

    const lab = await startLab({ labDir: args.labDir, port: args.port, s3Port: args.s3Port, reset: args.reset, seedDir: args.seedDir });
    writeLabState(args.labDir, {
        pid: process.pid,
        websiteUrl: lab.url,
        apiUrl: lab.apiUrl,
        helloWorldApi: `${lab.apiUrl}/hello`,
        dataBucket: lab.bucket,
        s3Endpoint: lab.s3Endpoint,
    });
    console.log(`
Employee directory lab is running${lab.seeded ? " (seeded with data/users_*.json)" : ""}.

  Website     ${lab.url}/
  API         ${lab.apiUrl}/users   ${lab.apiUrl}/hello
  S3 endpoint ${lab.s3Endpoint}   bucket: ${lab.bucket}

Do the lab: open the website (1,500 employees), then in a second terminal
  npm run lab -- rm users_1.json
and reload the page (1,000 employees). More: npm run lab -- ls | rm KEY | put FILE [KEY]

With the AWS CLI (any credentials; s3rver's are S3RVER/S3RVER):
  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER aws --endpoint-url ${lab.s3Endpoint} s3 ls s3://${lab.bucket}/
  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER aws --endpoint-url ${lab.s3Endpoint} s3 rm s3://${lab.bucket}/users_1.json

Ctrl-C stops the lab; your changes are kept in ${args.labDir} (npm start -- --reset starts over).
`);

    let stopping = false;
    const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`\n${signal}: stopping the lab`);
        removeLabState(args.labDir);
        await lab.close();
        console.log("stopped");
        process.exit(0);
    };
    process.on("SIGINT", () => void stop("SIGINT"));
    process.on("SIGTERM", () => void stop("SIGTERM"));
}

if (require.main === module) {
    main().catch((error) => {
        console.error(`Could not start the lab: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
    });
}
