/**
 * DynamoDB on this machine: dynalite (DynamoDB's API in Node, kept in memory: its memory-level backend is plain
 * JavaScript, so nothing is compiled at install time) behind one guard that does what IAM does for the sign-up
 * lab's permission exercise: writes signed with a principal whose writes are denied are answered exactly as DynamoDB
 * answers a role without the permission (HTTP 400, `AccessDeniedException`, AWS's message), so the SDK throws the
 * same error it throws on AWS. Any AWS SDK or the AWS CLI can use the endpoint, with any credentials.
 */
import { Worker } from "node:worker_threads";
import { backgroundNice, startThreadPoolHere } from "./background-threads";
import { TYPESCRIPT_HOOK } from "./cli";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from "@aws-sdk/client-dynamodb";

export const LOCAL_REGION = "us-east-1";
export const LOCAL_ACCOUNT = "000000000000";

/** A principal the local endpoint knows by its access key id, as IAM knows a role's session by its credentials. */
export interface LocalPrincipal {
    accessKeyId: string;
    /** The role's name, for AWS's message (`assumed-role/<role>/<session>`). */
    role: string;
    /** The role session's name (a Lambda's is the function's name). */
    session: string;
}

export interface LocalDynamoDb {
    /** `http://127.0.0.1:<port>`: pass as `--endpoint-url` (AWS CLI) or `endpoint` (SDK). */
    endpoint: string;
    /** A client signed as `principal` (default: an unrestricted local user). */
    client(principal?: LocalPrincipal): DynamoDBClient;
    /** Refuses (true) or allows (false) the principal's writes from now on. */
    denyWrites(principal: LocalPrincipal, deny: boolean): void;
    close(): Promise<void>;
}

/**
 * Starts dynalite in a worker thread: DynamoDB is another machine on AWS, and here it gets the other core, so the
 * lab server's accept path never waits behind a table write on its own event loop.
 */
export async function startLocalDynamoDb(
    options: {
        /** The port to listen on. Default: one the OS picks. */
        port?: number;
        /** How long a new table stays CREATING, as on AWS. Default: 0 (dynalite still flips it just after answering). */
        createTableMs?: number;
    } = {},
): Promise<LocalDynamoDb> {
    const nice = backgroundNice();
    if (nice > 0) await startThreadPoolHere();
    const worker = new Worker(`(${dynamoDbWorker.toString()})()`, {
        eval: true,
        // Not the parent's --require ts-node hooks: the worker's code is plain JavaScript.
        execArgv: [],
        workerData: {
            dynalite: require.resolve("dynalite"),
            port: options.port ?? 0,
            createTableMs: options.createTableMs ?? 0,
            nice,
            hook: TYPESCRIPT_HOOK,
            backgroundThreads: require.resolve("./background-threads"),
            region: LOCAL_REGION,
            account: LOCAL_ACCOUNT,
        },
    });
    const port = await new Promise<number>((resolve, reject) => {
        worker.once("error", reject);
        worker.once("exit", (code) => reject(new Error(`the local DynamoDB stopped as it started (exit ${code})`)));
        worker.once("message", (message: { port?: number; error?: string }) => {
            if (message.port) resolve(message.port);
            else reject(new Error(message.error ?? "the local DynamoDB did not start"));
        });
    }).catch(async (error: Error) => {
        await worker.terminate();
        throw error;
    });
    worker.removeAllListeners("exit");
    worker.removeAllListeners("error");
    worker.on("error", () => undefined);
    const endpoint = `http://127.0.0.1:${port}`;
    const clients: DynamoDBClient[] = [];
    return {
        endpoint,
        client(principal) {
            const client = localDynamoDbClient(endpoint, principal?.accessKeyId);
            clients.push(client);
            return client;
        },
        denyWrites(principal, deny) {
            worker.postMessage({ principal, deny });
        },
        async close() {
            for (const client of clients) client.destroy();
            await worker.terminate();
        },
    };
}

/**
 * The worker's code (run from its source text, so it must stay plain JavaScript: only `require` inside). dynalite
 * behind the IAM guard: writes signed with a denied principal's access key id are answered as DynamoDB answers
 * a role without the permission, with the resource the request names.
 */
function dynamoDbWorker(): void {
    // Untyped on purpose: this body runs as source text in the worker, so its modules come from require() and
    // dynalite ships no types.
    /* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return */
    const { parentPort, workerData } = require("node:worker_threads");
    if (workerData.nice) {
        // Another machine on AWS: it yields the CPU to the lab's accept path (shared/background-threads.ts).
        if (!require.extensions[".ts"]) require(workerData.hook);
        require(workerData.backgroundThreads).niceThisThread(workerData.nice);
    }
    const { randomUUID } = require("node:crypto");
    const dynalite = require(workerData.dynalite);
    const WRITES = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"];
    const denied = new Map();
    parentPort.on("message", (m: { principal: { accessKeyId: string }; deny: boolean }) => {
        if (m.deny) denied.set(m.principal.accessKeyId, m.principal);
        else denied.delete(m.principal.accessKeyId);
    });
    const server = dynalite({ createTableMs: workerData.createTableMs, deleteTableMs: 0, updateTableMs: 0 });
    const [serve] = server.listeners("request");
    server.removeAllListeners("request");
    server.on("request", (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
        const operation = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
        const accessKeyId = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? "")?.[1] ?? "";
        const principal = denied.get(accessKeyId);
        if (!principal || !WRITES.includes(operation)) return serve(req, res);
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            let table = "*";
            try {
                const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
                table =
                    body.TableName ??
                    Object.keys(body.RequestItems ?? {})[0] ??
                    (Object.values(body.TransactItems?.[0] ?? {})[0] as { TableName?: string })?.TableName ??
                    "*";
            } catch {
                // an unreadable body is still refused; the resource stays "*"
            }
            const action = `dynamodb:${operation}`;
            const message =
                `User: arn:aws:sts::${workerData.account}:assumed-role/${principal.role}/${principal.session} is not authorized to perform: ${action} ` +
                `on resource: arn:aws:dynamodb:${workerData.region}:${workerData.account}:table/${table} because no identity-based policy allows the ${action} action`;
            const text = JSON.stringify({ __type: "com.amazon.coral.service#AccessDeniedException", Message: message });
            res.writeHead(400, {
                "content-type": "application/x-amz-json-1.0",
                "content-length": Buffer.byteLength(text),
                "x-amzn-requestid": randomUUID().replace(/-/g, "").toUpperCase(),
            });
            res.end(text);
        });
    });
    server.once("error", (error: Error) => parentPort.postMessage({ error: error.message }));
    server.listen(workerData.port, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
}

/** A client for a local endpoint (any running dynalite), signed with the given access key id. */
export function localDynamoDbClient(endpoint: string, accessKeyId = "local"): DynamoDBClient {
    return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: { accessKeyId, secretAccessKey: "local" }, maxAttempts: 1 });
}

/**
 * Creates the table (key `pk`, on demand, as the stack's) unless it exists, and returns once it is ACTIVE. As on
 * AWS, a table answers CreateTable while still CREATING, and a write to it then is refused as a missing table;
 * dynalite flips the status on a timer after its answer, so a write sent at once can lose that race on a busy machine.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, partitionKey: string, limitMs = 30_000): Promise<void> {
    let status: string | undefined;
    try {
        status = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus;
    } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
        const created = await client.send(
            new CreateTableCommand({
                TableName: tableName,
                AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: "S" }],
                KeySchema: [{ AttributeName: partitionKey, KeyType: "HASH" }],
                BillingMode: "PAY_PER_REQUEST",
            }),
        );
        status = created.TableDescription?.TableStatus;
    }
    const started = Date.now();
    while (status !== "ACTIVE") {
        if (Date.now() - started > limitMs)
            throw new Error(`the local table ${tableName} is still ${status ?? "unknown"} after ${limitMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
        status = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus;
    }
}
