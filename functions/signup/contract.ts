/**
 * The sign-up lab's contract: what every part (the AWS program, the two Lambdas, the local lab server and queue,
 * the page, the surge benchmark, verify) agrees on. No Pulumi, no SDK: plain data, constants and pure functions.
 *
 * The accept path on AWS has no Lambda: the HTTP API's `SQS-SendMessage` integration puts the request body on the
 * queue as it arrived and answers with a status and header set by response parameter mapping. So the body rules
 * below are enforced by the consumer, after the 202, and a bad body ends as a `rejected` state, not a 400.
 */

// ---------------------------------------------------------------------------------------------------------------
// POST /signup
// ---------------------------------------------------------------------------------------------------------------

/** The route that accepts a sign-up. */
export const SIGNUP_ROUTE = "POST /signup";
/** The route that answers a sign-up's state; `{id}` is the id from the accept answer's header. */
export const STATUS_ROUTE = "GET /signup/{id}";

/**
 * What the page sends: a JSON object, `content-type: application/json`. The API does not parse it: the request
 * body, byte for byte, becomes the SQS message body (`MessageBody = $request.body`).
 */
export interface SignupRequest {
    name: string;
    email: string;
}

/**
 * The SQS message attribute carrying the sign-up id. On AWS the integration sets it from `$context.requestId`
 * (API Gateway's id of the POST), so the API can answer the id without running code; locally the lab server sets
 * it to an id it makes. A message without it is processed under its SQS message id.
 */
export const SIGNUP_ID_ATTRIBUTE = "signupId";

/**
 * The `MessageAttributes` request parameter of the `SQS-SendMessage` integration (a JSON string API Gateway
 * evaluates per request: `${context.requestId}` is replaced by the request id).
 */
export const SQS_MESSAGE_ATTRIBUTES_MAPPING = JSON.stringify({
    [SIGNUP_ID_ATTRIBUTE]: { DataType: "String", StringValue: "${context.requestId}" },
});

/** The status of the accept answer: the sign-up is on the queue, not yet processed. */
export const ACCEPTED_STATUS = 202;
/**
 * The response header carrying the sign-up id on a 202 (lowercase; the API's CORS config exposes it so the page,
 * on the S3 website's origin, can read it). Clients read the id ONLY from here.
 */
export const SIGNUP_ID_HEADER = "x-signup-id";

/**
 * The accept answer's body is not part of the contract. On AWS it is whatever API Gateway passes through from
 * SQS's SendMessage response (JSON with the SQS MessageId; an HTTP API has no body mapping templates), locally
 * the lab server answers `{ id }`. Neither clients nor tests may depend on it beyond "it is JSON".
 */
export type AcceptBody = unknown;

/**
 * The largest message the queue takes (its `maxMessageSize`, body and attributes together). What the accept path
 * answers besides 202: a request SQS refuses (an empty body: SQS requires a non-empty MessageBody; a message over
 * this size) gets API Gateway's 4xx/5xx; a throttled request gets 429. Locally the lab server answers 400 for an
 * empty body, 413 for a body over this size.
 */
export const MAX_BODY_BYTES = 16 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// GET /signup/{id}
// ---------------------------------------------------------------------------------------------------------------

/**
 * A sign-up's state:
 * - `queued`: no record yet (still on the queue, being retried, or in the dead-letter queue; an unknown id too,
 *   the table cannot tell those apart);
 * - `stored`: this sign-up's email is now stored (by this sign-up; a redelivery of it stays `stored`);
 * - `duplicate`: the email was already stored by an earlier sign-up; nothing was written for it;
 * - `rejected`: the body broke a rule; `reason` says which.
 */
export type SignupState = "queued" | "stored" | "duplicate" | "rejected";
export const SIGNUP_STATES: readonly SignupState[] = ["queued", "stored", "duplicate", "rejected"];

/** The body of `GET /signup/{id}`'s 200 answer (`content-type: application/json`, `cache-control: no-store`). */
export interface SignupStatus {
    id: string;
    state: SignupState;
    /** Only for `rejected`: one of REJECT_REASONS' values. */
    reason?: string;
    /** When the state was recorded (ISO 8601); absent for `queued`. */
    at?: string;
}

/**
 * Ids the status route accepts: API Gateway request ids (like `JdT3jgUXoAMEPqQ=`), UUIDs, SQS message ids.
 * Anything else is answered 400 `{ error }` without reading the table.
 */
export const SIGNUP_ID_PATTERN = /^[A-Za-z0-9+/=_-]{1,128}$/;

export function isSignupId(id: string): boolean {
    return SIGNUP_ID_PATTERN.test(id);
}

// ---------------------------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------------------------

/** The table's only key: a string partition key, no sort key. */
export const TABLE_PARTITION_KEY = "pk";

/**
 * The one record per stored email: written with `attribute_not_exists(pk)`, so a repeated sign-up or a
 * redelivered message stores the email once. Attributes: pk, signupId, name, email (normalised), at.
 */
export function emailKey(normalisedEmail: string): string {
    return `email#${normalisedEmail}`;
}

/** Each processed sign-up's state record. Attributes: pk, state, reason (rejected only), at. */
export function signupKey(id: string): string {
    return `signup#${id}`;
}

/** The attributes of the email record (besides pk). */
export interface EmailRecord {
    signupId: string;
    name: string;
    email: string;
    at: string;
}

// ---------------------------------------------------------------------------------------------------------------
// The rules a sign-up must follow
// ---------------------------------------------------------------------------------------------------------------

export const MAX_NAME_LENGTH = 100;
/** RFC 5321's limits: 254 characters in all, 64 before the @. */
export const MAX_EMAIL_LENGTH = 254;
export const MAX_LOCAL_PART_LENGTH = 64;

/** Every reason a sign-up can be rejected for, as recorded in the state record and shown by the page. */
export const REJECT_REASONS = {
    notJson: "the body is not JSON",
    notObject: "the body is not a JSON object",
    nameMissing: "name is missing or empty",
    nameTooLong: `name is longer than ${MAX_NAME_LENGTH} characters`,
    nameControl: "name contains control characters",
    emailMissing: "email is missing or empty",
    emailTooLong: `email is longer than ${MAX_EMAIL_LENGTH} characters`,
    emailInvalid: "email is not a valid address",
} as const;
export type RejectReason = (typeof REJECT_REASONS)[keyof typeof REJECT_REASONS];

/**
 * The email as it is keyed: trimmed and lowercased (whole address: providers treat the local part
 * case-insensitively, and two sign-ups differing only in case are the same person for this lab). Dots and
 * `+tags` are kept: they are different mailboxes at most providers.
 */
export function normaliseEmail(email: string): string {
    return email.trim().toLowerCase();
}

/** A sign-up that passed the rules: the name trimmed, the email normalised. */
export interface ValidSignup {
    name: string;
    email: string;
}

export type Validation = { ok: true; signup: ValidSignup } | { ok: false; reason: RejectReason };

// One @, a local part of printable non-space characters without quotes or brackets, a domain of at least two
// dot-separated labels of letters, digits and inner hyphens (IDN domains arrive punycoded).
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Applies the rules to a message body as received (a string); extra fields in the object are ignored. */
export function validateSignup(body: string): Validation {
    let parsed: unknown;
    try {
        parsed = JSON.parse(body);
    } catch {
        return { ok: false, reason: REJECT_REASONS.notJson };
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { ok: false, reason: REJECT_REASONS.notObject };
    const { name, email } = parsed as Record<string, unknown>;
    if (typeof name !== "string" || name.trim() === "") return { ok: false, reason: REJECT_REASONS.nameMissing };
    const trimmedName = name.trim();
    if ([...trimmedName].length > MAX_NAME_LENGTH) return { ok: false, reason: REJECT_REASONS.nameTooLong };
    if (CONTROL.test(trimmedName)) return { ok: false, reason: REJECT_REASONS.nameControl };
    if (typeof email !== "string" || email.trim() === "") return { ok: false, reason: REJECT_REASONS.emailMissing };
    const normalised = normaliseEmail(email);
    if (normalised.length > MAX_EMAIL_LENGTH) return { ok: false, reason: REJECT_REASONS.emailTooLong };
    if (!isValidEmail(normalised)) return { ok: false, reason: REJECT_REASONS.emailInvalid };
    return { ok: true, signup: { name: trimmedName, email: normalised } };
}

/** True for a normalised address that follows the rules above. */
export function isValidEmail(normalised: string): boolean {
    const at = normalised.lastIndexOf("@");
    if (at <= 0 || normalised.indexOf("@") !== at) return false;
    const local = normalised.slice(0, at);
    const domain = normalised.slice(at + 1);
    if (local.length > MAX_LOCAL_PART_LENGTH || !LOCAL_PART.test(local)) return false;
    if (local.startsWith(".") || local.endsWith(".") || local.includes("..")) return false;
    const labels = domain.split(".");
    return labels.length >= 2 && labels.every((label) => DOMAIN_LABEL.test(label)) && !/^[0-9]+$/.test(labels[labels.length - 1]);
}

// ---------------------------------------------------------------------------------------------------------------
// The consumer's environment and the write-denied exercise
// ---------------------------------------------------------------------------------------------------------------

/** The environment variable both Lambdas read the table name from. */
export const TABLE_ENV = "SIGNUP_TABLE";
/** Set to `true` by the stack when the functions have X-Ray active tracing: their DynamoDB calls are traced too. */
export const TRACING_ENV = "SIGNUP_TRACING";

/** The log event the consumer writes when the table refuses a write with AccessDenied. */
export const WRITE_DENIED_EVENT = "signup.write-denied";
/** The permission the consumer's writes need; named in the log line and by verify. */
export const WRITE_PERMISSION = "dynamodb:PutItem";

/** The sentence verify (and the local lab) use to name what is missing. */
export function missingPermissionMessage(tableName: string): string {
    return `the consumer's role lacks ${WRITE_PERMISSION} on ${tableName}`;
}
