/**
 * The floor the directory handler is measured against (benchmark only): the least work a strongly fresh merge can
 * do. It lists every page first, then fetches every new or changed file of each page in one parallel wave (the
 * same wave sizes as the handler: up to 1,000), keeps parsed files by ETag, and merges. No response paging,
 * gzip, warnings, memory bound or error handling: whatever the handler takes beyond this is its own overhead.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";

export function createFloor(s3: S3Client, bucket: string, prefix = "users") {
    const cache = new Map<string, { etag: string; users: unknown[] }>();
    return async () => {
        const pages: { key: string; etag: string }[][] = [];
        let token: string | undefined;
        do {
            const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
            pages.push((page.Contents ?? []).map((o) => ({ key: o.Key!, etag: o.ETag! })));
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        for (const page of pages) {
            await Promise.all(
                page
                    .filter((o) => cache.get(o.key)?.etag !== o.etag)
                    .map(async (o) => {
                        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.key }));
                        cache.set(o.key, { etag: o.etag, users: JSON.parse(await res.Body!.transformToString()) as unknown[] });
                    }),
            );
        }
        const listed = pages.flat();
        const keys = new Set(listed.map((o) => o.key));
        for (const key of cache.keys()) if (!keys.has(key)) cache.delete(key);
        const users = listed.flatMap((o) => cache.get(o.key)!.users);
        return { statusCode: 200, body: JSON.stringify({ users, count: users.length, total: users.length }) };
    };
}
