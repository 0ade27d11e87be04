/**
 * The sign-up consumer function, run as Lambda runs it: somewhere else than the API. On AWS the consumer's
 * invocations never share a CPU with API Gateway's accept path; here they run in a worker thread, so a surge's
 * table writes (each a signed DynamoDB call through the SDK) do not queue the lab server's answers behind them.
 *
 * The worker calls the SAME core (functions/signup/core.ts processBatch) with its own DynamoDB client, signed as
 * the consumer's role; its log lines come back to the lab's logger, and each batch's outcomes with its answer.
 */
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import type { SQSRecord } from "aws-lambda";
import { processBatch, type MessageOutcome } from "../functions/signup/core";
import type { Logger } from "../functions/shared/log";
import { TYPESCRIPT_HOOK } from "../shared/cli";
import { niceThisThread, startThreadPoolHere } from "../shared/background-threads";
import { localDynamoDbClient } from "../shared/local-dynamodb";

export interface ConsumerSettings {
    /** The local DynamoDB endpoint. */
    endpoint: string;
    /** The access key id the consumer's role signs with (the local DynamoDB's IAM guard knows it). */
    accessKeyId: string;
    table: string;
    /** The worker thread's niceness (shared/background-threads.ts). @default 0 */
    nice?: number;
}

export interface BatchResult {
    batchItemFailures: { itemIdentifier: string }[];
    outcomes: MessageOutcome[];
}

export interface ConsumerWorker {
    /** One invocation: an SQS event's records in, the partial batch response and each message's outcome out. */
    invoke(records: SQSRecord[]): Promise<BatchResult>;
    /** Workers started so far: 1, plus one for each that died and was replaced. */
    readonly starts: number;
    /** Stops the worker; invocations still running reject. */
    close(): Promise<void>;
}

type ToWorker = { id: number; records: SQSRecord[] };
type FromWorker =
    | { kind: "ready" }
    | { kind: "result"; id: number; result: BatchResult }
    | { kind: "error"; id: number; name: string; message: string }
    | { kind: "log"; level: "info" | "error"; event: string; fields?: Record<string, unknown> };

/**
 * Starts the consumer in a worker thread; its log lines go to `logger`. A worker that dies is replaced at the next
 * invocation, as Lambda replaces a crashed container: the batches it held fail (their messages come back after the
 * visibility timeout), and the next ones run on a fresh worker. `onStart` sees each worker (tests stop one).
 */
export async function startConsumerWorker(
    settings: ConsumerSettings,
    logger: Logger,
    onStart: (worker: Worker) => void = () => undefined,
): Promise<ConsumerWorker> {
    const pending = new Map<number, { resolve: (r: BatchResult) => void; reject: (e: Error) => void }>();
    let next = 0;
    let starts = 0;
    let closed = false;
    let current: Promise<Worker> | undefined;

    const start = (): Promise<Worker> => {
        starts++;
        const worker = new Worker(
            // The worker runs TypeScript through the project's hook, whether or not this process was started with it.
            `const { workerData } = require("node:worker_threads");
             if (!require.extensions[".ts"]) require(workerData.hook);
             require(workerData.module).serveConsumer(workerData.settings);`,
            { eval: true, execArgv: [], workerData: { hook: TYPESCRIPT_HOOK, module: __filename, settings } },
        );
        onStart(worker);
        const ready = new Promise<Worker>((resolve, reject) => {
            worker.on("message", (m: FromWorker) => {
                if (m.kind === "ready") return resolve(worker);
                if (m.kind === "log") return logger[m.level](m.event, m.fields);
                const waiting = pending.get(m.id);
                pending.delete(m.id);
                if (m.kind === "result") waiting?.resolve(m.result);
                else waiting?.reject(Object.assign(new Error(m.message), { name: m.name }));
            });
            worker.once("error", reject);
            worker.once("exit", (code) => {
                const error = new Error(`the sign-up consumer's worker stopped (exit ${code})`);
                reject(error); // before it was ready: the start fails
                if (current === ready) current = undefined; // the next invocation starts a new one
                for (const { reject: fail } of pending.values()) fail(error);
                pending.clear();
            });
        });
        worker.on("error", () => undefined); // reported through "exit", which follows
        return ready;
    };

    if ((settings.nice ?? 0) > 0) await startThreadPoolHere();
    current = start();
    await current;
    return {
        get starts() {
            return starts;
        },
        async invoke(records) {
            if (closed) throw new Error("the sign-up consumer is stopped");
            const worker = await (current ??= start());
            const id = next++;
            return new Promise<BatchResult>((resolve, reject) => {
                pending.set(id, { resolve, reject });
                worker.postMessage({ id, records } satisfies ToWorker);
            });
        },
        async close() {
            closed = true;
            const worker = await current?.catch(() => undefined);
            current = undefined;
            await worker?.terminate();
        },
    };
}

/** The worker's side: one DynamoDB client for the worker's life, as a warm Lambda container keeps one. */
export function serveConsumer(settings: ConsumerSettings): void {
    if (isMainThread || !parentPort) throw new Error("serveConsumer runs in the consumer's worker thread");
    const port = parentPort;
    niceThisThread(settings.nice ?? 0);
    const dynamodb = localDynamoDbClient(settings.endpoint, settings.accessKeyId);
    const post = (m: FromWorker) => port.postMessage(m);
    const logger: Logger = {
        info: (event, fields) => post({ kind: "log", level: "info", event, fields }),
        error: (event, fields) => post({ kind: "log", level: "error", event, fields }),
    };
    port.on("message", ({ id, records }: ToWorker) => {
        processBatch(records, { dynamodb, table: settings.table, logger }).then(
            ({ batchItemFailures, outcomes }) => post({ kind: "result", id, result: { batchItemFailures, outcomes } }),
            (error: unknown) => {
                const e = error instanceof Error ? error : new Error(String(error));
                post({ kind: "error", id, name: e.name, message: e.message });
            },
        );
    });
    post({ kind: "ready" });
}
