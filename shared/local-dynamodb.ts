/**
 * DynamoDB on this machine: dynalite (DynamoDB's API in Node, kept in memory: its memory-level backend is plain
 * JavaScript, so nothing is compiled at install time) behind one guard that does what IAM does for the sign-up
 * lab's permission exercise: writes signed with a principal whose writes are denied are answered exactly as DynamoDB
 * answers a role without the permission (HTTP 400, `AccessDeniedException`, AWS's message), so the SDK throws the
 * same error it throws on AWS. Any AWS SDK or the AWS CLI can use the endpoint, with any credentials.
 */
import type * as http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from "@aws-sdk/client-dynamodb";

// dynalite ships no types; this is the part of its API used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require("dynalite") as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => http.Server;

export const LOCAL_REGION = "us-east-1";
export const LOCAL_ACCOUNT = "000000000000";

/** DynamoDB's operations that write: the ones a role without write permissions is refused. */
const WRITE_OPERATIONS = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"];

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

export async function startLocalDynamoDb(options: { port?: number } = {}): Promise<LocalDynamoDb> {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const [serve] = server.listeners("request") as ((req: http.IncomingMessage, res: http.ServerResponse) => void)[];
    server.removeAllListeners("request");
    const denied = new Map<string, LocalPrincipal>();
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
        const operation = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
        const principal = denied.get(accessKeyIdOf(req.headers.authorization));
        if (principal && WRITE_OPERATIONS.includes(operation)) return void refuse(req, res, principal, operation);
        serve(req, res);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 0, "127.0.0.1", () => {
            server.off("error", reject);
            resolve();
        });
    });
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clients: DynamoDBClient[] = [];
    return {
        endpoint,
        client(principal) {
            const client = localDynamoDbClient(endpoint, principal?.accessKeyId);
            clients.push(client);
            return client;
        },
        denyWrites(principal, deny) {
            if (deny) denied.set(principal.accessKeyId, principal);
            else denied.delete(principal.accessKeyId);
        },
        close: () =>
            new Promise<void>((resolve) => {
                for (const client of clients) client.destroy();
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** A client for a local endpoint (any running dynalite), signed with the given access key id. */
export function localDynamoDbClient(endpoint: string, accessKeyId = "local"): DynamoDBClient {
    return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: { accessKeyId, secretAccessKey: "local" }, maxAttempts: 1 });
}

/** Creates the table (key `pk`, on demand, as the stack's) unless it exists. */
export async function ensureTable(client: DynamoDBClient, tableName: string, partitionKey: string): Promise<void> {
    try {
        await client.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
        await client.send(
            new CreateTableCommand({
                TableName: tableName,
                AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: "S" }],
                KeySchema: [{ AttributeName: partitionKey, KeyType: "HASH" }],
                BillingMode: "PAY_PER_REQUEST",
            }),
        );
    }
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, …` → `AKID` */
function accessKeyIdOf(authorization: string | undefined): string {
    return /Credential=([^/,\s]+)\//.exec(authorization ?? "")?.[1] ?? "";
}

/** DynamoDB's answer to a write the role may not make, with the resource the request names. */
function refuse(req: http.IncomingMessage, res: http.ServerResponse, principal: LocalPrincipal, operation: string): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
        let table = "*";
        try {
            const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { TableName?: string; RequestItems?: Record<string, unknown>; TransactItems?: Record<string, { TableName?: string }>[] };
            table = body.TableName ?? Object.keys(body.RequestItems ?? {})[0] ?? Object.values(body.TransactItems?.[0] ?? {})[0]?.TableName ?? "*";
        } catch {
            // an unreadable body is still refused; the resource stays "*"
        }
        const action = `dynamodb:${operation}`;
        const message =
            `User: arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${principal.role}/${principal.session} is not authorized to perform: ${action} ` +
            `on resource: arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${table} because no identity-based policy allows the ${action} action`;
        const body = JSON.stringify({ __type: "com.amazon.coral.service#AccessDeniedException", Message: message });
        res.writeHead(400, {
            "content-type": "application/x-amz-json-1.0",
            "content-length": Buffer.byteLength(body),
            "x-amzn-requestid": randomUUID().replace(/-/g, "").toUpperCase(),
        });
        res.end(body);
    });
}
