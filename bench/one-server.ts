/**
 * The design the course's quiz warns about, for `npm run surge` to drive side by side with the queue: one server
 * whose sign-up request waits for the function that writes to the table. It runs the SAME consumer core
 * (functions/signup/core.ts) synchronously, one sign-up per request, against the same local DynamoDB.
 *
 * One server's worth of concurrency, as chosen here: at most 4 sign-ups written at once (a 2-vCPU instance running
 * 2 workers of 2 threads each); requests beyond that wait in the server's queue, and beyond 1,024 waiting (the
 * surge queue of a Classic Load Balancer, which answers 503 past it) they are turned away with 503.
 *
 * `node -r ./shared/typescript-hook.js bench/one-server.ts [--port N] [--concurrency N] [--backlog N]` prints
 * `one-server ready <url> <dynamodb endpoint>` when it listens.
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_BODY_BYTES, SIGNUP_ID_ATTRIBUTE, SIGNUP_ID_HEADER, TABLE_PARTITION_KEY } from "../functions/signup/contract";
import { processMessage } from "../functions/signup/core";
import { memoryLogger } from "../functions/shared/log";
import { EXIT, numberFlag, parseOrUsage, runMain, type CliIo } from "../shared/cli";
import { ensureTable, startLocalDynamoDb } from "../shared/local-dynamodb";

export const ONE_SERVER_CONCURRENCY = 4;
export const ONE_SERVER_BACKLOG = 1024;
export const ONE_SERVER_TABLE = "signups";

const USAGE = `Usage: node -r ./shared/typescript-hook.js bench/one-server.ts [--port N] [--concurrency N] [--backlog N]

The synchronous sign-up server npm run surge compares the queue with (see the file's comment).`;

export async function main(argv: string[], io: CliIo): Promise<number> {
    const parsed = parseOrUsage(
        argv,
        io,
        { port: { type: "string" }, concurrency: { type: "string" }, backlog: { type: "string" } },
        USAGE,
    );
    if (typeof parsed === "number") return parsed;
    const port = numberFlag("--port", parsed.values.port ?? "0", 0, 65535, true);
    const concurrency = numberFlag("--concurrency", parsed.values.concurrency ?? String(ONE_SERVER_CONCURRENCY), 1, 10_000, true);
    const backlog = numberFlag("--backlog", parsed.values.backlog ?? String(ONE_SERVER_BACKLOG), 0, 1_000_000, true);

    const dynamodb = await startLocalDynamoDb();
    const client = dynamodb.client();
    await ensureTable(client, ONE_SERVER_TABLE, TABLE_PARTITION_KEY);
    const logger = memoryLogger();
    let running = 0;
    const waiting: (() => void)[] = [];

    const server = http.createServer((req, res) => {
        if (req.method !== "POST" || req.url !== "/signup") {
            res.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
            return;
        }
        if (running >= concurrency && waiting.length >= backlog) {
            req.resume();
            res.writeHead(503, { "content-type": "application/json" }).end('{"message":"Service Unavailable"}');
            return;
        }
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        const answer = async () => {
            const body = Buffer.concat(chunks).toString("utf8");
            if (body.length === 0 || body.length > MAX_BODY_BYTES) {
                res.writeHead(400, { "content-type": "application/json" }).end('{"message":"Bad Request"}');
                return;
            }
            if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
            running++;
            const id = randomUUID();
            try {
                // The request waits for the write: this is what the queue takes off the visitor's path.
                const outcome = await processMessage(
                    { messageId: id, body, messageAttributes: { [SIGNUP_ID_ATTRIBUTE]: { stringValue: id, dataType: "String" } } },
                    { dynamodb: client, table: ONE_SERVER_TABLE, logger },
                );
                res.writeHead(201, { "content-type": "application/json", [SIGNUP_ID_HEADER]: id }).end(
                    JSON.stringify({ id, state: outcome.state }),
                );
            } catch (error) {
                res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ message: (error as Error).message }));
            } finally {
                running--;
                waiting.shift()?.();
            }
        };
        req.on("end", () => void answer());
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    io.out(`one-server ready http://127.0.0.1:${(server.address() as AddressInfo).port} ${dynamodb.endpoint}`);
    await new Promise<void>((resolve) => {
        const stop = () => resolve();
        io.signal?.addEventListener("abort", stop, { once: true });
        process.once("SIGTERM", stop);
    });
    server.closeAllConnections();
    server.close();
    await dynamodb.close();
    return EXIT.ok;
}

if (require.main === module) runMain(main, USAGE);
