import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { Worker } from "node:worker_threads";
import type { AddressInfo } from "node:net";
import { GetItemCommand, ScanCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSRecord } from "aws-lambda";
import { emailKey, REJECT_REASONS, SIGNUP_ID_HEADER, signupKey, WRITE_DENIED_EVENT } from "../../functions/signup/contract";
import { processBatch } from "../../functions/signup/core";
import { memoryLogger } from "../../functions/shared/log";
import { CONSUMER_PRINCIPAL, startEventSourceMapping, startSignupLab, type RunningSignupLab } from "../../local/signup-lab";
import { startConsumerWorker } from "../../local/signup-consumer";
import { ensureTable, startLocalDynamoDb, type LocalDynamoDb } from "../../shared/local-dynamodb";
import { LocalQueue, type ReceivedMessage } from "../../shared/local-queue";

const TABLE = "signups-test";

/** An SQS record of a received message, as the event source mapping builds it. */
const record = (m: ReceivedMessage): SQSRecord => ({
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: "0",
        SenderId: "t",
        ApproximateFirstReceiveTimestamp: "0",
    },
    messageAttributes: Object.fromEntries(Object.entries(m.messageAttributes).map(([k, v]) => [k, { stringValue: v, dataType: "String" }])),
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q",
    awsRegion: "us-east-1",
});

async function items(client: DynamoDBClient, prefix: string) {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: TABLE }));
    return Items.filter((i) => i.pk.S!.startsWith(prefix));
}

/** The client, whose writes of one email's record fail with the named DynamoDB error. */
function failingFor(client: DynamoDBClient, email: string, name: string): DynamoDBClient {
    client.middlewareStack.add(
        (next) => async (args) => {
            const input = (args as { input: { Item?: { email?: { S?: string } } } }).input;
            if (input.Item?.email?.S === email) throw Object.assign(new Error(`${name} (injected by the test)`), { name });
            return next(args);
        },
        { step: "initialize", name: "failOneEmail" },
    );
    return client;
}

/** Waits for a condition, polling; fails with `what` after the limit. */
async function until(what: string, condition: () => boolean | Promise<boolean>, limitMs = 15_000): Promise<void> {
    const started = Date.now();
    while (!(await condition())) {
        if (Date.now() - started > limitMs) assert.fail(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

describe("the sign-up consumer core against dynalite and the local queue", function () {
    this.timeout(60_000);
    let db: LocalDynamoDb;
    let client: DynamoDBClient;
    before(async () => {
        db = await startLocalDynamoDb();
        client = db.client();
        await ensureTable(client, TABLE, "pk");
    });
    after(() => db.close());

    it("stores a sign-up once when the queue delivers it again (visibility timeout passed before the delete)", async () => {
        let now = 0;
        const queue = new LocalQueue({ name: "q", visibilityTimeoutSeconds: 30, now: () => now });
        queue.send(JSON.stringify({ name: "Ada", email: " Ada@Example.org " }), { signupId: "redelivered-1" });
        const options = { dynamodb: client, table: TABLE, logger: memoryLogger() };
        const first = await processBatch((await queue.receive(10)).map(record), options);
        assert.deepEqual(first.batchItemFailures, []);
        now += 30_000; // the delete never happened: at-least-once delivers it again
        const again = await queue.receive(10);
        assert.equal(again[0].receiveCount, 2);
        const second = await processBatch(again.map(record), options);
        assert.deepEqual(second.batchItemFailures, []);
        assert.equal(second.outcomes[0].state, "stored", "a redelivery of the sign-up that stored the email stays stored");
        const emails = await items(client, emailKey("ada@example.org"));
        assert.equal(emails.length, 1);
        assert.equal(emails[0].signupId.S, "redelivered-1");
        const state = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: signupKey("redelivered-1") } } }));
        assert.equal(state.Item?.state.S, "stored");
    });

    it("records an invalid body as rejected with the reason, and a repeated email as duplicate", async () => {
        const queue = new LocalQueue({ name: "q" });
        queue.send("not json", { signupId: "bad-1" });
        queue.send(JSON.stringify({ name: "Bo", email: "no-at-sign" }), { signupId: "bad-2" });
        queue.send(JSON.stringify({ name: "Cy", email: "cy@example.org" }), { signupId: "cy-1" });
        queue.send(JSON.stringify({ name: "Cy again", email: "CY@example.org" }), { signupId: "cy-2" });
        const first = await processBatch((await queue.receive(2)).map(record), { dynamodb: client, table: TABLE, logger: memoryLogger() });
        assert.deepEqual(
            first.outcomes.map((o) => [o.id, o.state, "reason" in o ? o.reason : undefined]),
            [
                ["bad-1", "rejected", REJECT_REASONS.notJson],
                ["bad-2", "rejected", REJECT_REASONS.emailInvalid],
            ],
        );
        // One after the other, so which of the two stored the email is known.
        const cy1 = await processBatch((await queue.receive(1)).map(record), { dynamodb: client, table: TABLE, logger: memoryLogger() });
        const cy2 = await processBatch((await queue.receive(1)).map(record), { dynamodb: client, table: TABLE, logger: memoryLogger() });
        assert.equal(cy1.outcomes[0].state, "stored");
        assert.equal(cy2.outcomes[0].state, "duplicate");
        const rejected = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: signupKey("bad-2") } } }));
        assert.equal(rejected.Item?.reason.S, REJECT_REASONS.emailInvalid);
    });

    it("reports only the failed message of a batch; the others are stored and not retried", async () => {
        // One email's write fails as a throttled DynamoDB call would; the rest of the batch goes through.
        const flaky = failingFor(db.client(), "boom@example.org", "ThrottlingException");
        const queue = new LocalQueue({ name: "q" });
        for (const email of ["p1@example.org", "boom@example.org", "p3@example.org"])
            queue.send(JSON.stringify({ name: "P", email }), { signupId: email.replace(/\W/g, "-") });
        const batch = await queue.receive(10);
        const result = await processBatch(batch.map(record), { dynamodb: flaky, table: TABLE, logger: memoryLogger() });
        assert.deepEqual(result.batchItemFailures, [{ itemIdentifier: batch[1].messageId }]);
        assert.deepEqual(
            result.outcomes.map((o) => o.state),
            ["stored", "failed", "stored"],
        );
    });

    it("redrives a message that keeps failing to the dead-letter queue after the maximum receives; the rest of its batch is stored once", async () => {
        const flaky = failingFor(db.client(), "poison@example.org", "InternalServerError");
        const deadLetterQueue = new LocalQueue({ name: "dlq" });
        // A second: long enough for a batch against dynalite on a busy machine, so only the poison message comes back.
        const queue = new LocalQueue({ name: "q", visibilityTimeoutSeconds: 1, redrive: { deadLetterQueue, maxReceiveCount: 3 } });
        const receiveCounts: number[] = [];
        const stats = { batches: 0, processed: 0, failed: 0 };
        const mapping = startEventSourceMapping({
            queue,
            queueArn: "arn:aws:sqs:us-east-1:000000000000:q",
            stats,
            handler: async (records) => {
                for (const r of records) if (r.body.includes("poison")) receiveCounts.push(Number(r.attributes.ApproximateReceiveCount));
                return processBatch(records, { dynamodb: flaky, table: TABLE, logger: memoryLogger() });
            },
        });
        try {
            for (const email of ["r1@example.org", "poison@example.org", "r3@example.org"])
                queue.send(JSON.stringify({ name: "R", email }), { signupId: email.split("@")[0] });
            await until("the poison message in the dead-letter queue", () => deadLetterQueue.counts().visible === 1);
            assert.deepEqual(receiveCounts, [1, 2, 3], "received maxReceiveCount times, then moved");
            assert.equal(deadLetterQueue.peek()[0].messageAttributes.signupId, "poison");
            assert.deepEqual(queue.counts(), { visible: 0, inFlight: 0 });
            assert.equal((await items(client, emailKey("r1@example.org"))).length, 1);
            assert.equal((await items(client, emailKey("r3@example.org"))).length, 1);
            assert.deepEqual(stats, { batches: 3, processed: 2, failed: 3 });
        } finally {
            await mapping.stop();
        }
    });

    it("the write-denied exercise: AccessDeniedException as AWS words it, retried, then in the dead-letter queue", async () => {
        const logger = memoryLogger();
        const lab = await startSignupLab({ consumerCanWrite: false, visibilityTimeoutSeconds: 0.5, maxReceiveCount: 3, logger });
        try {
            lab.queue.send(JSON.stringify({ name: "Dee", email: "dee@example.org" }), { signupId: "denied-1" });
            await until("the sign-up to reach the dead-letter queue", () => lab.report().deadLetterQueue.signupIds.includes("denied-1"));
            const { consumer, queue, deadLetterQueue } = lab.report();
            // The consumer's worker thread logs through the lab's logger, as the function logs to CloudWatch.
            const denials = logger.entries.filter((e) => e.event === WRITE_DENIED_EVENT && e.id === "denied-1");
            assert.equal(denials.length, 3, JSON.stringify(logger.entries));
            assert.equal(consumer.failed, 3, "received and failed maxReceiveCount times");
            assert.match(
                consumer.lastError ?? "",
                /^AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role\/signup-consumer-role\/signup-consumer is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/signups because no identity-based policy allows the dynamodb:PutItem action$/,
            );
            assert.deepEqual([queue.visible, queue.inFlight, deadLetterQueue.visible], [0, 0, 1]);
            const { Items = [] } = await lab.dynamodb.client().send(new ScanCommand({ TableName: lab.tableName }));
            assert.equal(Items.length, 0, "nothing was written");
            // Reads are allowed: only the role's writes are denied.
            await lab.dynamodb.client(CONSUMER_PRINCIPAL).send(new GetItemCommand({ TableName: lab.tableName, Key: { pk: { S: "x" } } }));
        } finally {
            await lab.close();
        }
    });

    it("runs the consumer core in a worker thread: outcomes and log lines come back; a worker that dies fails its batch and is replaced", async () => {
        const logger = memoryLogger();
        const workers: Worker[] = [];
        const consumer = await startConsumerWorker({ endpoint: db.endpoint, accessKeyId: "local", table: TABLE }, logger, (w) =>
            workers.push(w),
        );
        try {
            const queue = new LocalQueue({ name: "q" });
            queue.send(JSON.stringify({ name: "Wo", email: "worker@example.org" }), { signupId: "worker-1" });
            queue.send("not json", { signupId: "worker-2" });
            const result = await consumer.invoke((await queue.receive(10)).map(record));
            assert.deepEqual(result.batchItemFailures, []);
            assert.deepEqual(
                result.outcomes.map((o) => [o.id, o.state]),
                [
                    ["worker-1", "stored"],
                    ["worker-2", "rejected"],
                ],
            );
            assert.deepEqual(logger.entries.map((e) => [e.event, e.id]).sort(), [
                ["signup.processed", "worker-1"],
                ["signup.processed", "worker-2"],
            ]);
            assert.equal((await items(client, emailKey("worker@example.org"))).length, 1, "written by the worker's own client");

            // The worker dies (as a Lambda container can): the batch it held fails, and the next one runs on a new worker.
            queue.send(JSON.stringify({ name: "Re", email: "replaced@example.org" }), { signupId: "worker-3" });
            const batch = (await queue.receive(10)).map(record);
            const dying = workers[0].terminate(); // asked before the batch is posted: the worker never runs it
            const held = consumer.invoke(batch);
            await dying;
            await assert.rejects(held, /the sign-up consumer's worker stopped/);
            queue.send(JSON.stringify({ name: "Re", email: "replaced@example.org" }), { signupId: "worker-3" });
            const again = await consumer.invoke((await queue.receive(10)).map(record));
            assert.deepEqual(
                again.outcomes.map((o) => [o.id, o.state]),
                [["worker-3", "stored"]],
            );
            assert.equal(consumer.starts, 2);
        } finally {
            await consumer.close();
        }
        await assert.rejects(consumer.invoke([]), /the sign-up consumer is stopped/);
    });

    describe("over HTTP", () => {
        let lab: RunningSignupLab;
        let server: http.Server;
        let url: string;
        before(async () => {
            lab = await startSignupLab({ logger: memoryLogger() });
            server = http.createServer((req, res) => {
                void lab.handle(req, res, new URL(req.url!, "http://x").pathname).then((handled) => {
                    if (!handled) res.writeHead(404).end();
                });
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        });
        after(async () => {
            server.close();
            await lab.close();
        });

        it("accepts as the SQS integration does (202 and the id in x-signup-id), and answers the state as it changes", async () => {
            const res = await fetch(`${url}/signup`, { method: "POST", body: JSON.stringify({ name: "Eve", email: "eve@example.org" }) });
            assert.equal(res.status, 202);
            const id = res.headers.get(SIGNUP_ID_HEADER)!;
            assert.match(id, /^[0-9a-f-]{36}$/);
            let state = "queued";
            await until("the state to leave queued", async () => {
                state = ((await (await fetch(`${url}/signup/${id}`)).json()) as { state: string }).state;
                return state !== "queued";
            });
            assert.equal(state, "stored");
            assert.equal((await fetch(`${url}/signup`, { method: "POST", body: "" })).status, 400, "SQS refuses an empty MessageBody");
            assert.equal((await fetch(`${url}/signup`, { method: "POST", body: "x".repeat(17 * 1024) })).status, 413);
            assert.equal((await fetch(`${url}/signup/not.an.id`)).status, 400);
            assert.deepEqual(await (await fetch(`${url}/signup/unknown-id`)).json(), { id: "unknown-id", state: "queued" });
            const page = await fetch(`${url}/signup/`);
            assert.match(await page.text(), /<form id="signup"/);
        });
    });
});
