import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { startLocalS3, type LocalS3 } from "../../local/s3-server";

/** A fresh s3rver on a free loopback port with one empty bucket, in a temporary folder removed on close. */
export async function startTestS3(bucket = "data"): Promise<LocalS3 & { bucket: string }> {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-s3-"));
    const s3 = await startLocalS3({ directory, buckets: [bucket] });
    return {
        ...s3,
        bucket,
        close: async () => {
            await s3.close();
            fs.rmSync(directory, { recursive: true, force: true });
        },
    };
}

export async function put(s3: S3Client, bucket: string, key: string, body: string | Uint8Array, contentType?: string): Promise<void> {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}

export async function remove(s3: S3Client, bucket: string, key: string): Promise<void> {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

/** Counts the S3 commands a client sends, by command name (e.g. ListObjectsV2Command). */
export function countCommands(s3: S3Client): Map<string, number> {
    const counts = new Map<string, number>();
    s3.middlewareStack.add(
        (next, context) => async (args) => {
            const name = String(context.commandName);
            counts.set(name, (counts.get(name) ?? 0) + 1);
            return next(args);
        },
        { step: "initialize", name: "countCommands" },
    );
    return counts;
}
