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
import { EXIT, fromCallerDir, numberFlag, parseOrUsage, runMain, UsageError, type CliIo } from "../../shared/cli";
import { ROOT, stackConfig } from "../../shared/stack-files";
import { DEFAULT_LAB_DIR, isRunning, labStateFile } from "../../shared/lab-state";
import { formatResult, summary, verify, type VerifyContext } from "../../shared/verify/core";
import { decodeOutputs, OutputsError, parseOutputs, type LabOutputs } from "../../shared/outputs";

export const PULUMI_INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/";

export const USAGE = `Usage: npm run verify -- (--stack NAME | --outputs FILE | --local [--lab-dir DIR]) [options]

  --stack NAME      read the outputs with \`pulumi stack output --json --show-secrets --stack NAME\`
  --outputs FILE    read the outputs from FILE (what \`pulumi stack output --json\` prints; UTF-8)
  --local           check the running local lab (npm start): reads <lab dir>/outputs.json
  --lab-dir DIR     the local lab's folder (default .labs/)
  --lab-steps       also do the labs' own steps, and undo them (moves users_1.json aside and back, speaks a text)
  --json            print only { "checks": [...], "passed": N, "failed": N } on stdout
                    (run it as npm run -s verify -- ... so npm prints no banner before it)
  --timeout S       seconds each request may take (default 10)
  --region REGION   AWS region of the stack's buckets (default: the stack's aws:region, then AWS_REGION)
  --help            show this

Exit status: 0 every check passed, 1 a check failed, 2 bad arguments or outputs, 130 stopped by Ctrl-C.`;

const OPTIONS = {
    stack: { type: "string" },
    outputs: { type: "string" },
    local: { type: "boolean" },
    "lab-dir": { type: "string" },
    "lab-steps": { type: "boolean" },
    json: { type: "boolean" },
    timeout: { type: "string" },
    region: { type: "string" },
} as const;

export interface VerifyArgs {
    source: { stack: string } | { file: string } | { labDir: string };
    labSteps: boolean;
    json: boolean;
    timeoutMs: number;
    region?: string;
}

/** What verify may touch besides the shared CLI's io: tests pass their own HTTP client and a shorter audio wait. */
export interface VerifyIo extends CliIo {
    /** @default globalThis.fetch */
    fetch?: typeof fetch;
    /** How long the audio step waits for its MP3, in ms. @default 60000 */
    audioWaitMs?: number;
    /** The time, for a scheduled service's stop window. @default () => new Date() */
    now?: () => Date;
}

function verifyArgs(values: { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]["type"] extends "string" ? string : boolean }): VerifyArgs {
    const { stack, outputs: file, local, region } = values;
    const labDir = values["lab-dir"];
    const sources = [stack !== undefined, file !== undefined, Boolean(local)].filter(Boolean).length;
    if (sources !== 1) throw new UsageError("give exactly one of --stack NAME, --outputs FILE or --local");
    if (labDir !== undefined && !local) throw new UsageError("--lab-dir goes with --local");
    for (const [flag, value] of [
        ["--stack", stack],
        ["--outputs", file],
        ["--lab-dir", labDir],
        ["--region", region],
    ] as const) {
        if (value !== undefined && value.trim() === "") throw new UsageError(`${flag} needs a value`);
    }
    const timeoutMs = values.timeout === undefined ? 10_000 : Math.round(numberFlag("--timeout", values.timeout, 0.001, 600) * 1000);
    const source = stack !== undefined ? { stack } : file !== undefined ? { file } : { labDir: labDir ?? DEFAULT_LAB_DIR };
    return { source, labSteps: Boolean(values["lab-steps"]), json: Boolean(values.json), timeoutMs, region };
}

export async function main(argv: string[], io: VerifyIo): Promise<number> {
    const parsed = parseOrUsage(argv, io, OPTIONS, USAGE);
    if (typeof parsed === "number") return parsed;
    let args: VerifyArgs;
    try {
        args = verifyArgs(parsed.values);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.err(`${error.message}\n\n${USAGE}`);
        return EXIT.usage;
    }
    let outputs: LabOutputs;
    try {
        outputs = await readOutputs(args, io);
    } catch (error) {
        if (!(error instanceof OutputsError)) throw error;
        io.err(error.message);
        return EXIT.usage;
    }

    const config = "stack" in args.source ? stackSettings(args.source.stack) : {};
    const local = outputs.s3Endpoint !== undefined;
    const region = args.region ?? config["aws:region"] ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? "us-east-1";
    const s3 = local
        ? (await import("../../shared/local-s3")).localS3Client(outputs.s3Endpoint!)
        : new S3Client({ region, followRegionRedirects: true });
    // Only the sign-up lab reads logs (to name a permission its consumer lacks).
    const logs = !local && outputs.signupApiUrl ? new CloudWatchLogsClient({ region }) : undefined;
    // Only a scheduled service is asked about: it tells "stopped by its schedule" from "broken".
    const ecs = !local && outputs.webStopSchedule ? new ECSClient({ region }) : undefined;
    const ctx: VerifyContext = {
        fetch: io.fetch ?? fetch,
        s3,
        timeoutMs: args.timeoutMs,
        signal: io.signal ?? new AbortController().signal,
        publicUrlOf: local ? undefined : awsPublicUrl(s3),
        logs,
        dataPrefix: config["cloud-labs:directoryDataPrefix"] ?? "users",
        healthPath: config["cloud-labs:webHealthCheckPath"] ?? "/health",
        ecs,
        now: io.now,
        audioWaitMs: io.audioWaitMs ?? 60_000,
        pollMs: 1000,
        local,
        report: (result) => {
            if (!args.json) io.out(formatResult(result));
        },
    };
    try {
        const run = await verify(outputs, ctx, args.labSteps);
        const totals = summary(run.results);
        if (args.json) io.out(JSON.stringify(totals, null, 2));
        else io.out(`\n${totals.passed} passed, ${totals.failed} failed${local ? " (local lab: the AWS-only checks were skipped)" : ""}`);
        if (run.interrupted) {
            io.err("Stopped by Ctrl-C; what the lab steps changed was put back (see the restore and clean-up lines).");
            return EXIT.interrupted;
        }
        return totals.failed ? EXIT.failed : EXIT.ok;
    } finally {
        s3.destroy();
        logs?.destroy();
        ecs?.destroy();
    }
}

/** The outputs from the chosen source; an OutputsError (exit 2) names the file or command and what is wrong. */
async function readOutputs(args: VerifyArgs, io: CliIo): Promise<LabOutputs> {
    const env = io.env;
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
        const file = fromCallerDir(source.file, io);
        return parseOutputs(readText(file, `Cannot read the outputs file ${file}`), file);
    }
    const labDir = fromCallerDir(source.labDir, io);
    const file = labStateFile(labDir);
    if (!fs.existsSync(file)) {
        throw new OutputsError(
            `No local lab is running in ${labDir}: ${file} does not exist (start one with npm start, then run this again)`,
        );
    }
    const text = readText(file, `Cannot read the local lab's outputs ${file}`);
    const outputs = parseOutputs(text, file);
    const pid = (JSON.parse(text.replace(/^\uFEFF/, "")) as { pid?: unknown }).pid;
    if (!isRunning(pid))
        throw new OutputsError(`${file} was left by a lab that is no longer running (pid ${String(pid)}): start one with npm start`);
    return outputs;
}

function readText(file: string, what: string): string {
    let bytes: Buffer;
    try {
        bytes = fs.readFileSync(file);
    } catch (error) {
        const e = error as NodeJS.ErrnoException;
        const reason =
            e.code === "ENOENT"
                ? "it does not exist"
                : e.code === "EISDIR"
                  ? "it is a folder"
                  : e.code === "EACCES"
                    ? "permission denied"
                    : e.message;
        throw new OutputsError(`${what}: ${reason}`);
    }
    return decodeOutputs(bytes, file);
}

/** The stack's config, when the repository has its Pulumi.<stack>.yaml (`org/dev` → Pulumi.dev.yaml). */
function stackSettings(stack: string): Record<string, string> {
    const name = stack.split("/").pop()!;
    return fs.existsSync(path.join(ROOT, `Pulumi.${name}.yaml`)) ? stackConfig(name) : {};
}

/** An object's anonymous URL on AWS: the bucket's regional endpoint, found once per bucket. */
export function awsPublicUrl(s3: Pick<S3Client, "send">): (bucket: string, key: string) => Promise<string> {
    const regions = new Map<string, Promise<string | undefined>>();
    return async (bucket, key) => {
        if (!regions.has(bucket)) {
            regions.set(
                bucket,
                s3.send(new GetBucketLocationCommand({ Bucket: bucket })).then(
                    (r) => (r.LocationConstraint === "EU" ? "eu-west-1" : r.LocationConstraint || "us-east-1"),
                    () => undefined,
                ),
            );
        }
        return publicObjectUrl(bucket, key, await regions.get(bucket));
    };
}

/**
 * `https://<bucket>.s3.<region>.amazonaws.com/<key>`, each key segment URL-encoded; without a region the global
 * endpoint (S3 redirects it). A bucket name with dots is addressed path-style, which its TLS certificate covers.
 */
export function publicObjectUrl(bucket: string, key: string, region?: string): string {
    const host = region ? `s3.${region}.amazonaws.com` : "s3.amazonaws.com";
    const encodedKey = key.split("/").map(encodeURIComponent).join("/");
    return bucket.includes(".") ? `https://${host}/${bucket}/${encodedKey}` : `https://${bucket}.${host}/${encodedKey}`;
}

if (require.main === module) {
    // runMain aborts the run on any of these, every time; the lines say so, and a second Ctrl-C does not kill the
    // process before the lab steps have put back what they moved.
    let stopping = false;
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.on(signal, () => {
            process.stderr.write(
                stopping
                    ? `${signal}: still putting things back, a moment\n`
                    : `\n${signal}: stopping; putting back what the lab steps moved first\n`,
            );
            stopping = true;
        });
    }
    runMain(main, USAGE, { stopSignals: ["SIGINT", "SIGTERM", "SIGHUP"], exit: true });
}
