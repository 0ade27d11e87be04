import { setMaxListeners } from "node:events";
import { GetObjectCommand, ListObjectsV2Command, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { consoleLogger, type Logger } from "../shared/log";
import { HttpError, jsonResponse, type HttpEvent, type HttpHandler, type HttpResult } from "../shared/http";

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
     * Without a `limit`, responses are paged automatically above this many body bytes (Lambda's synchronous
     * response limit is 6 MB).
     * @default 5.5 MB
     */
    maxResponseBytes?: number;
    /** Where structured logs go. @default console, one JSON object a line */
    logger?: Logger;
}

export const MAX_LIMIT = 1000;
/** S3 returns at most 1,000 keys per ListObjectsV2 page. */
export const LIST_PAGE_SIZE = 1000;
const MAX_QUERY_LENGTH = 200;

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
    const maxResponseBytes = options.maxResponseBytes ?? 5.5 * 1024 * 1024;

    return async (event: HttpEvent): Promise<HttpResult> => {
        try {
            const query = parseQuery(event.queryStringParameters ?? {});
            const { users, warnings } = await store.load();
            const matching = query.q ? users.filter((u) => matches(u, query.q!)) : users;
            const start = query.offset;
            const end = query.limit !== undefined ? start + query.limit : start + fittingCount(matching, start, maxResponseBytes, store.sizeOf);
            const page = matching.slice(start, end);
            return jsonResponse(
                200,
                {
                    users: page,
                    count: page.length,
                    total: matching.length,
                    ...(end < matching.length ? { nextCursor: encodeCursor(end) } : {}),
                    warnings,
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
    /** Each record's JSON size, measured once when its file is parsed (auto paging sums them). */
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
        this.maxObjectBytes = options.maxObjectBytes ?? 5 * 1024 * 1024;
        this.logger = options.logger ?? consoleLogger;
    }

    async load(): Promise<{ users: UserRecord[]; warnings: FileWarning[] }> {
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

        const users: UserRecord[] = [];
        const warnings: FileWarning[] = [];
        for (const { key } of objects) {
            const file = this.cache.get(key);
            if (!file) continue; // deleted between the list and the get
            if (file.warning) warnings.push({ key, reason: file.warning });
            else users.push(...file.users);
        }
        return { users, warnings };
    }

    private async listPage(token: string | undefined, abortSignal: AbortSignal): Promise<{ objects: ListedObject[]; next?: string }> {
        const page = await this.options.s3.send(
            new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.prefix, ContinuationToken: token, MaxKeys: this.listPageSize }),
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
        let text: string;
        let etag: string;
        try {
            const res = await this.options.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: object.key }), { abortSignal });
            text = (await res.Body?.transformToString("utf-8")) ?? "";
            etag = res.ETag ?? object.etag;
        } catch (error) {
            if (error instanceof S3ServiceException && error.name === "NoSuchKey") {
                this.cache.delete(object.key);
                return;
            }
            throw error;
        }
        try {
            const users = parseUsers(text);
            for (const u of users) this.sizes.set(u, Buffer.byteLength(JSON.stringify(u)));
            this.cache.set(object.key, { etag, users });
        } catch (error) {
            this.skip(object.key, etag, (error as Error).message);
        }
    }

    /** The JSON size of a record this store returned. */
    readonly sizeOf = (user: UserRecord): number => this.sizes.get(user) ?? Buffer.byteLength(JSON.stringify(user));

    private skip(key: string, etag: string, reason: string): void {
        this.logger.error("users.file_skipped", { bucket: this.options.bucket, key, reason });
        this.cache.set(key, { etag, users: [], warning: reason });
    }
}

/** Accepts a JSON array of objects or a randomuser.me `{ "results": [...] }` document. */
export function parseUsers(text: string): UserRecord[] {
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch (error) {
        throw new Error(`is not valid JSON (${(error as Error).message})`);
    }
    const list = Array.isArray(data) ? data : isObject(data) && Array.isArray(data.results) ? data.results : undefined;
    if (!list) throw new Error('is not a JSON array of users or a {"results": [...]} document');
    const bad = list.findIndex((u) => !isObject(u));
    if (bad >= 0) throw new Error(`element ${bad} is not a user object`);
    return list as UserRecord[];
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
    q?: string;
    limit?: number;
    offset: number;
}

/** Validates `q`, `limit` and `cursor`; a bad value is a 400 naming the parameter. */
export function parseQuery(params: Record<string, string | undefined>): Query {
    const q = params.q?.trim().toLowerCase() || undefined;
    if (q && q.length > MAX_QUERY_LENGTH) throw new HttpError(400, `q must be at most ${MAX_QUERY_LENGTH} characters`);
    let limit: number | undefined;
    if (params.limit !== undefined) {
        limit = Number(params.limit);
        if (!/^\d+$/.test(params.limit) || limit < 1 || limit > MAX_LIMIT) {
            throw new HttpError(400, `limit must be a whole number from 1 to ${MAX_LIMIT}; received ${JSON.stringify(params.limit)}`);
        }
    }
    const offset = params.cursor === undefined ? 0 : decodeCursor(params.cursor);
    return { q, limit, offset };
}

export function encodeCursor(offset: number): string {
    return Buffer.from(JSON.stringify({ o: offset })).toString("base64url");
}

function decodeCursor(cursor: string): number {
    try {
        const { o } = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { o: unknown };
        if (typeof o === "number" && Number.isInteger(o) && o >= 0) return o;
    } catch {
        // fall through to the error below
    }
    throw new HttpError(400, "cursor is not a value this API returned as nextCursor");
}

const SEARCHED: ((u: any) => unknown)[] = [
    (u) => u.name?.first,
    (u) => u.name?.last,
    (u) => u.email,
    (u) => u.department,
    (u) => u.location?.country,
];

function matches(user: UserRecord, q: string): boolean {
    return SEARCHED.some((field) => {
        const value = field(user);
        return typeof value === "string" && value.toLowerCase().includes(q);
    });
}

/** How many records from `start` fit in `budget` bytes of JSON (at least one, so paging always advances). */
function fittingCount(users: UserRecord[], start: number, budget: number, sizeOf: (u: UserRecord) => number): number {
    let bytes = 200; // the envelope: counts, cursor, warnings
    for (let i = start; i < users.length; i++) {
        bytes += sizeOf(users[i]) + 1;
        if (bytes > budget) return Math.max(1, i - start);
    }
    return users.length - start;
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
