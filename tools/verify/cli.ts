/**
 * `npm run verify -- (--stack NAME | --outputs FILE | --local) [--lab-steps] [--json] [--timeout S]`: checks a
 * running lab end to end, deployed or local. Exit 0: every check passed; 1: a check failed; 2: bad arguments or
 * unusable outputs; 130: stopped by Ctrl-C (after the lab steps put back what they moved).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECSClient } from "@aws-sdk/client-ecs";
import { GetBucketLocationCommand, S3Client } from "@aws-sdk/client-s3";
import { UsageError } from "../../shared/cli";
import { ROOT, stackConfig } from "../../shared/stack-files";
import { DEFAULT_LAB_DIR, isRunning, labStateFile } from "../../shared/lab-state";
import { formatResult, summary, verify, type VerifyContext } from "../../shared/verify/core";
import { OutputsError, parseOutputs, type LabOutputs } from "../../shared/outputs";

export const PULUMI_INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/";

const USAGE = `Usage: npm run verify -- (--stack NAME | --outputs FILE | --local [--lab-dir DIR]) [options]

  --stack NAME      read the outputs with \`pulumi stack output --json --show-secrets --stack NAME\`
  --outputs FILE    read the outputs from FILE (what \`pulumi stack output --json\` prints)
  --local           check the running local lab (npm start): reads <lab dir>/outputs.json
  --lab-dir DIR     the local lab's folder (default .labs/)
  --lab-steps       also do the labs' own steps, and undo them (moves users_1.json aside and back, speaks a text)
  --json            print only { "checks": [...], "passed": N, "failed": N } on stdout
  --timeout S       seconds each request may take (default 10)
  --region REGION   AWS region of the stack's buckets (default: the stack's aws:region, then AWS_REGION)
  --help            show this

Exit status: 0 every check passed, 1 a check failed, 2 bad arguments or outputs, 130 stopped by Ctrl-C.`;

export interface VerifyArgs {
    source: { stack: string } | { file: string } | { labDir: string };
    labSteps: boolean;
    json: boolean;
    timeoutMs: number;
    region?: string;
}

export function parseArgs(argv: string[]): VerifyArgs | "help" {
    let stack: string | undefined;
    let file: string | undefined;
    let local = false;
    let labDir: string | undefined;
    let labSteps = false;
    let json = false;
    let timeoutMs = 10_000;
    let region: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].startsWith("--") && argv[i].includes("=") ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)] : [argv[i], undefined];
        const value = () => {
            const v = inline ?? argv[++i];
            if (v === undefined || v === "" || (inline === undefined && v.startsWith("--"))) throw new UsageError(`${flag} needs a value`);
            return v;
        };
        switch (flag) {
            case "--stack": stack = value(); break;
            case "--outputs": file = value(); break;
            case "--local": local = true; break;
            case "--lab-dir": labDir = value(); break;
            case "--lab-steps": labSteps = true; break;
            case "--json": json = true; break;
            case "--region": region = value(); break;
            case "--timeout": {
                const raw = value();
                const s = Number(raw);
                if (!/^\d+(\.\d+)?$/.test(raw) || s <= 0 || s > 600) throw new UsageError(`--timeout needs seconds from 0.001 to 600; received ${JSON.stringify(raw)}`);
                timeoutMs = Math.round(s * 1000);
                break;
            }
            case "--help": case "-h": return "help";
            default: throw new UsageError(`unknown option ${argv[i]}`);
        }
    }
    const sources = [stack !== undefined, file !== undefined, local].filter(Boolean).length;
    if (sources !== 1) throw new UsageError("give exactly one of --stack NAME, --outputs FILE or --local");
    if (labDir !== undefined && !local) throw new UsageError("--lab-dir goes with --local");
    const source = stack !== undefined ? { stack } : file !== undefined ? { file } : { labDir: labDir ?? DEFAULT_LAB_DIR };
    return { source, labSteps, json, timeoutMs, region };
}

export interface CliIo {
    stdout: (line: string) => void;
    stderr: (line: string) => void;
    /** The environment: PATH (to find pulumi), INIT_CWD (the folder npm was run from), AWS_REGION. */
    env: NodeJS.ProcessEnv;
    /** Aborted on Ctrl-C. */
    signal: AbortSignal;
    /** @default globalThis.fetch */
    fetch?: typeof fetch;
    /** How long the audio step waits for its MP3, in ms. @default 60000 */
    audioWaitMs?: number;
    /** The time, for a scheduled service's stop window. @default () => new Date() */
    now?: () => Date;
}

export async function verifyMain(argv: string[], io: CliIo): Promise<number> {
    let args: VerifyArgs | "help";
    try {
        args = parseArgs(argv);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.stderr(`${error.message}\n\n${USAGE}`);
        return 2;
    }
    if (args === "help") {
        io.stdout(USAGE);
        return 0;
    }
    let outputs: LabOutputs;
    try {
        outputs = await readOutputs(args, io.env);
    } catch (error) {
        if (!(error instanceof OutputsError)) throw error;
        io.stderr(error.message);
        return 2;
    }

    const config = "stack" in args.source ? stackSettings(args.source.stack) : {};
    const local = outputs.s3Endpoint !== undefined;
    const region = args.region ?? config["aws:region"] ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? "us-east-1";
    const s3 = local ? (await import("../../shared/local-s3")).localS3Client(outputs.s3Endpoint!) : new S3Client({ region, followRegionRedirects: true });
    // Only the sign-up lab reads logs (to name a permission its consumer lacks).
    const logs = !local && outputs.signupApiUrl ? new CloudWatchLogsClient({ region }) : undefined;
    // Only a scheduled service is asked about: it tells "stopped by its schedule" from "broken".
    const ecs = !local && outputs.webStopSchedule ? new ECSClient({ region }) : undefined;
    const ctx: VerifyContext = {
        fetch: io.fetch ?? fetch,
        s3,
        timeoutMs: args.timeoutMs,
        signal: io.signal,
        publicUrlOf: local ? undefined : awsPublicUrl(s3),
        logs,
        dataPrefix: config["cloud-labs:directoryDataPrefix"] ?? "users",
        healthPath: config["cloud-labs:webHealthCheckPath"] ?? "/health",
        ecs,
        now: io.now,
        audioWaitMs: io.audioWaitMs ?? 60_000,
        pollMs: 1000,
        report: (result) => {
            if (!args.json) io.stdout(formatResult(result));
        },
    };
    try {
        const run = await verify(outputs, ctx, args.labSteps);
        const totals = summary(run.results);
        if (args.json) io.stdout(JSON.stringify(totals, null, 2));
        else io.stdout(`\n${totals.passed} passed, ${totals.failed} failed${local ? " (local lab: the AWS-only checks were skipped)" : ""}`);
        if (run.interrupted) {
            io.stderr("Stopped by Ctrl-C; what the lab steps changed was put back (see the restore and clean-up lines).");
            return 130;
        }
        return totals.failed ? 1 : 0;
    } finally {
        s3.destroy();
        logs?.destroy();
        ecs?.destroy();
    }
}

/** The outputs from the chosen source; an OutputsError (exit 2) names the file or command and what is wrong. */
async function readOutputs(args: VerifyArgs, env: NodeJS.ProcessEnv): Promise<LabOutputs> {
    const callerDir = env.INIT_CWD ?? process.cwd();
    const source = args.source;
    if ("stack" in source) {
        let stdout: string;
        try {
            ({ stdout } = await promisify(execFile)("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", source.stack], {
                cwd: ROOT,
                env,
                maxBuffer: 16 * 1024 * 1024,
                timeout: 120_000,
            }));
        } catch (error) {
            const e = error as NodeJS.ErrnoException & { stderr?: string };
            if (e.code === "ENOENT") {
                throw new OutputsError(
                    `The Pulumi CLI (pulumi) is not installed or not on PATH: install it (${PULUMI_INSTALL_URL}), ` +
                        `or save the outputs where it is and pass them with --outputs FILE (pulumi stack output --json --show-secrets > outputs.json)`,
                );
            }
            throw new OutputsError(`pulumi stack output --stack ${source.stack} failed: ${(e.stderr || e.message).trim()}`);
        }
        return parseOutputs(stdout, `the outputs of stack ${source.stack}`);
    }
    if ("file" in source) {
        const file = path.resolve(callerDir, source.file);
        return parseOutputs(readText(file, `Cannot read the outputs file ${file}`), file);
    }
    const labDir = path.resolve(callerDir, source.labDir);
    const file = labStateFile(labDir);
    if (!fs.existsSync(file)) {
        throw new OutputsError(`No local lab is running in ${labDir}: ${file} does not exist (start one with npm start, then run this again)`);
    }
    const text = readText(file, `Cannot read the local lab's outputs ${file}`);
    const outputs = parseOutputs(text, file);
    const pid = (JSON.parse(text) as { pid?: unknown }).pid;
    if (!isRunning(pid)) throw new OutputsError(`${file} was left by a lab that is no longer running (pid ${String(pid)}): start one with npm start`);
    return outputs;
}

function readText(file: string, what: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (error) {
        const e = error as NodeJS.ErrnoException;
        const reason = e.code === "ENOENT" ? "it does not exist" : e.code === "EISDIR" ? "it is a folder" : e.code === "EACCES" ? "permission denied" : e.message;
        throw new OutputsError(`${what}: ${reason}`);
    }
}

/** The stack's config, when the repository has its Pulumi.<stack>.yaml (`org/dev` → Pulumi.dev.yaml). */
function stackSettings(stack: string): Record<string, string> {
    const name = stack.split("/").pop()!;
    return fs.existsSync(path.join(ROOT, `Pulumi.${name}.yaml`)) ? stackConfig(name) : {};
}

/** An object's anonymous URL on AWS: the bucket's regional endpoint, found once per bucket. */
export function awsPublicUrl(s3: S3Client): (bucket: string, key: string) => Promise<string> {
    const regions = new Map<string, Promise<string | undefined>>();
    return async (bucket, key) => {
        if (!regions.has(bucket)) {
            regions.set(
                bucket,
                s3.send(new GetBucketLocationCommand({ Bucket: bucket })).then(
                    (r) => r.LocationConstraint || "us-east-1",
                    () => undefined,
                ),
            );
        }
        const region = await regions.get(bucket);
        const host = region ? `${bucket}.s3.${region}.amazonaws.com` : `${bucket}.s3.amazonaws.com`;
        return `https://${host}/${key.split("/").map(encodeURIComponent).join("/")}`;
    };
}

if (require.main === module) {
    const controller = new AbortController();
    const interrupt = (signal: string) => {
        if (!controller.signal.aborted) {
            process.stderr.write(`\n${signal}: stopping; putting back what the lab steps moved first\n`);
            controller.abort();
        } else {
            process.stderr.write(`${signal}: still putting things back, a moment\n`);
        }
    };
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => interrupt(signal));
    verifyMain(process.argv.slice(2), {
        stdout: (line) => process.stdout.write(line + "\n"),
        stderr: (line) => process.stderr.write(line + "\n"),
        env: process.env,
        signal: controller.signal,
    })
        .then((code) => process.exit(code))
        .catch((error) => {
            console.error(`verify: ${error instanceof Error ? error.message : String(error)}`);
            process.exit(2);
        });
}
