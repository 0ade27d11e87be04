/**
 * An S3-compatible server on loopback (s3rver), for the local lab, the handler tests and the benchmarks.
 */
import * as crypto from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { LabFilesystemStore } from "./local-s3-store";
import type { S3Event } from "aws-lambda";
// The local lab and the tests run on Node 20, which this SDK version supports; its notice about future versions
// needing Node 22 (the Lambda runtime already is) would only add noise to every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// s3rver ships no types; the slice used here is declared below.
const S3rver = require("s3rver") as new (options: Record<string, unknown>) => {
    store: unknown;
    context: { store: unknown };
    logger: { exceptions: { unhandle(): void }; close(): void };
    httpServer?: http.Server;
    configureBuckets(): Promise<void>;
    callback(): http.RequestListener;
    on(name: "event", listener: (event: S3Event) => void): void;
    close(): Promise<void>;
};

/** Connections the emulator's socket queues before accepting them (Linux caps it at net.core.somaxconn). */
export const LISTEN_BACKLOG = 2048;
/** How long the emulator keeps an idle connection open for the next request (Node's default is 5 s). */
export const KEEP_ALIVE_TIMEOUT_MS = 60_000;

export interface LocalS3 {
    /** `http://127.0.0.1:<port>` */
    endpoint: string;
    port: number;
    /** A client for this server (path-style, dummy credentials). */
    client: S3Client;
    /** Calls `listener` with s3rver's S3-shaped event record for every object created or removed (keys not URL-encoded). */
    onEvent(listener: (event: S3Event) => void): void;
    /**
     * Stores objects straight into the server's store, as PutObject stores them but without HTTP, signing or the
     * ObjectCreated event: seeds a bucket of many keys in a fraction of the time. At most 16 written at once.
     */
    putObjects(bucket: string, objects: { key: string; body: string | Buffer; contentType?: string }[]): Promise<void>;
    close(): Promise<void>;
}

export interface LocalS3Options {
    /** Where objects are kept on disk. */
    directory: string;
    /** @default 0 (any free port) */
    port?: number;
    /** Buckets to create when missing. @default [] */
    buckets?: string[];
}

/**
 * s3rver signs ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 refuses unless the process was
 * started with --openssl-legacy-provider. Without it, listing past 1,000 keys fails, so fail early and say why.
 */
export function assertLegacyOpenSSL(): void {
    try {
        crypto.createCipheriv("des", Buffer.alloc(8), Buffer.alloc(8));
    } catch {
        throw new Error(
            "s3rver needs Node started with --openssl-legacy-provider (it signs list continuation tokens with DES); " +
                "run through npm scripts, or add NODE_OPTIONS=--openssl-legacy-provider",
        );
    }
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
    assertLegacyOpenSSL();
    const server = new S3rver({
        address: "127.0.0.1",
        port: options.port ?? 0,
        silent: true,
        directory: options.directory,
        configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
    });
    // The lab's store: keys cannot leave the bucket, and objects are replaced whole (see s3-store.ts).
    const store = new LabFilesystemStore(options.directory);
    server.store = server.context.store = store;
    // s3rver's own run() leaves a listen error (EADDRINUSE) unhandled, so listen here and reject with it instead.
    const releaseLogger = () => {
        server.logger.exceptions.unhandle();
        server.logger.close();
    };
    let address: AddressInfo;
    const httpServer = http.createServer(server.callback());
    try {
        await server.configureBuckets();
        address = await new Promise<AddressInfo>((resolve, reject) => {
            httpServer.once("error", reject);
            httpServer.listen({ port: options.port ?? 0, host: "127.0.0.1", backlog: LISTEN_BACKLOG }, () => {
                httpServer.off("error", reject);
                resolve(httpServer.address() as AddressInfo);
            });
        });
    } catch (error) {
        releaseLogger();
        throw error;
    }
    httpServer.on("close", releaseLogger);
    // A directory GET wave opens up to 1,000 connections at once and keeps this single-threaded emulator busy
    // for many seconds. With Node's defaults, connections past the listen backlog (511) and requests sent on a
    // reused connection that the busy server had not read within its 5 s keep-alive timeout came back as
    // ECONNRESET. S3 is never that busy for one client; give the emulator the same headroom.
    httpServer.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.httpServer = httpServer;
    const endpoint = `http://127.0.0.1:${address.port}`;
    const client = localS3Client(endpoint);
    return {
        endpoint,
        port: address.port,
        client,
        onEvent: (listener) => server.on("event", listener),
        async putObjects(bucket, objects) {
            let next = 0;
            const writer = async () => {
                while (next < objects.length) {
                    const { key, body, contentType } = objects[next++];
                    await store.putBytes(bucket, key, body, contentType);
                }
            };
            await Promise.all(Array.from({ length: 16 }, writer));
        },
        close: async () => {
            client.destroy();
            await server.close();
        },
    };
}

/** S3 client settings for a local endpoint: path-style addressing and s3rver's fixed credentials. */
export function localS3Config(endpoint: string): S3ClientConfig {
    return {
        endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    };
}

/** An S3 client for a local endpoint (see `localS3Config`). */
export function localS3Client(endpoint: string): S3Client {
    return new S3Client(localS3Config(endpoint));
}
