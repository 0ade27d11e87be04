/**
 * A bucket's public objects as S3 serves them to an anonymous caller, for the local lab's server: the audio lab's
 * `audio/*` MP3s. Done here rather than passed through to s3rver, which differs from S3 on what a player or a
 * browser sends: a suffix range (`bytes=-100` is the last 100 bytes), a multi-range or malformed Range header
 * (ignored: 200 and the whole object), conditional requests (a matching If-None-Match is 304), and keys taken as
 * sent (`audio/./x.mp3` is its own key, not `audio/x.mp3`).
 */
import type * as http from "node:http";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from "@aws-sdk/client-s3";
import { unsafeKeyReason } from "../shared/local-s3-store";

export interface PublicBucket {
    s3: S3Client;
    bucket: string;
    /** The keys anyone may read (`audio/`); every other key, and listing, is 403 AccessDenied. */
    publicPrefix: string;
}

const xmlError = (code: string, message: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>\n`;

/** A byte range of an object of `size` bytes: `{ start, end }` (inclusive), "unsatisfiable", or undefined (whole object). */
export type ByteRange = { start: number; end: number } | "unsatisfiable" | undefined;

/**
 * A Range header as S3 reads it (RFC 9110): one range `bytes=a-b`, `bytes=a-` or `bytes=-n` (the last n bytes);
 * a header S3 does not understand (several ranges, another unit, junk, `a-b` with b < a) is ignored.
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
    const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
    if (!match || (match[1] === "" && match[2] === "")) return undefined;
    if (match[1] === "") {
        const suffix = Number(match[2]);
        if (suffix === 0 || size === 0) return "unsatisfiable";
        return { start: Math.max(0, size - suffix), end: size - 1 };
    }
    const start = Number(match[1]);
    const last = match[2] === "" ? Infinity : Number(match[2]);
    if (last < start) return undefined;
    if (start >= size) return "unsatisfiable";
    return { start, end: Math.min(last, size - 1) };
}

/** True when an If-Match / If-None-Match list names `etag` (quoted or not, weak or strong) or is `*`. */
function etagListHas(header: string, etag: string): boolean {
    const bare = (tag: string) => tag.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
    return header.split(",").some((tag) => tag.trim() === "*" || bare(tag) === bare(etag));
}

/** The status a conditional GET/HEAD answers before any body (412, 304), or undefined to go on. */
function preconditions(headers: http.IncomingHttpHeaders, etag: string, modified: Date | undefined): 304 | 412 | undefined {
    const at = (value: string | undefined) => (value === undefined || Number.isNaN(Date.parse(value)) ? undefined : Date.parse(value));
    // Seconds: HTTP dates have no milliseconds.
    const modifiedMs = modified ? Math.floor(modified.getTime() / 1000) * 1000 : undefined;
    const ifMatch = headers["if-match"];
    if (ifMatch !== undefined) {
        if (!etagListHas(ifMatch, etag)) return 412;
    } else {
        const since = at(headers["if-unmodified-since"]);
        if (since !== undefined && modifiedMs !== undefined && modifiedMs > since) return 412;
    }
    const ifNoneMatch = headers["if-none-match"];
    if (ifNoneMatch !== undefined) return etagListHas(ifNoneMatch, etag) ? 304 : undefined;
    const since = at(headers["if-modified-since"]);
    if (since !== undefined && modifiedMs !== undefined && modifiedMs <= since) return 304;
    return undefined;
}

/**
 * Serves `rawKey` (the path after `/<bucket>/`, percent-encoded as sent) of the bucket to an anonymous caller:
 * objects under the public prefix with ranges and conditional requests; anything else 403 AccessDenied.
 */
export async function servePublicObject(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    rawKey: string,
    bucket: PublicBucket,
): Promise<void> {
    const headOnly = req.method === "HEAD";
    const fail = (status: number, code: string, message: string, extra: Record<string, string> = {}) =>
        send(res, status, { "content-type": "application/xml", ...extra }, xmlError(code, message), headOnly);
    if (req.method !== "GET" && !headOnly) return fail(405, "MethodNotAllowed", "Only GET and HEAD are public");
    let key: string;
    try {
        key = decodeURIComponent(rawKey);
    } catch {
        return fail(400, "InvalidURI", "Couldn't parse the specified URI.");
    }
    if (!key.startsWith(bucket.publicPrefix) || key === bucket.publicPrefix) return fail(403, "AccessDenied", "Access Denied");
    const missing = () => fail(404, "NoSuchKey", "The specified key does not exist.");
    // S3 takes a key as sent (audio/./x.mp3, audio//x.mp3 and audio/<NUL>.mp3 are keys of their own); the local
    // store cannot hold such keys, so no such object exists here.
    if (unsafeKeyReason(key)) return missing();

    let head: HeadObjectCommandOutput;
    try {
        head = await bucket.s3.send(new HeadObjectCommand({ Bucket: bucket.bucket, Key: key }));
    } catch (error) {
        if (isMissing(error)) return missing();
        throw error;
    }
    const size = head.ContentLength ?? 0;
    const etag = head.ETag ?? "";
    const headers: Record<string, string> = { "accept-ranges": "bytes", "cache-control": "no-store" };
    if (etag) headers.etag = etag;
    if (head.LastModified) headers["last-modified"] = head.LastModified.toUTCString();

    const precondition = preconditions(req.headers, etag, head.LastModified);
    if (precondition === 304) {
        res.writeHead(304, headers);
        res.end();
        return;
    }
    if (precondition === 412) return fail(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");

    const ifRange = req.headers["if-range"] === undefined ? undefined : String(req.headers["if-range"]);
    const rangeHeader =
        ifRange === undefined ||
        etagListHas(ifRange, etag) ||
        (head.LastModified && Date.parse(ifRange) >= Math.floor(head.LastModified.getTime() / 1000) * 1000)
            ? req.headers.range
            : undefined;
    const range = parseRange(rangeHeader, size);
    if (range === "unsatisfiable") {
        return fail(416, "InvalidRange", "The requested range is not satisfiable", { "content-range": `bytes */${size}` });
    }
    headers["content-type"] = head.ContentType ?? "application/octet-stream";
    headers["content-length"] = String(range ? range.end - range.start + 1 : size);
    if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
    if (headOnly) {
        res.writeHead(range ? 206 : 200, headers);
        res.end();
        return;
    }
    let body: Readable;
    try {
        const object = await bucket.s3.send(
            new GetObjectCommand({
                Bucket: bucket.bucket,
                Key: key,
                IfMatch: etag || undefined,
                Range: range ? `bytes=${range.start}-${range.end}` : undefined,
            }),
        );
        body = object.Body as Readable;
    } catch (error) {
        // replaced or deleted since the HEAD: answered as the object is now
        if (isMissing(error)) return missing();
        if ((error as { name?: string }).name === "PreconditionFailed")
            return fail(503, "SlowDown", "The object changed while it was read: try again");
        throw error;
    }
    res.writeHead(range ? 206 : 200, headers);
    await pipeline(body, res).catch(() => res.destroy());
}

function isMissing(error: unknown): boolean {
    const name = (error as { name?: string }).name;
    return name === "NoSuchKey" || name === "NotFound";
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string, headOnly: boolean): void {
    res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
    res.end(headOnly ? undefined : body);
}
