import { setMaxListeners } from "node:events";
import { GetObjectCommand, ListObjectsV2Command, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { consoleLogger, type Logger } from "../shared/log";
import { HttpError, jsonResponse, jsonTextResponse, type HttpEvent, type HttpHandler, type HttpResult } from "../shared/http";

/** One person as the data files hold them (randomuser.me-shaped, plus department and title). */
export type UserRecord = Record<string, unknown>;

/** A data file that was skipped, and why. */
export interface FileWarning {
    key: string;
    reason: string;
}

export interface DirectoryOptions {
    /** The S3 client to read the data bucket with. */
    s3: S3Client;
    /** The data bucket's name. */
    bucket: string;
    /**
     * Only keys starting with this are data files.
     * @default "users"
     */
    prefix?: string;
    /**
     * Keys per listing page (ListObjectsV2 MaxKeys), which is also the largest GET wave and the most GETs in
     * flight at once, so at most one page of bodies is held unparsed. Each page's changed files are all fetched
     * as soon as that page arrives, while the listing continues; give the S3 client a socket pool to match
     * (`directoryS3Client` in s3-client.ts).
     * @default 1000 (S3's largest page)
     */
    listPageSize?: number;
    /**
     * Files larger than this are skipped with a warning (they could not be returned anyway).
     * @default 5 MB
     */
    maxObjectBytes?: number;
    /**
     * Without a `limit`, responses are paged automatically so that the Lambda result, serialized as the runtime
     * sends it (the JSON body escaped a second time inside it), stays under this many bytes. Lambda refuses
     * results over 6,291,456 bytes (API Gateway then answers 502); the default leaves about 290 KB of headroom.
     * @default 6,000,000
     */
    maxResponseBytes?: number;
    /** Where structured logs go. @default console, one JSON object a line */
    logger?: Logger;
}

export const MAX_LIMIT = 1000;
/** The default of `maxObjectBytes`: 5 MB. */
export const MAX_OBJECT_BYTES = 5 * 1024 * 1024;
/** S3 returns at most 1,000 keys per ListObjectsV2 page. */
export const LIST_PAGE_SIZE = 1000;
const MAX_QUERY_LENGTH = 200;

/** One data file as `load()` returns it: its records in file order, and the ETag they were read at. */
export interface LoadedFile {
    key: string;
    etag: string;
    users: UserRecord[];
}

interface CachedFile {
    etag: string;
    users: UserRecord[];
    warning?: string;
}

interface ListedObject {
    key: string;
    etag: string;
    size: number;
}

/**
 * Creates the `GET /users` handler (API Gateway payload 2.0). Each invocation lists the data files afresh and
 * fetches only files that are new or whose ETag changed since the last invocation of this container; files that
 * disappeared drop out. Nothing is served from a timer cache, so a reload right after a delete shows the new count.
 */
export function createHandler(options: DirectoryOptions): HttpHandler {
    const store = new UserStore(options);
    const logger = options.logger ?? consoleLogger;
    const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const wholePage = new WholePageMemo();

    return async (event: HttpEvent): Promise<HttpResult> => {
        try {
            const query = parseQuery(event.queryStringParameters ?? {});
            const { files, warnings } = await store.load();
            const { matching, positionAt, start, dataChanged } = select(files, query);
            let end: number;
            if (query.limit !== undefined) {
                end = Math.min(matching.length, start + query.limit);
            } else {
                // Usually everything from `start` fits: then the page's JSON, made once, is measured as Lambda will
                // serialize it, and only a page that does not fit is sized record by record.
                const whole = wholePage.get(files, warnings, query.q, start, dataChanged, () => ({
                    users: matching.slice(start),
                    count: matching.length - start,
                    total: matching.length,
                    warnings,
                    ...(dataChanged ? { dataChanged } : {}),
                }));
                if (EMPTY_RESULT_BYTES + whole.escapedBytes <= maxResponseBytes) return jsonTextResponse(200, whole.text, event);
                const envelope = {
                    users: [],
                    count: matching.length,
                    total: matching.length,
                    nextCursor: longestCursor(files),
                    warnings,
                    ...(dataChanged ? { dataChanged } : {}),
                };
                const overhead = resultBytes(jsonResponse(200, envelope));
                end = start + fittingCount(matching, start, maxResponseBytes - overhead, store.sizeOf);
            }
            const page = matching.slice(start, end);
            return jsonResponse(
                200,
                {
                    users: page,
                    count: page.length,
                    total: matching.length,
                    ...(end < matching.length ? { nextCursor: encodeCursor(positionAt(end)) } : {}),
                    warnings,
                    ...(dataChanged ? { dataChanged } : {}),
                },
                event,
            );
        } catch (error) {
            if (error instanceof HttpError) {
                if (error.statusCode >= 500) logger.error("users.failed", { status: error.statusCode, message: error.message });
                return jsonResponse(error.statusCode, { message: error.message });
            }
            logger.error("users.unexpected", { error: String(error) });
            return jsonResponse(500, { message: "Internal error while reading the directory" });
        }
    };
}

/**
 * The last unpaged response body and its size once escaped into a Lambda result, for as long as nothing it was
 * made from changed: the files' keys and ETags, the warnings, the query and where it starts. A warm call on
 * unchanged data then neither serializes nor measures the body again.
 */
class WholePageMemo {
    private last?: { key: string; text: string; escapedBytes: number };

    get(
        files: LoadedFile[],
        warnings: FileWarning[],
        q: string | undefined,
        start: number,
        dataChanged: boolean,
        body: () => unknown,
    ): { text: string; escapedBytes: number } {
        const key = JSON.stringify([files.map((f) => [f.key, f.etag]), warnings, q ?? null, start, dataChanged]);
        if (this.last?.key !== key) {
            const text = JSON.stringify(body());
            this.last = { key, text, escapedBytes: escapedStringBytes(text) };
        }
        return this.last;
    }
}

/** Lambda's limit on a synchronous invocation's serialized result. */
export const LAMBDA_RESULT_LIMIT = 6_291_456;
const DEFAULT_MAX_RESPONSE_BYTES = 6_000_000;

/** Bytes of a handler result as the Lambda runtime serializes it (JSON, so the body is escaped again). */
export function resultBytes(result: HttpResult): number {
    return Buffer.byteLength(JSON.stringify(result));
}

/** A 200 JSON result with an empty body, serialized: what a body's escaped bytes are added to. */
const EMPTY_RESULT_BYTES = resultBytes(jsonTextResponse(200, ""));

/** Where paging resumes: the record at `index` in the data file `key`, as read at ETag `etag`. */
export interface Position {
    key: string;
    index: number;
    etag: string;
}

/**
 * The records that match `q`, each one's position, and where the cursor resumes among them. A cursor names a
 * file and an index in it, so deleting or adding other files moves no page boundary. When the cursor's own file
 * changed or disappeared since it was issued, paging resumes at the nearest position and `dataChanged` says so.
 */
function select(
    files: LoadedFile[],
    query: Query,
): { matching: UserRecord[]; positionAt: (n: number) => Position; start: number; dataChanged: boolean } {
    const matching: UserRecord[] = [];
    // Where each matching record is: its file (an index into files) and its index in that file.
    const fileOf: number[] = [];
    const indexOf: number[] = [];
    const cursor = query.cursor;
    let start = 0;
    let dataChanged = false;
    if (cursor) {
        const file = files.find((f) => f.key === cursor.key);
        if (!file || file.etag !== cursor.etag) dataChanged = true;
        else if (cursor.index >= file.users.length) {
            throw new HttpError(
                400,
                `cursor points past the end of ${cursor.key} (${file.users.length} records): it is not a value this API returned as nextCursor`,
            );
        }
    }
    files.forEach((file, f) => {
        const before = cursor ? compareKeys(file.key, cursor.key) : 1;
        for (let index = 0; index < file.users.length; index++) {
            const user = file.users[index];
            if (query.q !== undefined && !matches(user, query.q)) continue;
            if (before < 0 || (before === 0 && index < cursor!.index)) start++;
            matching.push(user);
            fileOf.push(f);
            indexOf.push(index);
        }
    });
    const positionAt = (n: number): Position => ({ key: files[fileOf[n]].key, index: indexOf[n], etag: files[fileOf[n]].etag });
    return { matching, positionAt, start, dataChanged };
}

function compareKeys(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** A cursor at least as long as any this response could carry (to budget the envelope). */
function longestCursor(files: LoadedFile[]): string {
    const longest = files.reduce((a, f) => (f.key.length + f.etag.length > a.key.length + a.etag.length ? f : a), {
        key: "",
        etag: "",
        users: [],
    });
    return encodeCursor({ key: longest.key, etag: longest.etag, index: Number.MAX_SAFE_INTEGER });
}

/**
 * Lists, fetches, parses and merges the data files; keeps parsed files by ETag between invocations.
 *
 * Scheduling: each listing page's new or changed files are fetched in one wave as soon as that page arrives,
 * while the next page is being listed, so the wait is about one round trip for the listing and one for the
 * GETs, whatever the number of files. At most one page of GETs is in flight at once (a later page's GETs take
 * the slots the earlier ones free), and each body is parsed as soon as it has arrived, so no more than one
 * page of bodies is held unparsed. The first failure aborts the requests still in flight and fails the
 * invocation once they have all settled: nothing keeps running, and nothing rejects unobserved.
 */
export class UserStore {
    private readonly cache = new Map<string, CachedFile>();
    /** Each record's size in a serialized Lambda result, measured once when first paged over (auto paging sums them). */
    private readonly sizes = new WeakMap<UserRecord, number>();
    private readonly prefix: string;
    private readonly listPageSize: number;
    private readonly maxObjectBytes: number;
    private readonly logger: Logger;

    constructor(private readonly options: DirectoryOptions) {
        this.prefix = options.prefix ?? "users";
        this.listPageSize = options.listPageSize ?? LIST_PAGE_SIZE;
        if (!Number.isInteger(this.listPageSize) || this.listPageSize < 1 || this.listPageSize > LIST_PAGE_SIZE) {
            throw new Error(`listPageSize must be a whole number from 1 to ${LIST_PAGE_SIZE}; received ${this.listPageSize}`);
        }
        this.maxObjectBytes = options.maxObjectBytes ?? MAX_OBJECT_BYTES;
        this.logger = options.logger ?? consoleLogger;
    }

    async load(): Promise<{ files: LoadedFile[]; warnings: FileWarning[] }> {
        const abort = new AbortController();
        // Every request in flight listens on this one signal (up to a page of GETs plus a LIST); it lives for
        // this invocation only, so Node's leak warning past 10 listeners does not apply.
        setMaxListeners(0, abort.signal);
        let failure: unknown;
        const fail = (error: unknown) => {
            if (abort.signal.aborted) return; // the first failure is the one reported; the rest are its echoes
            failure = error;
            abort.abort();
        };
        const slots = new Slots(this.listPageSize);
        const fetches: Promise<void>[] = [];
        const fetchOne = async (object: ListedObject): Promise<void> => {
            await slots.take();
            try {
                if (!abort.signal.aborted) await this.refresh(object, abort.signal);
            } catch (error) {
                fail(error);
            } finally {
                slots.give();
            }
        };

        const objects: ListedObject[] = [];
        try {
            let token: string | undefined;
            do {
                const page = await this.listPage(token, abort.signal);
                for (const object of page.objects) {
                    objects.push(object);
                    if (this.cache.get(object.key)?.etag !== object.etag) fetches.push(fetchOne(object));
                }
                token = page.next;
            } while (token && !abort.signal.aborted);
        } catch (error) {
            fail(error);
        }
        await Promise.all(fetches); // never rejects: each fetch reports through fail()
        if (abort.signal.aborted) throw toUpstreamError(failure);

        objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        const listed = new Set(objects.map((o) => o.key));
        for (const key of this.cache.keys()) if (!listed.has(key)) this.cache.delete(key);

        const files: LoadedFile[] = [];
        const warnings: FileWarning[] = [];
        for (const { key } of objects) {
            const file = this.cache.get(key);
            if (!file) continue; // deleted between the list and the get
            if (file.warning) warnings.push({ key, reason: file.warning });
            else files.push({ key, etag: file.etag, users: file.users });
        }
        return { files, warnings };
    }

    private async listPage(token: string | undefined, abortSignal: AbortSignal): Promise<{ objects: ListedObject[]; next?: string }> {
        const page = await this.options.s3.send(
            new ListObjectsV2Command({
                Bucket: this.options.bucket,
                Prefix: this.prefix,
                ContinuationToken: token,
                MaxKeys: this.listPageSize,
            }),
            { abortSignal },
        );
        const objects: ListedObject[] = [];
        for (const o of page.Contents ?? []) {
            if (o.Key && !o.Key.endsWith("/")) objects.push({ key: o.Key, etag: o.ETag ?? "", size: o.Size ?? 0 });
        }
        return { objects, next: page.IsTruncated ? page.NextContinuationToken : undefined };
    }

    private async refresh(object: ListedObject, abortSignal: AbortSignal): Promise<void> {
        if (object.size > this.maxObjectBytes) {
            this.skip(object.key, object.etag, `is ${object.size} bytes, more than the ${this.maxObjectBytes}-byte limit`);
            return;
        }
        let bytes: Uint8Array;
        let etag: string;
        try {
            const res = await this.options.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: object.key }), { abortSignal });
            bytes = (await res.Body?.transformToByteArray()) ?? new Uint8Array();
            etag = res.ETag ?? object.etag;
        } catch (error) {
            if (error instanceof S3ServiceException && error.name === "NoSuchKey") {
                this.cache.delete(object.key);
                return;
            }
            throw error;
        }
        try {
            const users = parseUsers(bytes);
            this.cache.set(object.key, { etag, users });
        } catch (error) {
            this.skip(object.key, etag, (error as Error).message);
        }
    }

    /** The bytes a record this store returned takes in a serialized Lambda result (its JSON, escaped again). */
    readonly sizeOf = (user: UserRecord): number => {
        let size = this.sizes.get(user);
        if (size === undefined) {
            size = escapedJsonBytes(user);
            this.sizes.set(user, size);
        }
        return size;
    };

    private skip(key: string, etag: string, reason: string): void {
        this.logger.error("users.file_skipped", { bucket: this.options.bucket, key, reason });
        this.cache.set(key, { etag, users: [], warning: reason });
    }
}

/**
 * Accepts a JSON array of objects or a randomuser.me `{ "results": [...] }` document, in UTF-8 with or without a
 * byte-order mark (some Windows editors write one). Bytes that are not UTF-8 (a file saved as Latin-1) are refused
 * rather than shown as U+FFFD.
 */
export function parseUsers(content: string | Uint8Array): UserRecord[] {
    const text = typeof content === "string" ? content : decodeUtf8(content);
    let data: unknown;
    try {
        data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (error) {
        throw new Error(`is not valid JSON (${(error as Error).message})`);
    }
    const list = Array.isArray(data) ? data : isObject(data) && Array.isArray(data.results) ? data.results : undefined;
    if (!list) throw new Error('is not a JSON array of users or a {"results": [...]} document');
    const bad = list.findIndex((u) => !isObject(u));
    if (bad >= 0) throw new Error(`element ${bad} is not a user object`);
    return list as UserRecord[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string {
    try {
        return utf8.decode(bytes);
    } catch {
        const at = Math.max(0, firstInvalidUtf8(bytes));
        throw new Error(
            `is not valid UTF-8 (byte ${at} is 0x${(bytes[at] ?? 0).toString(16).padStart(2, "0")}): save it as UTF-8, not Latin-1 or Windows-1252`,
        );
    }
}

/** The offset of the first byte that does not begin a well-formed UTF-8 sequence (RFC 3629), or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
    for (let i = 0; i < b.length;) {
        const c = b[i];
        const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
        if (n < 0) return i;
        const [lo, hi] =
            c === 0xe0 ? [0xa0, 0xbf] : c === 0xed ? [0x80, 0x9f] : c === 0xf0 ? [0x90, 0xbf] : c === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
        if (n > 0 && !(b[i + 1] >= lo && b[i + 1] <= hi)) return i;
        for (let j = 2; j <= n; j++) if (!(b[i + j] >= 0x80 && b[i + j] <= 0xbf)) return i;
        i += n + 1;
    }
    return -1;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toUpstreamError(error: unknown): HttpError {
    const name = error instanceof Error ? error.name : "";
    if (name === "AccessDenied" || name === "Forbidden") {
        return new HttpError(502, "The directory function is not allowed to read the data bucket (AccessDenied)");
    }
    if (name === "NoSuchBucket") return new HttpError(502, "The data bucket does not exist (NoSuchBucket)");
    return new HttpError(502, `Reading the data bucket failed (${name || "unknown error"})`);
}

interface Query {
    /** The search text, trimmed, lower-cased and in Unicode NFC. */
    q?: string;
    limit?: number;
    cursor?: Position;
}

/** Validates `q`, `limit` and `cursor`; a bad value is a 400 naming the parameter. */
export function parseQuery(params: Record<string, string | undefined>): Query {
    const sent = params.q?.trim() || undefined;
    // The limit applies to what the user sent: lower-casing can lengthen a string ("İ" becomes "i̇").
    if (sent && [...sent].length > MAX_QUERY_LENGTH) throw new HttpError(400, `q must be at most ${MAX_QUERY_LENGTH} characters`);
    const q = sent === undefined ? undefined : searchForm(sent);
    let limit: number | undefined;
    if (params.limit !== undefined) {
        limit = Number(params.limit);
        if (!/^\d+$/.test(params.limit) || limit < 1 || limit > MAX_LIMIT) {
            throw new HttpError(400, `limit must be a whole number from 1 to ${MAX_LIMIT}; received ${JSON.stringify(params.limit)}`);
        }
    }
    const cursor = params.cursor === undefined ? undefined : decodeCursor(params.cursor);
    return { q, limit, cursor };
}

/** An opaque cursor naming the position of the next page's first record. */
export function encodeCursor(position: Position): string {
    return Buffer.from(JSON.stringify({ k: position.key, i: position.index, e: position.etag })).toString("base64url");
}

function decodeCursor(cursor: string): Position {
    try {
        const { k, i, e } = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Record<string, unknown>;
        if (typeof k === "string" && k.length > 0 && typeof e === "string" && typeof i === "number" && Number.isSafeInteger(i) && i >= 0) {
            return { key: k, index: i, etag: e };
        }
    } catch {
        // fall through to the error below
    }
    throw new HttpError(400, "cursor is not a value this API returned as nextCursor; start again without it");
}

/** How search compares text: lower case, composed (NFC), so "Léa" typed decomposed finds "Léa" stored composed. */
function searchForm(text: string): string {
    return text.toLowerCase().normalize("NFC");
}

/** A field of a record by its path, or undefined where the record does not have it. */
function field(record: UserRecord, ...path: string[]): unknown {
    let value: unknown = record;
    for (const key of path) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
    return value;
}

const SEARCHED: ((u: UserRecord) => unknown)[] = [
    (u) => field(u, "name", "first"),
    (u) => field(u, "name", "last"),
    (u) => field(u, "email"),
    (u) => field(u, "department"),
    (u) => field(u, "location", "country"),
];

/** Each record's searched fields in search form, computed once per record. */
const searchable = new WeakMap<UserRecord, string[]>();

function matches(user: UserRecord, q: string): boolean {
    let fields = searchable.get(user);
    if (!fields) {
        fields = SEARCHED.map((field) => field(user))
            .filter((v): v is string => typeof v === "string")
            .map(searchForm);
        searchable.set(user, fields);
    }
    return fields.some((value) => value.includes(q));
}

/** How many records from `start` fit in `budget` bytes (at least one, so paging always advances). */
function fittingCount(users: UserRecord[], start: number, budget: number, sizeOf: (u: UserRecord) => number): number {
    let bytes = 0;
    for (let i = start; i < users.length; i++) {
        bytes += sizeOf(users[i]) + 1; // the record and its comma
        if (bytes > budget) return Math.max(1, i - start);
    }
    return users.length - start;
}

/** Bytes a value's JSON takes once escaped into a JSON string (as the body inside a Lambda result). */
function escapedJsonBytes(value: unknown): number {
    return escapedStringBytes(JSON.stringify(value));
}

/** Bytes JSON text takes once escaped into a JSON string: " and \ gain a backslash (JSON text has no raw control characters). */
function escapedStringBytes(json: string): number {
    let extra = 0;
    for (let i = 0; i < json.length; i++) {
        const c = json.charCodeAt(i);
        if (c === 0x22 || c === 0x5c) extra++;
    }
    return Buffer.byteLength(json) + extra;
}

/** A counting semaphore: at most `size` holders at once, served first come, first served. */
class Slots {
    private readonly waiting: (() => void)[] = [];

    constructor(private free: number) {}

    async take(): Promise<void> {
        if (this.free > 0) this.free--;
        else await new Promise<void>((resolve) => this.waiting.push(resolve));
    }

    give(): void {
        const next = this.waiting.shift();
        if (next) next();
        else this.free++;
    }
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < items.length) await fn(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
