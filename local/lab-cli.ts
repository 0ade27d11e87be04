/**
 * `npm run lab -- [--lab-dir DIR] ls | rm KEY | put FILE [KEY] [--bucket NAME]`: acts on a bucket of the running
 * local lab (the directory's data bucket unless --bucket says otherwise), from a second terminal, so the lab steps
 * need no extra tools.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DeleteObjectCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { fromCallerDir, splitFlagValues } from "../shared/cli";
import { contentTypeOf } from "../stacks/content-type";
import { DEFAULT_LAB_DIR, readLabState } from "../shared/lab-state";
import { localS3Client } from "../shared/local-s3";
import { unsafeKeyReason } from "../shared/local-s3-store";

const USAGE = `Usage: npm run lab -- [--lab-dir <dir>] <command> [--bucket NAME]

  ls                 list the objects in the bucket
  rm KEY             delete an object (e.g. rm users_1.json)
  put FILE [KEY]     upload a file (KEY defaults to the file's name)

  --lab-dir <dir>    the folder of the lab to act on, as given to npm start (default .labs/)
  --bucket NAME      the bucket to act on (default: the directory lab's data bucket; the audio lab's is audio-lab)`;

/** Takes `--bucket NAME` out of the arguments (splitFlagValues has already split `--bucket=NAME`). */
function takeBucket(argv: string[]): { args: string[]; bucket?: string } | string {
    const args: string[] = [];
    let bucket: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--bucket") {
            const value = argv[++i];
            if (!value || value.startsWith("--")) return "--bucket needs a bucket name";
            bucket = value;
        } else args.push(arg);
    }
    return { args, bucket };
}

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

export async function labCli(argv: string[]): Promise<number> {
    argv = splitFlagValues(argv, ["--lab-dir", "--bucket"]);
    let labDir = process.env.CLOUD_LABS_DIR || DEFAULT_LAB_DIR;
    for (let at = argv.indexOf("--lab-dir"); at >= 0; at = argv.indexOf("--lab-dir")) {
        const value = argv[at + 1];
        if (!value || value.startsWith("--")) return usage("--lab-dir needs a value");
        labDir = fromCallerDir(value);
        argv = [...argv.slice(0, at), ...argv.slice(at + 2)];
    }
    const taken = takeBucket(argv);
    if (typeof taken === "string") return usage(taken);
    const [command, ...rest] = taken.args;
    if (!command || command === "--help" || !["ls", "rm", "put"].includes(command)) {
        console.error(command && command !== "--help" ? `unknown command ${command}\n\n${USAGE}` : USAGE);
        return 2;
    }
    const state = readLabState(labDir);
    if (!state) {
        const start = labDir === DEFAULT_LAB_DIR ? "npm start" : `npm start -- --lab-dir ${labDir}`;
        console.error(`No local lab is running in ${labDir}: start one with ${start} (in another terminal).`);
        return 1;
    }
    const s3 = localS3Client(state.s3Endpoint);
    const Bucket = taken.bucket ?? state.dataBucket;
    if (!Bucket) return usage("the directory lab is not running in this lab: name a bucket with --bucket (e.g. --bucket audio-lab)");
    try {
        const missing = taken.bucket ? await checkBucket(s3, Bucket) : undefined;
        if (missing) {
            console.error(missing);
            return 1;
        }
        if (command === "ls") {
            let token: string | undefined;
            let count = 0;
            do {
                const page = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken: token }));
                for (const o of page.Contents ?? []) {
                    console.log(`${o.LastModified?.toISOString() ?? ""}  ${String(o.Size ?? 0).padStart(10)}  ${o.Key}`);
                    count++;
                }
                token = page.IsTruncated ? page.NextContinuationToken : undefined;
            } while (token);
            console.log(`${count} object${count === 1 ? "" : "s"} in s3://${Bucket}`);
            return 0;
        }
        if (command === "rm") {
            const [Key] = rest;
            if (Key === undefined || rest.length > 1) return usage("rm takes one KEY");
            if (!safeKey(Key)) return 1;
            try {
                await s3.send(new HeadObjectCommand({ Bucket, Key }));
            } catch {
                console.error(`No object ${Key} in s3://${Bucket} (npm run lab -- ls lists them)`);
                return 1;
            }
            await s3.send(new DeleteObjectCommand({ Bucket, Key }));
            console.log(`deleted s3://${Bucket}/${Key}`);
            return 0;
        }
        const [file, key] = rest;
        if (!file || rest.length > 2) return usage("put takes FILE and an optional KEY");
        const Key = key ?? path.basename(file);
        if (!safeKey(Key)) return 1;
        let body: Buffer;
        try {
            body = fs.readFileSync(fromCallerDir(file));
        } catch (error) {
            console.error(`Cannot read ${file}: ${(error as Error).message}`);
            return 1;
        }
        await s3.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentType: contentTypeOf(Key) }));
        console.log(`uploaded ${file} to s3://${Bucket}/${Key}`);
        return 0;
    } catch (error) {
        console.error(`The lab's S3 server at ${state.s3Endpoint} did not answer: ${(error as Error).message}`);
        return 1;
    } finally {
        s3.destroy();
    }
}

/** Says why a key cannot be used, as the lab's S3 server would refuse it. */
function safeKey(key: string): boolean {
    const reason = unsafeKeyReason(key);
    if (!reason) return true;
    console.error(
        `The key "${key}" ${reason}: the local lab stores keys as files, so keys are names like users_4.json ` +
            `or folder/users_4.json, without ., .. or empty segments and without a leading /.`,
    );
    return false;
}

function usage(message: string): number {
    console.error(`${message}\n\n${USAGE}`);
    return 2;
}

if (require.main === module) {
    labCli(process.argv.slice(2)).then((code) => process.exit(code));
}
