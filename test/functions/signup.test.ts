import * as assert from "node:assert/strict";
import {
    ConditionalCheckFailedException,
    DynamoDBClient,
    DynamoDBServiceException,
    GetItemCommand,
    PutItemCommand,
    type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import {
    emailKey,
    missingPermissionMessage,
    normaliseEmail,
    REJECT_REASONS,
    signupKey,
    SIGNUP_ID_ATTRIBUTE,
    SQS_MESSAGE_ATTRIBUTES_MAPPING,
    validateSignup,
    WRITE_DENIED_EVENT,
} from "../../functions/signup/contract";
import { createStatusHandler, processBatch, type SignupMessage } from "../../functions/signup/core";
import { memoryLogger } from "../../functions/shared/log";
import { getEvent, jsonBody } from "../helpers/events";

type Item = Record<string, AttributeValue>;

/**
 * A DynamoDB client whose PutItem/GetItem act on an in-memory table, honouring `attribute_not_exists(#pk)`
 * (the only condition the consumer uses). `denyPuts` answers every put with AccessDenied, as IAM would.
 */
function fakeTable(opts: { denyPuts?: boolean; failPutFor?: (item: Item) => boolean } = {}) {
    const items = new Map<string, Item>();
    const client = new DynamoDBClient({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
    const mock = mockClient(client);
    mock.on(PutItemCommand).callsFake((input: { Item: Item; ConditionExpression?: string }) => {
        if (opts.denyPuts) {
            throw new DynamoDBServiceException({
                name: "AccessDeniedException",
                $fault: "client",
                $metadata: {},
                message: "User: arn:aws:sts::123456789012:assumed-role/consumer is not authorized to perform: dynamodb:PutItem",
            });
        }
        if (opts.failPutFor?.(input.Item)) throw new Error("ProvisionedThroughputExceeded");
        const pk = input.Item.pk.S!;
        if (input.ConditionExpression && items.has(pk)) {
            throw new ConditionalCheckFailedException({ $metadata: {}, message: "The conditional request failed" });
        }
        items.set(pk, input.Item);
        return {};
    });
    mock.on(GetItemCommand).callsFake((input: { Key: Item }) => ({ Item: items.get(input.Key.pk.S!) }));
    return { client, items, mock };
}

const message = (id: string, body: unknown, messageId = `m-${id}`): SignupMessage => ({
    messageId,
    body: typeof body === "string" ? body : JSON.stringify(body),
    messageAttributes: { [SIGNUP_ID_ATTRIBUTE]: { stringValue: id, dataType: "String" } },
    attributes: { ApproximateReceiveCount: "1" },
});
const clock = () => new Date("2026-01-02T03:04:05.000Z");
const stateOf = (items: Map<string, Item>, id: string) => items.get(signupKey(id))?.state?.S;

describe("sign-up contract rules", () => {
    it("normalises an email by trimming and lowercasing, keeping dots and +tags", () => {
        assert.equal(normaliseEmail("  Ada.Lovelace+Lab@Example.COM "), "ada.lovelace+lab@example.com");
    });

    it("accepts a name and address and rejects each broken rule with its reason", () => {
        assert.deepEqual(validateSignup(JSON.stringify({ name: " Ada ", email: "ADA@example.com", extra: 1 })), {
            ok: true,
            signup: { name: "Ada", email: "ada@example.com" },
        });
        const cases: [string, string][] = [
            ["{not json", REJECT_REASONS.notJson],
            ["[1]", REJECT_REASONS.notObject],
            ["null", REJECT_REASONS.notObject],
            [JSON.stringify({ email: "a@example.com" }), REJECT_REASONS.nameMissing],
            [JSON.stringify({ name: "   ", email: "a@example.com" }), REJECT_REASONS.nameMissing],
            [JSON.stringify({ name: "x".repeat(101), email: "a@example.com" }), REJECT_REASONS.nameTooLong],
            [JSON.stringify({ name: "a\u0007b", email: "a@example.com" }), REJECT_REASONS.nameControl],
            [JSON.stringify({ name: "Ada" }), REJECT_REASONS.emailMissing],
            [JSON.stringify({ name: "Ada", email: 7 }), REJECT_REASONS.emailMissing],
            [JSON.stringify({ name: "Ada", email: `${"a".repeat(250)}@x.io` }), REJECT_REASONS.emailTooLong],
        ];
        for (const bad of [
            "no-at",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            ".a@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b.123",
            `${"a".repeat(65)}@b.com`,
        ]) {
            cases.push([JSON.stringify({ name: "Ada", email: bad }), REJECT_REASONS.emailInvalid]);
        }
        for (const [body, reason] of cases) assert.deepEqual(validateSignup(body), { ok: false, reason }, body);
    });

    it("maps the sign-up id attribute from the API's request id and names the missing permission", () => {
        assert.deepEqual(JSON.parse(SQS_MESSAGE_ATTRIBUTES_MAPPING), {
            signupId: { DataType: "String", StringValue: "${context.requestId}" },
        });
        assert.equal(missingPermissionMessage("t1"), "the consumer's role lacks dynamodb:PutItem on t1");
    });
});

describe("sign-up consumer core", () => {
    it("stores a valid sign-up once under its normalised email and records the state", async () => {
        const { client, items } = fakeTable();
        const result = await processBatch([message("a1", { name: "Ada", email: "Ada@Example.com" })], {
            dynamodb: client,
            table: "t",
            now: clock,
            logger: memoryLogger(),
        });
        assert.deepEqual(result.batchItemFailures, []);
        assert.deepEqual(items.get(emailKey("ada@example.com")), {
            pk: { S: "email#ada@example.com" },
            signupId: { S: "a1" },
            name: { S: "Ada" },
            email: { S: "ada@example.com" },
            at: { S: "2026-01-02T03:04:05.000Z" },
        });
        assert.deepEqual(items.get(signupKey("a1")), {
            pk: { S: "signup#a1" },
            state: { S: "stored" },
            at: { S: "2026-01-02T03:04:05.000Z" },
        });
    });

    it("keeps a redelivered message stored (not duplicate) and a second sign-up of the email a duplicate", async () => {
        const { client, items } = fakeTable();
        const options = { dynamodb: client, table: "t", logger: memoryLogger() };
        await processBatch([message("a1", { name: "Ada", email: "ada@example.com" })], options);
        const again = await processBatch(
            [message("a1", { name: "Ada", email: "ada@example.com" }), message("b2", { name: "Ada L", email: " ADA@example.com" })],
            options,
        );
        assert.deepEqual(again.batchItemFailures, []);
        assert.equal(stateOf(items, "a1"), "stored");
        assert.equal(stateOf(items, "b2"), "duplicate");
        assert.equal(items.get(emailKey("ada@example.com"))?.name?.S, "Ada", "the first sign-up's record is kept");
        assert.equal([...items.keys()].filter((k) => k.startsWith("email#")).length, 1);
    });

    it("records an invalid sign-up as rejected with its reason, without an email record", async () => {
        const { client, items } = fakeTable();
        const result = await processBatch([message("r1", { name: "Ada", email: "nope" }), message("r2", "{")], {
            dynamodb: client,
            table: "t",
            logger: memoryLogger(),
        });
        assert.deepEqual(result.batchItemFailures, []);
        assert.equal(items.get(signupKey("r1"))?.reason?.S, REJECT_REASONS.emailInvalid);
        assert.equal(stateOf(items, "r2"), "rejected");
        assert.equal(items.get(signupKey("r2"))?.reason?.S, REJECT_REASONS.notJson);
        assert.equal(
            [...items.keys()].some((k) => k.startsWith("email#")),
            false,
        );
    });

    it("reports only the messages that failed, so SQS redelivers just those", async () => {
        const { client, items } = fakeTable({ failPutFor: (item) => item.pk.S === "email#bad@example.com" });
        const result = await processBatch(
            [message("ok", { name: "A", email: "ok@example.com" }, "m1"), message("bad", { name: "B", email: "bad@example.com" }, "m2")],
            { dynamodb: client, table: "t", logger: memoryLogger() },
        );
        assert.deepEqual(result.batchItemFailures, [{ itemIdentifier: "m2" }]);
        assert.equal(stateOf(items, "ok"), "stored");
        assert.equal(stateOf(items, "bad"), undefined);
    });

    it("logs AccessDenied naming dynamodb:PutItem and the table, and fails every item", async () => {
        const { client } = fakeTable({ denyPuts: true });
        const logger = memoryLogger();
        const result = await processBatch([message("d1", { name: "A", email: "a@example.com" }), message("d2", "{")], {
            dynamodb: client,
            table: "signups-t",
            logger,
        });
        assert.deepEqual(result.batchItemFailures, [{ itemIdentifier: "m-d1" }, { itemIdentifier: "m-d2" }]);
        const denied = logger.entries.filter((e) => e.event === WRITE_DENIED_EVENT);
        assert.equal(denied.length, 2);
        assert.equal(denied[0].level, "ERROR");
        assert.equal(denied[0].missingPermission, "dynamodb:PutItem");
        assert.equal(denied[0].table, "signups-t");
        assert.match(String(denied[0].message), /lacks dynamodb:PutItem/);
    });

    it("processes a message without the id attribute under its SQS message id", async () => {
        const { client, items } = fakeTable();
        await processBatch([{ messageId: "sqs-1", body: JSON.stringify({ name: "A", email: "a@example.com" }) }], {
            dynamodb: client,
            table: "t",
            logger: memoryLogger(),
        });
        assert.equal(stateOf(items, "sqs-1"), "stored");
    });
});

describe("sign-up status handler", () => {
    const statusEvent = (id: string) => ({ ...getEvent(`/signup/${id}`), pathParameters: { id } });

    it("answers queued before the consumer ran and the recorded state after", async () => {
        const { client } = fakeTable();
        const handler = createStatusHandler({ dynamodb: client, table: "t", logger: memoryLogger() });
        const before = await handler(statusEvent("s1"));
        assert.equal(before.statusCode, 200);
        assert.deepEqual(jsonBody(before), { id: "s1", state: "queued" });
        await processBatch([message("s1", { name: "A", email: "bad" })], {
            dynamodb: client,
            table: "t",
            now: clock,
            logger: memoryLogger(),
        });
        assert.deepEqual(jsonBody(await handler(statusEvent("s1"))), {
            id: "s1",
            state: "rejected",
            reason: REJECT_REASONS.emailInvalid,
            at: "2026-01-02T03:04:05.000Z",
        });
    });

    it("answers 400 for an id that cannot be one, and 500 when the table cannot be read", async () => {
        const { client, mock } = fakeTable();
        const logger = memoryLogger();
        const handler = createStatusHandler({ dynamodb: client, table: "t", logger });
        assert.equal((await handler(statusEvent("a b"))).statusCode, 400);
        mock.on(GetItemCommand).rejects(new Error("boom"));
        assert.equal((await handler(statusEvent("ok"))).statusCode, 500);
        assert.equal(logger.entries[0].event, "signup.status-failed");
    });
});
