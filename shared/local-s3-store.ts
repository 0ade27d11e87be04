/**
 * The local S3 server's object store: s3rver's FilesystemStore, made safe for the lab.
 *
 * - Keys and bucket names map to paths, so a `.` or `..` segment, an empty segment or a leading `/` would reach
 *   outside the bucket (or store a different key than the one asked for): those are refused with a 400.
 * - s3rver writes objects in place and reads size, ETag and body in separate steps, so a reader racing a re-upload
 *   sees a truncated body. Here every write goes to a file aside and is renamed into place, and a reader takes the
 *   size, ETag and an open file handle in one step that no rename interleaves with: a GET returns one whole version,
 *   as real S3 does.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

// s3rver ships no types; the slices used here are declared below.
type Metadata = Record<string, unknown>;
interface StoredObject {
    bucket: string;
    key: string;
    content: Readable | Buffer | null;
    metadata: Metadata;
    range?: { start: number; end: number };
}
interface FilesystemStoreClass {
    new (rootDirectory: string): FilesystemStoreBase;
    encodeKeyPath(key: string): string;
}
interface FilesystemStoreBase {
    rootDirectory: string;
    getBucketPath(bucket: string): string;
    getResourcePath(bucket: string, key?: string, resource?: string): string;
    getMetadata(bucket: string, key: string): Promise<Metadata>;
    putMetadata(bucket: string, key: string, metadata: Metadata, md5?: string): Promise<void>;
    listObjects(bucket: string, options: Record<string, unknown>): Promise<unknown>;
    getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<StoredObject | null>;
    putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
    copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacement?: Metadata): Promise<Metadata>;
    deleteObject(bucket: string, key: string): Promise<void>;
}
const FilesystemStore = require("s3rver/lib/stores/filesystem") as FilesystemStoreClass;
const S3Error = require("s3rver/lib/models/error") as new (code: string, message: string, detail?: Record<string, string>) => Error;
const S3Object = require("s3rver/lib/models/object") as new (
    bucket: string,
    key: string,
    content: unknown,
    metadata: Metadata,
) => StoredObject & {
    metadata: Metadata;
};
const ALLOWED_METADATA = (S3Object as unknown as { ALLOWED_METADATA: string[] }).ALLOWED_METADATA;

/**
 * Why a key cannot be stored by the local lab, or undefined when it can. S3 itself takes any string, but the local
 * server maps keys to files, so these are refused: `.`/`..` segments, empty segments (`a//b`), a leading `/`, NUL.
 */
export function unsafeKeyReason(key: string): string | undefined {
    if (key === "") return "is empty";
    if (key.includes("\0")) return "contains a NUL character";
    if (key.startsWith("/")) return "starts with /";
    const segments = key.split("/");
    segments.pop(); // the last segment may be empty: "folder/" is a folder marker
    if (segments.some((s) => s === "")) return "has an empty segment (//)";
    if (key.split("/").some((s) => s === "." || s === "..")) return "has a . or .. segment";
    return undefined;
}

/** A lock many readers hold at once and a writer holds alone; waiting writers go before new readers. */
class ReadWriteLock {
    private readers = 0;
    private writing = false;
    private readonly waiting: { write: boolean; wake: () => void }[] = [];

    async read<T>(work: () => Promise<T>): Promise<T> {
        if (this.writing || this.waiting.length) await new Promise<void>((wake) => this.waiting.push({ write: false, wake }));
        else this.readers++;
        try {
            return await work();
        } finally {
            this.readers--;
            this.next();
        }
    }

    async write<T>(work: () => Promise<T>): Promise<T> {
        if (this.writing || this.readers || this.waiting.length)
            await new Promise<void>((wake) => this.waiting.push({ write: true, wake }));
        else this.writing = true;
        try {
            return await work();
        } finally {
            this.writing = false;
            this.next();
        }
    }

    private next(): void {
        if (this.writing) return;
        while (this.waiting.length) {
            const first = this.waiting[0];
            if (first.write) {
                if (this.readers) return;
                this.waiting.shift();
                this.writing = true;
                first.wake();
                return;
            }
            this.waiting.shift();
            this.readers++;
            first.wake();
        }
    }
}

let asideCounter = 0;
/** A sibling path for writing aside; its name never ends like a stored object, so listings skip it. */
const aside = (file: string) => `${file}.${process.pid}-${++asideCounter}-${crypto.randomBytes(4).toString("hex")}.tmp`;

export class LabFilesystemStore extends FilesystemStore {
    /** Held shared while a reader takes a consistent view of objects, alone while files are renamed or removed. */
    private readonly lock = new ReadWriteLock();

    getBucketPath(bucket: string): string {
        if (!bucket || bucket === "." || bucket === ".." || /[/\\\0]/.test(bucket)) {
            throw new S3Error("InvalidBucketName", `The local lab's S3 server refuses the bucket name "${bucket}"`, { BucketName: bucket });
        }
        return super.getBucketPath(bucket);
    }

    getResourcePath(bucket: string, key = "", resource?: string): string {
        const reason = key === "" ? undefined : unsafeKeyReason(key);
        if (reason) {
            throw new S3Error("InvalidArgument", `The local lab's S3 server refuses the key "${key}": it ${reason}`, {
                ArgumentName: "key",
                ArgumentValue: key,
            });
        }
        this.getBucketPath(bucket);
        return super.getResourcePath(bucket, key, resource);
    }

    /** Size, ETag and stored metadata of an object; reads the body's MD5 from the file handle when none is stored. */
    async getMetadata(bucket: string, key: string, handle?: fs.promises.FileHandle): Promise<Metadata> {
        const objectPath = this.getResourcePath(bucket, key, "object");
        const stat = handle ? await handle.stat() : await fs.promises.stat(objectPath);
        const [stored, md5] = await Promise.all([
            fs.promises.readFile(this.getResourcePath(bucket, key, "metadata.json"), "utf8").then(
                (text) => JSON.parse(text) as Metadata,
                (error: NodeJS.ErrnoException) => {
                    if (error.code === "ENOENT") return undefined;
                    throw error;
                },
            ),
            fs.promises.readFile(this.getResourcePath(bucket, key, "object.md5"), "utf8").catch(async (error: NodeJS.ErrnoException) => {
                if (error.code !== "ENOENT") throw error;
                const hash = crypto.createHash("md5");
                const stream = handle ? handle.createReadStream({ start: 0, autoClose: false }) : fs.createReadStream(objectPath);
                for await (const chunk of stream) hash.update(chunk as Buffer);
                return hash.digest("hex");
            }),
        ]);
        return { ...stored, etag: JSON.stringify(md5), "last-modified": stat.mtime.toUTCString(), "content-length": stat.size };
    }

    listObjects(bucket: string, options: Record<string, unknown>): Promise<unknown> {
        return this.lock.read(() => super.listObjects(bucket, options));
    }

    async getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<StoredObject | null> {
        const objectPath = this.getResourcePath(bucket, key, "object");
        // Open the file and read its size and ETag while no rename can happen: the body is then that version's,
        // whatever is renamed over the path afterwards.
        const opened = await this.lock.read(async () => {
            let handle: fs.promises.FileHandle;
            try {
                handle = await fs.promises.open(objectPath, "r");
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
                throw error;
            }
            try {
                return { handle, metadata: await this.getMetadata(bucket, key, handle) };
            } catch (error) {
                await handle.close();
                throw error;
            }
        });
        if (!opened) return null;
        const { handle, metadata } = opened;
        const lastByte = Math.max(0, Number(metadata["content-length"]) - 1);
        const range = { start: options?.start ?? 0, end: Math.min(options?.end ?? Infinity, lastByte) };
        const ranged = options !== undefined && (options.start !== undefined || options.end !== undefined);
        if (range.start < 0 || range.end < range.start) {
            // not satisfiable: s3rver answers InvalidRange for a ranged request, an empty body otherwise
            await handle.close();
            const object = new S3Object(bucket, key, null, metadata);
            if (ranged) object.range = range;
            return object;
        }
        const object = new S3Object(bucket, key, handle.createReadStream({ start: range.start, end: range.end }), metadata);
        if (ranged) object.range = range;
        return object;
    }

    /**
     * Stores an object from its bytes, as a PutObject with that body and Content-Type stores it, without HTTP or
     * the ObjectCreated event: for seeding many keys at once.
     */
    putBytes(
        bucket: string,
        key: string,
        body: string | Buffer,
        contentType = "application/octet-stream",
    ): Promise<{ size: number; md5: string }> {
        return this.putObject(new S3Object(bucket, key, Buffer.from(body), { "content-type": contentType }));
    }

    async putObject(object: StoredObject): Promise<{ size: number; md5: string }> {
        const objectPath = this.getResourcePath(object.bucket, object.key, "object");
        await fs.promises.mkdir(path.dirname(objectPath), { recursive: true });
        const temp = aside(objectPath);
        const hash = crypto.createHash("md5");
        let size = 0;
        try {
            if (Buffer.isBuffer(object.content)) {
                await fs.promises.writeFile(temp, object.content);
                hash.update(object.content);
                size = object.content.length;
            } else if (object.content) {
                await pipeline(
                    object.content,
                    async function* (source: AsyncIterable<Buffer>) {
                        for await (const chunk of source) {
                            hash.update(chunk);
                            size += chunk.length;
                            yield chunk;
                        }
                    },
                    fs.createWriteStream(temp),
                );
            } else {
                await fs.promises.writeFile(temp, "");
            }
        } catch (error) {
            await fs.promises.rm(temp, { force: true });
            throw error;
        }
        const md5 = hash.digest("hex");
        await this.commit(object.bucket, object.key, temp, object.metadata, md5);
        return { size, md5 };
    }

    async putMetadata(bucket: string, key: string, metadata: Metadata, md5?: string): Promise<void> {
        await this.commit(bucket, key, undefined, metadata, md5);
    }

    async copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacement?: Metadata): Promise<Metadata> {
        const src = await this.getObject(srcBucket, srcKey);
        if (!src || !src.content) throw Object.assign(new Error(`no object ${srcKey}`), { code: "ENOENT" });
        const metadata = replacement ?? src.metadata;
        await this.putObject({ bucket: destBucket, key: destKey, content: src.content, metadata });
        return this.lock.read(() => this.getMetadata(destBucket, destKey));
    }

    async deleteObject(bucket: string, key: string): Promise<void> {
        this.getResourcePath(bucket, key, "object");
        await this.lock.write(() => super.deleteObject(bucket, key));
    }

    /** Writes the MD5 and metadata aside, then renames them and the object's file into place as one step. */
    private async commit(bucket: string, key: string, objectTemp: string | undefined, metadata: Metadata, md5?: string): Promise<void> {
        const json: Metadata = {};
        for (const [name, value] of Object.entries(metadata)) {
            if (ALLOWED_METADATA.includes(name) || name.startsWith("x-amz-meta-")) json[name] = value;
        }
        const moves: [string, string][] = [];
        try {
            const metadataPath = this.getResourcePath(bucket, key, "metadata.json");
            const metadataTemp = aside(metadataPath);
            await fs.promises.writeFile(metadataTemp, JSON.stringify(json, null, 2));
            moves.push([metadataTemp, metadataPath]);
            if (md5 !== undefined) {
                const md5Path = this.getResourcePath(bucket, key, "object.md5");
                const md5Temp = aside(md5Path);
                await fs.promises.writeFile(md5Temp, md5);
                moves.push([md5Temp, md5Path]);
            }
            if (objectTemp) moves.push([objectTemp, this.getResourcePath(bucket, key, "object")]);
            await this.lock.write(async () => {
                for (const [from, to] of moves) await fs.promises.rename(from, to);
            });
        } catch (error) {
            const temps = [objectTemp, ...moves.map(([from]) => from)].filter((f): f is string => Boolean(f));
            await Promise.all(temps.map((f) => fs.promises.rm(f, { force: true })));
            throw error;
        }
    }
}
