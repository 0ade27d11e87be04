/**
 * The sign-up lab on one machine. The cloud lab's parts, each replaced by a local one that behaves as it does:
 *
 * - API Gateway's `SQS-SendMessage` integration → `POST /signup` on the lab server puts the body, as it arrived, on
 *   the queue with the sign-up id as the `signupId` message attribute and answers 202 with the id in `x-signup-id`
 *   (no Lambda on the accept path, as on AWS);
 * - SQS → shared/local-queue.ts (batches of 10, visibility timeout, receive count, redrive to the dead-letter queue);
 * - the event source mapping → pollers (as many as its maximum concurrency) that receive batches, call the SAME
 *   consumer core (functions/signup/core.ts) with an SQS event, and delete what it did not report as failed; the
 *   core runs in a worker thread (local/signup-consumer.ts), as Lambda runs it apart from the API;
 * - DynamoDB → dynalite (shared/local-dynamodb.ts), an endpoint the AWS CLI can use; with `consumerCanWrite: false`
 *   the consumer's writes are refused with AccessDenied, as its role without the permission is on AWS;
 * - the S3 website → `/signup/` on the lab server, with a generated config.js.
 */
import * as fs from "node:fs";
import type * as http from "node:http";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { MAX_BODY_BYTES, SIGNUP_ID_ATTRIBUTE, SIGNUP_ID_HEADER, TABLE_PARTITION_KEY, isSignupId } from "../functions/signup/contract";
import { createStatusHandler } from "../functions/signup/core";
import type { HttpResult } from "../functions/shared/http";
import { consoleLogger, type Logger } from "../functions/shared/log";
import { contentTypeOf } from "../stacks/content-type";
import { SIGNUP_SITE_DIR, siteConfigScript } from "../stacks/directory-files";
import { SIGNUP_DEFAULTS } from "../stacks/signup-settings";
import { backgroundNice } from "../shared/background-threads";
import { LOCAL_REGION, ensureTable, startLocalDynamoDb, type LocalDynamoDb, type LocalPrincipal } from "../shared/local-dynamodb";
import { LocalQueue } from "../shared/local-queue";
import { toEvent, writeResult } from "./api-gateway";
import { startConsumerWorker, type ConsumerWorker } from "./signup-consumer";

export const SIGNUP_TABLE = "signups";
export const SIGNUP_QUEUE = "signup-queue";
export const SIGNUP_DEAD_LETTER_QUEUE = "signup-dead-letter";
/** Where the lab server answers the queues' figures (local only: SQS's GetQueueAttributes on AWS). */
export const QUEUES_PATH = "/local/signup/queues";

/** The consumer function's role, as the local DynamoDB knows it (by its access key id). */
export const CONSUMER_PRINCIPAL: LocalPrincipal = {
    accessKeyId: "signup-consumer",
    role: "signup-consumer-role",
    session: "signup-consumer",
};
/** The status function's role: reads only. */
const STATUS_PRINCIPAL: LocalPrincipal = { accessKeyId: "signup-status", role: "signup-status-role", session: "signup-status" };

export interface SignupLabOptions {
    /** False deploys the consumer without the write permission (the lab's exercise). @default true */
    consumerCanWrite?: boolean;
    /** Seconds a received message stays hidden. @default 5 (short, so the exercise reaches the DLQ in seconds) */
    visibilityTimeoutSeconds?: number;
    /** Receives before a message goes to the dead-letter queue. @default the stack's (SIGNUP_DEFAULTS) */
    maxReceiveCount?: number;
    /** Messages per consumer call. @default the stack's (SIGNUP_DEFAULTS) */
    batchSize?: number;
    /** Consumer calls at once (the event source mapping's maximum concurrency). @default the stack's (SIGNUP_DEFAULTS) */
    maxConcurrency?: number;
    /** Port of the DynamoDB endpoint. @default 0 (any free port) */
    dynamodbPort?: number;
    /** Structured logs of the consumer and status cores. @default console JSON */
    logger?: Logger;
}

export interface QueueFigures {
    name: string;
    visible: number;
    inFlight: number;
    /** Sent since the lab started. */
    sent: number;
}

/** What `GET /local/signup/queues` answers. */
export interface SignupQueuesReport {
    queue: QueueFigures;
    deadLetterQueue: QueueFigures & { signupIds: string[] };
    consumer: { batches: number; processed: number; failed: number; lastError?: string; canWrite: boolean };
}

export interface RunningSignupLab {
    tableName: string;
    dynamodb: LocalDynamoDb;
    queue: LocalQueue;
    deadLetterQueue: LocalQueue;
    consumerCanWrite: boolean;
    /** Serves the lab's routes; false when the path is not one of them. */
    handle(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<boolean>;
    report(): SignupQueuesReport;
    /** Resolves when the queue has no visible or in-flight message. */
    drained(signal?: AbortSignal): Promise<void>;
    close(): Promise<void>;
}

export async function startSignupLab(options: SignupLabOptions = {}): Promise<RunningSignupLab> {
    const logger = options.logger ?? consoleLogger;
    const consumerCanWrite = options.consumerCanWrite ?? true;
    const dynamodb = await startLocalDynamoDb({ port: options.dynamodbPort });
    try {
        await ensureTable(dynamodb.client(), SIGNUP_TABLE, TABLE_PARTITION_KEY);
    } catch (error) {
        await dynamodb.close();
        throw error;
    }
    dynamodb.denyWrites(CONSUMER_PRINCIPAL, !consumerCanWrite);
    const deadLetterQueue = new LocalQueue({ name: SIGNUP_DEAD_LETTER_QUEUE });
    const queue = new LocalQueue({
        name: SIGNUP_QUEUE,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 5,
        redrive: { deadLetterQueue, maxReceiveCount: options.maxReceiveCount ?? SIGNUP_DEFAULTS.maxReceiveCount },
    });
    const status = createStatusHandler({ dynamodb: dynamodb.client(STATUS_PRINCIPAL), table: SIGNUP_TABLE, logger });
    const stats = { batches: 0, processed: 0, failed: 0, lastError: undefined as string | undefined };
    const queueArn = `arn:aws:sqs:${LOCAL_REGION}:000000000000:${SIGNUP_QUEUE}`;
    let consumer: ConsumerWorker;
    try {
        consumer = await startConsumerWorker(
            { endpoint: dynamodb.endpoint, accessKeyId: CONSUMER_PRINCIPAL.accessKeyId, table: SIGNUP_TABLE, nice: backgroundNice() },
            logger,
        );
    } catch (error) {
        await dynamodb.close();
        throw error;
    }
    const consume = async (records: SQSRecord[]) => {
        const result = await consumer.invoke(records);
        for (const outcome of result.outcomes) if (outcome.state === "failed") stats.lastError = outcome.error;
        return result;
    };
    const mapping = startEventSourceMapping({
        queue,
        queueArn,
        handler: consume,
        batchSize: options.batchSize ?? SIGNUP_DEFAULTS.batchSize,
        maxConcurrency: options.maxConcurrency ?? SIGNUP_DEFAULTS.maxConcurrency,
        stats,
    });

    const figures = (q: LocalQueue): QueueFigures => ({ name: q.name, ...q.counts(), sent: q.sent });
    const report = (): SignupQueuesReport => ({
        queue: figures(queue),
        deadLetterQueue: {
            ...figures(deadLetterQueue),
            signupIds: deadLetterQueue.peek().map((m) => m.messageAttributes[SIGNUP_ID_ATTRIBUTE] ?? m.messageId),
        },
        consumer: { ...stats, canWrite: consumerCanWrite },
    });

    return {
        tableName: SIGNUP_TABLE,
        dynamodb,
        queue,
        deadLetterQueue,
        consumerCanWrite,
        report,
        async handle(req, res, pathname) {
            const headOnly = req.method === "HEAD";
            if (pathname === "/signup" && req.method === "POST") {
                writeResult(res, await accept(req, queue));
                return true;
            }
            if (pathname === QUEUES_PATH && req.method === "GET") {
                writeResult(res, json(200, report()));
                return true;
            }
            const queueName = pathname.startsWith(`${QUEUES_PATH}/`) ? pathname.slice(QUEUES_PATH.length + 1) : undefined;
            if (queueName !== undefined && req.method === "GET") {
                const r = report();
                const found = [r.queue, r.deadLetterQueue].find((q) => q.name === queueName);
                writeResult(res, found ? json(200, found) : json(404, { message: `no queue ${queueName}` }));
                return true;
            }
            if (pathname === "/signup" && (req.method === "GET" || headOnly)) {
                res.writeHead(301, { location: "/signup/" });
                res.end();
                return true;
            }
            if (!pathname.startsWith("/signup/") || (req.method !== "GET" && !headOnly)) return false;
            const rest = pathname.slice("/signup/".length);
            if (rest === "" || rest === "index.html" || rest === "app.js") {
                const file = path.join(SIGNUP_SITE_DIR, rest || "index.html");
                sendFile(res, contentTypeOf(file), fs.readFileSync(file), headOnly);
                return true;
            }
            if (rest === "config.js") {
                sendFile(res, contentTypeOf("config.js"), siteConfigScript(`http://${req.headers.host ?? "localhost"}`), headOnly);
                return true;
            }
            if (!rest.includes("/")) {
                // GET /signup/{id}: the status function's core, with the path parameter API Gateway would set.
                const id = decodeURIComponentSafe(rest);
                const event = { ...toEvent(req, "GET /signup/{id}"), pathParameters: { id } };
                writeResult(
                    res,
                    id !== undefined && isSignupId(id) ? await status(event) : json(400, { error: "not a sign-up id" }),
                    headOnly,
                );
                return true;
            }
            return false;
        },
        async drained(signal) {
            while (!signal?.aborted) {
                const { visible, inFlight } = queue.counts();
                if (visible === 0 && inFlight === 0) return;
                await new Promise((resolve) => setTimeout(resolve, 20));
            }
        },
        async close() {
            queue.close();
            deadLetterQueue.close();
            await mapping.stop();
            await consumer.close();
            await dynamodb.close();
        },
    };
}

export interface EventSourceMappingOptions {
    queue: LocalQueue;
    queueArn: string;
    /** The function: an SQS event's records in, the partial batch response out (a throw fails the whole batch). */
    handler: (records: SQSRecord[]) => Promise<SQSBatchResponse>;
    /** @default 10 */
    batchSize?: number;
    /** Function calls at once. @default 2 (the smallest maximum concurrency AWS allows) */
    maxConcurrency?: number;
    /** Counted as batches are processed. */
    stats?: { batches: number; processed: number; failed: number; lastError?: string };
}

/**
 * Lambda's SQS event source mapping with `ReportBatchItemFailures`: pollers long-poll batches, call the function
 * with them, and delete the messages it did not report as failed. A failed message is left alone: it is delivered
 * again after the visibility timeout and, after the queue's maxReceiveCount, moved to its dead-letter queue.
 */
export function startEventSourceMapping(options: EventSourceMappingOptions): { stop(): Promise<void> } {
    const { queue, queueArn } = options;
    const stats = options.stats ?? { batches: 0, processed: 0, failed: 0 };
    const stop = new AbortController();
    const poll = async () => {
        while (!stop.signal.aborted) {
            const batch = await queue.receive(options.batchSize ?? 10, { waitMs: 20_000, signal: stop.signal });
            if (batch.length === 0) continue;
            const records: SQSRecord[] = batch.map((m) => ({
                messageId: m.messageId,
                receiptHandle: m.receiptHandle,
                body: m.body,
                attributes: {
                    ApproximateReceiveCount: String(m.receiveCount),
                    SentTimestamp: String(m.sentTimestamp),
                    SenderId: "local",
                    ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp),
                },
                messageAttributes: Object.fromEntries(
                    Object.entries(m.messageAttributes).map(([name, value]) => [
                        name,
                        { stringValue: value, dataType: "String", stringListValues: [], binaryListValues: [] },
                    ]),
                ),
                md5OfBody: "",
                eventSource: "aws:sqs",
                eventSourceARN: queueArn,
                awsRegion: LOCAL_REGION,
            }));
            let failedIds: Set<string>;
            try {
                const result = await options.handler(records);
                failedIds = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
            } catch (error) {
                // The function itself failed: the whole batch is retried, as Lambda does.
                stats.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
                failedIds = new Set(records.map((r) => r.messageId));
            }
            stats.batches++;
            stats.failed += failedIds.size;
            stats.processed += records.length - failedIds.size;
            for (const m of batch) if (!failedIds.has(m.messageId)) queue.delete(m.receiptHandle);
        }
    };
    const pollers = Array.from({ length: options.maxConcurrency ?? 2 }, () => poll());
    return {
        async stop() {
            stop.abort();
            await Promise.all(pollers);
        },
    };
}

/** The accept path, as API Gateway's SQS integration answers it: the body as it arrived goes on the queue. */
async function accept(req: http.IncomingMessage, queue: LocalQueue): Promise<HttpResult> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) return json(413, { message: "Request Entity Too Large" });
        chunks.push(chunk);
    }
    const body = Buffer.concat(chunks).toString("utf8");
    if (body.length === 0) return json(400, { message: "The request must contain the parameter MessageBody." });
    const id = randomUUID();
    queue.send(body, { [SIGNUP_ID_ATTRIBUTE]: id });
    return {
        statusCode: 202,
        headers: { "content-type": "application/json", [SIGNUP_ID_HEADER]: id, "access-control-expose-headers": SIGNUP_ID_HEADER },
        body: JSON.stringify({ id }),
    };
}

const json = (statusCode: number, body: unknown): HttpResult => ({
    statusCode,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify(body),
});

function sendFile(res: http.ServerResponse, type: string, body: string | Buffer, headOnly: boolean): void {
    res.writeHead(200, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
    res.end(headOnly ? undefined : body);
}

function decodeURIComponentSafe(s: string): string | undefined {
    try {
        return decodeURIComponent(s);
    } catch {
        return undefined;
    }
}
