/**
 * `npm run lab -- [--lab-dir DIR] ls | rm KEY | put FILE [KEY] [--bucket NAME]`: acts on a bucket of the running
 * local lab (the directory's data bucket unless --bucket says otherwise), from a second terminal, so the lab steps
 * need no extra tools.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
    DeleteObjectCommand,
    HeadBucketCommand,
    HeadObjectCommand,
    ListBucketsCommand,
    ListObjectsV2Command,
    PutObjectCommand,
    type S3Client,
} from "@aws-sdk/client-s3";
import { EXIT, fromCallerDir, parseOrUsage, runMain, type CliIo } from "../shared/cli";
import { contentTypeOf } from "../stacks/content-type";
import { DEFAULT_LAB_DIR, readLabState } from "../shared/lab-state";
import { localS3Client } from "../shared/local-s3";
import { unsafeKeyReason } from "../shared/local-s3-store";

export const USAGE = `Usage: npm run lab -- [--lab-dir <dir>] <command> [--bucket NAME]

  ls                 list the objects in the bucket
  rm KEY             delete an object (e.g. rm users_1.json)
  put FILE [KEY]     upload a file (KEY defaults to the file's name)

  --lab-dir <dir>    the folder of the lab to act on, as given to npm start (default .labs/, or $CLOUD_LABS_DIR)
  --bucket NAME      the bucket to act on (default: the directory lab's data bucket; the audio lab's is audio-lab)
  --help             show this

Every flag also takes the --flag=value form; FILE and the folder are relative to where you run npm.`;

const OPTIONS = { "lab-dir": { type: "string" }, bucket: { type: "string" } } as const;

/** Fails with the buckets there are when `bucket` is not one of them. */
async function checkBucket(s3: S3Client, bucket: string): Promise<string | undefined> {
    try {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }));
        return undefined;
    } catch {
        const names = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name).join(", ");
        return `No bucket ${bucket} in the local lab: its buckets are ${names || "(none)"}`;
    }
}

export async function main(argv: string[], io: CliIo): Promise<number> {
    const parsed = parseOrUsage(argv, io, OPTIONS, USAGE, 3);
    if (typeof parsed === "number") return parsed;
    const usage = (message: string) => {
        io.err(`${message}\n\n${USAGE}`);
        return EXIT.usage;
    };
    const { values, positionals } = parsed;
    if (values["lab-dir"] === "") return usage("--lab-dir needs a value");
    if (values.bucket === "") return usage("--bucket needs a bucket name");
    const labDir = values["lab-dir"] !== undefined ? fromCallerDir(values["lab-dir"], io) : io.env.CLOUD_LABS_DIR || DEFAULT_LAB_DIR;
    const [command, ...rest] = positionals;
    if (!command) return usage("a command is missing: ls, rm or put");
    if (!["ls", "rm", "put"].includes(command)) return usage(`unknown command ${command}`);
    const state = readLabState(labDir);
    if (!state) {
        const start = labDir === DEFAULT_LAB_DIR ? "npm start" : `npm start -- --lab-dir ${labDir}`;
        io.err(`No local lab is running in ${labDir}: start one with ${start} (in another terminal).`);
        return EXIT.failed;
    }
    const s3 = localS3Client(state.s3Endpoint);
    const Bucket = values.bucket ?? state.dataBucket;
    if (!Bucket) return usage("the directory lab is not running in this lab: name a bucket with --bucket (e.g. --bucket audio-lab)");
    try {
        const missing = values.bucket ? await checkBucket(s3, Bucket) : undefined;
        if (missing) {
            io.err(missing);
            return EXIT.failed;
        }
        if (command === "ls") {
            let token: string | undefined;
            let count = 0;
            do {
                const page = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken: token }));
                for (const o of page.Contents ?? []) {
                    io.out(`${o.LastModified?.toISOString() ?? ""}  ${String(o.Size ?? 0).padStart(10)}  ${o.Key}`);
                    count++;
                }
                token = page.IsTruncated ? page.NextContinuationToken : undefined;
            } while (token);
            io.out(`${count} object${count === 1 ? "" : "s"} in s3://${Bucket}`);
            return EXIT.ok;
        }
        if (command === "rm") {
            const [Key] = rest;
            if (Key === undefined || rest.length > 1) return usage("rm takes one KEY");
            if (!safeKey(Key, io)) return EXIT.failed;
            try {
                await s3.send(new HeadObjectCommand({ Bucket, Key }));
            } catch {
                io.err(`No object ${Key} in s3://${Bucket} (npm run lab -- ls lists them)`);
                return EXIT.failed;
            }
            await s3.send(new DeleteObjectCommand({ Bucket, Key }));
            io.out(`deleted s3://${Bucket}/${Key}`);
            return EXIT.ok;
        }
        const [file, key] = rest;
        if (!file || rest.length > 2) return usage("put takes FILE and an optional KEY");
        const Key = key ?? path.basename(file);
        if (!safeKey(Key, io)) return EXIT.failed;
        let body: Buffer;
        try {
            body = fs.readFileSync(fromCallerDir(file, io));
        } catch (error) {
            io.err(`Cannot read ${file}: ${(error as Error).message}`);
            return EXIT.failed;
        }
        await s3.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentType: contentTypeOf(Key) }));
        io.out(`uploaded ${file} to s3://${Bucket}/${Key}`);
        return EXIT.ok;
    } catch (error) {
        io.err(`The lab's S3 server at ${state.s3Endpoint} did not answer: ${(error as Error).message}`);
        return EXIT.failed;
    } finally {
        s3.destroy();
    }
}

/** Says why a key cannot be used, as the lab's S3 server would refuse it. */
function safeKey(key: string, io: CliIo): boolean {
    const reason = unsafeKeyReason(key);
    if (!reason) return true;
    io.err(
        `The key "${key}" ${reason}: the local lab stores keys as files, so keys are names like users_4.json ` +
            `or folder/users_4.json, without ., .. or empty segments and without a leading /.`,
    );
    return false;
}

if (require.main === module) runMain(main, USAGE);
