/**
 * The lab's reference solution (function_solved.py, Python/boto3) ported faithfully to TypeScript, as the
 * benchmark's baseline only: one ListObjectsV2 call (no pagination: past 1,000 keys it misses files, and an
 * empty bucket has no Contents), keep keys starting with "users_", GetObject each in sequence, concatenate.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";

export function createReferenceHandler(s3: S3Client, bucket: string) {
    return async () => {
        const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
        const users: unknown[] = [];
        for (const object of listing.Contents!) {
            if (!object.Key!.startsWith("users_")) continue;
            const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
            users.push(...(JSON.parse(await res.Body!.transformToString()) as unknown[]));
        }
        return { statusCode: 200, body: JSON.stringify(users), headers: { "Access-Control-Allow-Origin": "*" } };
    };
}
