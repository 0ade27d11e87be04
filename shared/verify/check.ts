/**
 * What every lab's checks share: the result of one check, the context they run in (injected clients, timeout,
 * Ctrl-C), and requests that never hang: every HTTP and S3 call is bounded by the timeout.
 */
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { ECSClient } from "@aws-sdk/client-ecs";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";

/** One check's outcome, as `--json` prints it (plus `proves`, for the human line). */
export interface CheckResult {
    /** The lab checked: directory, hello, audio or webService. */
    lab: string;
    /** What was checked, e.g. "GET /users total". */
    name: string;
    /** What passing proves. */
    proves: string;
    ok: boolean;
    /** What was measured: status, counts, or why it failed. */
    detail: string;
    /** How long the check took. */
    ms: number;
}

export interface VerifyContext {
    /** The HTTP client (global fetch in the CLI). */
    fetch: typeof fetch;
    /** Reads and, with --lab-steps, writes the labs' buckets with the caller's credentials (or the local endpoint). */
    s3: S3Client;
    /** Limit of each request in ms. */
    timeoutMs: number;
    /** Aborted on Ctrl-C: the check in flight stops, lab steps undo what they did, nothing else runs. */
    signal: AbortSignal;
    /**
     * The URL of an object as an anonymous caller would fetch it; set for a deployed stack only (a local lab does not
     * enforce S3 permissions), where the "private" checks use it. @default undefined: private checks skipped
     */
    publicUrlOf?: (bucket: string, key: string) => Promise<string>;
    /** Key prefix of the directory's data files. */
    dataPrefix: string;
    /** The web service's health check path. */
    healthPath: string;
    /**
     * Asks ECS how many tasks of the web service run, when its outputs name a stop/start schedule (a deployed stack
     * only). @default undefined: a stopped service fails the page checks
     */
    ecs?: ECSClient;
    /** The time, for the schedule's stop window. @default () => new Date() */
    now?: () => Date;
    /** How long the audio lab step waits for its MP3, in ms. */
    audioWaitMs: number;
    /** How often the audio lab step looks for its MP3, in ms. */
    pollMs: number;
    /**
     * Reads a deployed stack's CloudWatch Logs (the sign-up check looks there for the consumer's AccessDenied);
     * unset for a local lab. @default undefined: no log look-ups
     */
    logs?: CloudWatchLogsClient;
    /** Called with each result as it is known, so the CLI can print progress. */
    report: (result: CheckResult) => void;
    /**
     * True for the local lab (npm start), which deletes an MP3 whose text is gone by the time it is spoken; on AWS
     * the speech function writes it anyway. @default false
     */
    local?: boolean;
    /** Most bytes a check reads of one answer. @default MAX_ANSWER_BYTES */
    maxAnswerBytes?: number;
}

/**
 * Most bytes a check reads of one answer: the largest real one is an MP3 of a seed text at Polly's 100,000-character
 * limit, about 40 MB at Polly's 48 kbit/s (pages, config.js and JSON answers are kilobytes). A longer answer fails
 * its check naming this cap, and reading stops there, so memory stays flat whatever the server sends.
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** A check that did not pass; its message is the detail shown. */
export class CheckFailed extends Error {}

/** Ctrl-C (or another interrupt) stopped the run. */
export class Interrupted extends Error {
    constructor() {
        super("interrupted");
        this.name = "Interrupted";
    }
}

/**
 * Runs one check: its body returns the detail on success and throws CheckFailed (or any error) on failure.
 * Ctrl-C stops the run (Interrupted), except for an `undo` check, which runs even after it.
 */
export async function runCheck(
    ctx: VerifyContext,
    results: CheckResult[],
    lab: string,
    name: string,
    proves: string,
    body: () => Promise<string>,
    undo = false,
): Promise<boolean> {
    if (ctx.signal.aborted && !undo) throw new Interrupted();
    const started = performance.now();
    let ok = true;
    let detail: string;
    try {
        detail = await body();
    } catch (error) {
        if (error instanceof Interrupted && !undo) throw error;
        ok = false;
        detail = describeError(error, ctx.timeoutMs);
    }
    const result: CheckResult = { lab, name, proves, ok, detail, ms: Math.round(performance.now() - started) };
    results.push(result);
    ctx.report(result);
    return ok;
}

/** A request that took too long. */
export class TimedOut extends Error {}

export function describeError(error: unknown, timeoutMs: number): string {
    if (error instanceof CheckFailed) return error.message;
    if (error instanceof TimedOut) return `no answer within ${seconds(timeoutMs)} (--timeout)`;
    const e = error as Error & { cause?: { code?: string; message?: string }; $metadata?: { httpStatusCode?: number } };
    if (e?.cause?.code) return `${e.message}: ${e.cause.code}`;
    if (e?.$metadata) return `${e.name}${e.$metadata.httpStatusCode ? ` (${e.$metadata.httpStatusCode})` : ""}: ${e.message}`;
    return e instanceof Error ? e.message : String(error);
}

export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** A signal that fires on Ctrl-C (unless `ignoreInterrupt`) or after the timeout. */
function deadline(ctx: VerifyContext, ignoreInterrupt: boolean): { signal: AbortSignal; timeout: AbortSignal } {
    const timeout = AbortSignal.timeout(ctx.timeoutMs);
    return { signal: ignoreInterrupt ? timeout : AbortSignal.any([ctx.signal, timeout]), timeout };
}

/** Runs `call` with a deadline; turns its abort into Interrupted or TimedOut. */
export async function bounded<T>(ctx: VerifyContext, call: (signal: AbortSignal) => Promise<T>, ignoreInterrupt = false): Promise<T> {
    const { signal, timeout } = deadline(ctx, ignoreInterrupt);
    try {
        return await call(signal);
    } catch (error) {
        if (timeout.aborted) throw new TimedOut();
        if (!ignoreInterrupt && ctx.signal.aborted) throw new Interrupted();
        throw error;
    }
}

export interface Answer {
    status: number;
    headers: Headers;
    /** The body, unless the request asked only to count it (then empty). */
    body: Buffer;
    /** The body's length in bytes. */
    bytes: number;
    text(): string;
}

/** An answer longer than the cap: the check fails naming it. */
export class AnswerTooLarge extends CheckFailed {}

/**
 * An HTTP request whose answer, body included, arrives within the timeout. Redirects are followed. The body is read
 * as it streams and never beyond the cap (ctx.maxAnswerBytes); `countOnly` counts a 2xx body without keeping it.
 */
export function request(ctx: VerifyContext, url: string, init: RequestInit = {}, countOnly = false): Promise<Answer> {
    const cap = ctx.maxAnswerBytes ?? MAX_ANSWER_BYTES;
    return bounded(ctx, async (signal) => {
        const res = await ctx.fetch(url, { ...init, signal });
        const declared = Number(res.headers.get("content-length") ?? NaN);
        const tooLarge = () =>
            new AnswerTooLarge(
                `${init.method ?? "GET"} ${url} answered ${res.status} with a body over ${mebibytes(cap)}, the most verify reads of one answer`,
            );
        if (declared > cap) {
            await res.body?.cancel().catch(() => undefined);
            throw tooLarge();
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        if (res.body) {
            const reader = res.body.getReader();
            for (;;) {
                const { done, value } = await reader.read();
                if (done) break;
                bytes += value.length;
                if (bytes > cap) {
                    await reader.cancel().catch(() => undefined);
                    throw tooLarge();
                }
                if (!countOnly || !res.ok) chunks.push(Buffer.from(value.buffer, value.byteOffset, value.length));
            }
        }
        const body = Buffer.concat(chunks);
        return { status: res.status, headers: res.headers, body, bytes, text: () => body.toString("utf8") };
    });
}

const mebibytes = (n: number) => (n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n.toLocaleString("en-US")} bytes`);

/** S3 calls within the timeout; `ignoreInterrupt` for the undo steps, which must finish after a Ctrl-C. */
export function s3call<T>(
    ctx: VerifyContext,
    send: (s3: S3Client, options: { abortSignal: AbortSignal }) => Promise<T>,
    ignoreInterrupt = false,
): Promise<T> {
    return bounded(ctx, (abortSignal) => send(ctx.s3, { abortSignal }), ignoreInterrupt);
}

/** True when the object exists. */
export async function objectExists(ctx: VerifyContext, Bucket: string, Key: string, ignoreInterrupt = false): Promise<boolean> {
    try {
        await s3call(ctx, (s3, o) => s3.send(new HeadObjectCommand({ Bucket, Key }), o), ignoreInterrupt);
        return true;
    } catch (error) {
        if ((error as Error).name === "NotFound" || (error as Error).name === "NoSuchKey") return false;
        throw error;
    }
}

/** Fails with `detail` unless `condition` holds. */
export function expect(condition: unknown, detail: string): asserts condition {
    if (!condition) throw new CheckFailed(detail);
}

/** `https://x/api/` → `https://x/api` */
export const trimSlash = (url: string): string => url.replace(/\/+$/, "");

/** The S3 error code of an S3-style error answer (`<Code>AccessDenied</Code>`), if any. */
export const s3ErrorCode = (body: string): string | undefined => /<Code>([^<]+)<\/Code>/.exec(body)?.[1];

/** "403 AccessDenied" or "200" */
export const statusOf = (answer: Answer): string => {
    const code = s3ErrorCode(answer.text());
    return code ? `${answer.status} ${code}` : String(answer.status);
};

/** A short random suffix, so two runs never touch each other's objects. */
export const randomSuffix = (): string => Math.random().toString(36).slice(2, 10);
