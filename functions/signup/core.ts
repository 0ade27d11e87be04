import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { consoleLogger, type Logger } from "../shared/log";
import { jsonResponse, type HttpEvent, type HttpResult } from "../shared/http";
import {
    emailKey,
    isSignupId,
    signupKey,
    SIGNUP_ID_ATTRIBUTE,
    TABLE_PARTITION_KEY,
    validateSignup,
    WRITE_DENIED_EVENT,
    WRITE_PERMISSION,
    type SignupState,
    type SignupStatus,
} from "./contract";

/** The parts of an SQS record the consumer reads; the local queue builds records of this shape. */
export type SignupMessage = Pick<SQSRecord, "messageId" | "body"> & {
    messageAttributes?: Partial<Record<string, { stringValue?: string; dataType?: string }>>;
    attributes?: Partial<Pick<SQSRecord["attributes"], "ApproximateReceiveCount">>;
};

export interface SignupOptions {
    /** The DynamoDB client (a local endpoint offline). */
    dynamodb: DynamoDBClient;
    /** The table's name. */
    table: string;
    /** Where structured logs go. @default console, one JSON object a line */
    logger?: Logger;
    /** The clock states are stamped with. @default () => new Date() */
    now?: () => Date;
}

/** What happened to one message: its final state, or `failed` (left for redelivery and, in the end, the DLQ). */
export type MessageOutcome = { id: string; messageId: string } & (
    { state: Exclude<SignupState, "queued">; reason?: string } | { state: "failed"; error: string }
);

/** The sign-up id a message carries (the API's request id), or its SQS message id when it carries none. */
export function signupIdOf(message: SignupMessage): string {
    return message.messageAttributes?.[SIGNUP_ID_ATTRIBUTE]?.stringValue || message.messageId;
}

/** True for DynamoDB's answer to a call the caller's role may not make. */
export function isAccessDenied(error: unknown): boolean {
    const name = (error as { name?: string } | undefined)?.name ?? "";
    return name === "AccessDeniedException" || name === "AccessDenied" || name === "UnauthorizedOperation";
}

const isConditionFailed = (error: unknown) => (error as { name?: string } | undefined)?.name === "ConditionalCheckFailedException";
const s = (value: string): AttributeValue => ({ S: value });

/**
 * Processes one sign-up message, idempotently: a redelivered message (same id) ends in the same state, and an
 * email is stored once whatever the number of sign-ups for it.
 *
 * 1. The body breaks a rule → the state record `rejected` with the reason.
 * 2. Put the email record with `attribute_not_exists(pk)`. Written → this sign-up stored the email. Condition
 *    failed → read the email record (consistently): stored by this same id (an earlier delivery got this far) →
 *    `stored`; by another id → `duplicate`.
 * 3. Put the state record (a plain put: every delivery of a message computes the same state).
 * Any error (AccessDenied included) is thrown to the batch, which reports the message as failed.
 */
export async function processMessage(message: SignupMessage, options: SignupOptions): Promise<MessageOutcome> {
    const { dynamodb, table } = options;
    const now = (options.now ?? (() => new Date()))().toISOString();
    const id = signupIdOf(message);
    const validation = validateSignup(message.body);
    let state: "stored" | "duplicate" | "rejected";
    let reason: string | undefined;
    if (!validation.ok) {
        state = "rejected";
        reason = validation.reason;
    } else {
        const { name, email } = validation.signup;
        try {
            await dynamodb.send(
                new PutItemCommand({
                    TableName: table,
                    Item: { [TABLE_PARTITION_KEY]: s(emailKey(email)), signupId: s(id), name: s(name), email: s(email), at: s(now) },
                    ConditionExpression: "attribute_not_exists(#pk)",
                    ExpressionAttributeNames: { "#pk": TABLE_PARTITION_KEY },
                }),
            );
            state = "stored";
        } catch (error) {
            if (!isConditionFailed(error)) throw error;
            const existing = await dynamodb.send(
                new GetItemCommand({ TableName: table, Key: { [TABLE_PARTITION_KEY]: s(emailKey(email)) }, ConsistentRead: true }),
            );
            state = existing.Item?.signupId?.S === id ? "stored" : "duplicate";
        }
    }
    await dynamodb.send(
        new PutItemCommand({
            TableName: table,
            Item: { [TABLE_PARTITION_KEY]: s(signupKey(id)), state: s(state), at: s(now), ...(reason ? { reason: s(reason) } : {}) },
        }),
    );
    return { id, messageId: message.messageId, state, ...(reason ? { reason } : {}) };
}

/**
 * Processes an SQS batch (the event source mapping's `ReportBatchItemFailures` contract): every message is tried,
 * and only the failed ones are returned, so SQS redelivers just those and, after the queue's maxReceiveCount,
 * moves them to the dead-letter queue. An AccessDenied is logged naming the permission the role lacks.
 */
export async function processBatch(
    records: SignupMessage[],
    options: SignupOptions,
): Promise<SQSBatchResponse & { outcomes: MessageOutcome[] }> {
    const logger = options.logger ?? consoleLogger;
    const outcomes = await Promise.all(
        records.map(async (message): Promise<MessageOutcome> => {
            const id = signupIdOf(message);
            const receiveCount = Number(message.attributes?.ApproximateReceiveCount ?? 1);
            try {
                const outcome = await processMessage(message, options);
                logger.info("signup.processed", {
                    id,
                    messageId: message.messageId,
                    state: outcome.state,
                    reason: outcome.state === "rejected" ? outcome.reason : undefined,
                });
                return outcome;
            } catch (error) {
                const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
                if (isAccessDenied(error)) {
                    logger.error(WRITE_DENIED_EVENT, {
                        id,
                        messageId: message.messageId,
                        receiveCount,
                        table: options.table,
                        missingPermission: WRITE_PERMISSION,
                        message: `AccessDenied writing to table ${options.table}: the function's role lacks ${WRITE_PERMISSION}; the message is retried and then moved to the dead-letter queue`,
                        error: text,
                    });
                } else {
                    logger.error("signup.failed", { id, messageId: message.messageId, receiveCount, error: text });
                }
                return { id, messageId: message.messageId, state: "failed", error: text };
            }
        }),
    );
    const batchItemFailures = outcomes.filter((o) => o.state === "failed").map((o) => ({ itemIdentifier: o.messageId }));
    return { batchItemFailures, outcomes };
}

/** The consumer's Lambda handler: an SQS event in, the partial batch response out. */
export function createConsumer(options: SignupOptions): (event: { Records: SignupMessage[] }) => Promise<SQSBatchResponse> {
    return async (event) => {
        const { batchItemFailures } = await processBatch(event.Records ?? [], options);
        return { batchItemFailures };
    };
}

/** Reads one sign-up's state from the table; `queued` when there is no state record (yet). */
export async function readStatus(id: string, options: Pick<SignupOptions, "dynamodb" | "table">): Promise<SignupStatus> {
    const result = await options.dynamodb.send(
        new GetItemCommand({ TableName: options.table, Key: { [TABLE_PARTITION_KEY]: s(signupKey(id)) }, ConsistentRead: true }),
    );
    const item = result.Item;
    const state = item?.state?.S as SignupState | undefined;
    if (!item || !state) return { id, state: "queued" };
    return { id, state, ...(item.reason?.S ? { reason: item.reason.S } : {}), ...(item.at?.S ? { at: item.at.S } : {}) };
}

/**
 * The `GET /signup/{id}` handler (API Gateway payload 2.0): 200 with the state, 400 for an id that cannot be one,
 * 500 `{ error }` (logged) when the table cannot be read.
 */
export function createStatusHandler(
    options: Pick<SignupOptions, "dynamodb" | "table" | "logger">,
): (event: HttpEvent) => Promise<HttpResult> {
    const logger = options.logger ?? consoleLogger;
    return async (event) => {
        const id = event.pathParameters?.id ?? "";
        if (!isSignupId(id)) return jsonResponse(400, { error: "not a sign-up id" });
        try {
            return jsonResponse(200, await readStatus(id, options));
        } catch (error) {
            const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
            logger.error("signup.status-failed", { id, table: options.table, error: text });
            return jsonResponse(500, { error: "the sign-up's state could not be read" });
        }
    };
}
