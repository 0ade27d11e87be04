import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { startLocalS3, type LocalS3 } from "../../shared/local-s3";

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

/**
 * Counts the sockets HTTP agents open in this process (every S3 client's pool, and nothing else: the servers
 * only accept): how many were open at once and how many were ever opened. Call `restore()` when done.
 */
export function spyOnAgentSockets(): { maxOpen: number; opened: number; restore(): void } {
    const original = http.Agent.prototype.createConnection;
    let open = 0;
    const spy = {
        maxOpen: 0,
        opened: 0,
        restore: () => {
            http.Agent.prototype.createConnection = original;
        },
    };
    http.Agent.prototype.createConnection = function (this: http.Agent, ...args: Parameters<typeof original>) {
        const socket = original.apply(this, args);
        spy.opened++;
        spy.maxOpen = Math.max(spy.maxOpen, ++open);
        socket?.once("close", () => open--);
        return socket;
    };
    return spy;
}

/** What a client sent, in order, and how many GETs were in flight at most (from send until the body was read). */
export interface S3Trace {
    events: string[];
    getsInFlight: number;
    maxGetsInFlight: number;
}

/** Records each command's start (`LIST >`, `GET key`) and end (`LIST <`), and the GETs in flight. */
export function traceCommands(s3: S3Client): S3Trace {
    const trace: S3Trace = { events: [], getsInFlight: 0, maxGetsInFlight: 0 };
    s3.middlewareStack.add(
        (next, context) => async (args) => {
            const input = args.input as { Key?: string };
            if (context.commandName === "ListObjectsV2Command") {
                trace.events.push("LIST >");
                try {
                    return await next(args);
                } finally {
                    trace.events.push("LIST <");
                }
            }
            if (context.commandName !== "GetObjectCommand") return next(args);
            trace.events.push(`GET ${input.Key}`);
            trace.maxGetsInFlight = Math.max(trace.maxGetsInFlight, ++trace.getsInFlight);
            let output;
            try {
                output = await next(args);
            } catch (error) {
                trace.getsInFlight--;
                throw error;
            }
            // In flight until the body has been read: the bodies a handler holds unparsed.
            const body = (output.output as { Body?: { transformToByteArray: () => Promise<Uint8Array> } }).Body;
            if (!body) trace.getsInFlight--;
            else {
                const read = body.transformToByteArray.bind(body);
                body.transformToByteArray = () => read().finally(() => trace.getsInFlight--);
            }
            return output;
        },
        { step: "initialize", name: "traceCommands" },
    );
    return trace;
}
