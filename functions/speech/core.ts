import {
    StartSpeechSynthesisTaskCommand,
    SynthesizeSpeechCommand,
    type Engine,
    type PollyClient,
    type VoiceId,
} from "@aws-sdk/client-polly";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { S3Event, S3EventRecord } from "aws-lambda";
import { consoleLogger, type Logger } from "../shared/log";
import { TEXT_PREFIX, audioKeyFor } from "./keys";
import { SYNC_CHAR_LIMIT, textProblem } from "./text";

export { audioKeyFor } from "./keys";

export { SYNC_CHAR_LIMIT, TASK_CHAR_LIMIT, textProblem } from "./text";

export interface SpeechOptions {
    s3: S3Client;
    polly: PollyClient;
    /** Polly voice, e.g. "Joanna". */
    voice: string;
    /** "standard" or "neural". */
    engine: string;
    /** Where structured logs go. @default console, one JSON object a line */
    logger?: Logger;
}

/** What happened to one uploaded text. */
export type SpeechOutcome =
    | { key: string; status: "synthesized"; output: string; bytes: number }
    | { key: string; status: "task-started"; outputPrefix: string; taskId: string }
    | { key: string; status: "failed"; reason: string }
    | { key: string; status: "ignored"; reason: string };

/** A bad input or a refusal, reported for its key; other records carry on. */
class SpeechError extends Error {}

/**
 * Creates the S3 `ObjectCreated` handler: each `text/**.txt` becomes `audio/**.mp3` spoken by Polly. Texts up to
 * {@link SYNC_CHAR_LIMIT} characters are synthesized here; longer ones start a Polly task that writes under
 * `audio/` by itself. Audio is written only after Polly succeeded, so a bad input never replaces good audio.
 * Outputs go only under `audio/`, which the notification does not watch, so the function never triggers itself.
 */
export function createHandler(options: SpeechOptions): (event: S3Event) => Promise<SpeechOutcome[]> {
    const logger = options.logger ?? consoleLogger;
    return async (event) => {
        const outcomes = await Promise.all((event.Records ?? []).map((record) => speak(record, options, logger)));
        logger.info("speech.batch", {
            records: outcomes.length,
            failed: outcomes.filter((o) => o.status === "failed").length,
        });
        return outcomes;
    };
}

/** S3 event keys are URL-encoded with `+` for spaces. */
export function decodeKey(raw: string): string {
    return decodeURIComponent(raw.replace(/\+/g, " "));
}

async function speak(record: S3EventRecord, options: SpeechOptions, logger: Logger): Promise<SpeechOutcome> {
    const bucket = record.s3.bucket.name;
    let key = record.s3.object.key;
    try {
        key = decodeKey(record.s3.object.key);
        if (!key.startsWith(TEXT_PREFIX) || !key.toLowerCase().endsWith(".txt")) {
            logger.info("speech.ignored", { bucket, key });
            return { key, status: "ignored", reason: `only ${TEXT_PREFIX}**.txt keys are spoken` };
        }
        const text = await readText(options.s3, bucket, key);
        const output = audioKeyFor(key);
        if ([...text].length <= SYNC_CHAR_LIMIT) {
            const audio = await synthesize(options, text);
            await options.s3.send(new PutObjectCommand({ Bucket: bucket, Key: output, Body: audio, ContentType: "audio/mpeg" }));
            logger.info("speech.synthesized", { bucket, key, output, bytes: audio.length });
            return { key, status: "synthesized", output, bytes: audio.length };
        }
        const outputPrefix = output.replace(/mp3$/, "");
        const task = await polly(() =>
            options.polly.send(
                new StartSpeechSynthesisTaskCommand({
                    Text: text,
                    OutputFormat: "mp3",
                    VoiceId: options.voice as VoiceId,
                    Engine: options.engine as Engine,
                    OutputS3BucketName: bucket,
                    // Polly names the file <prefix><task id>.mp3: audio/<name>.<task id>.mp3
                    OutputS3KeyPrefix: outputPrefix,
                }),
            ),
        );
        const taskId = task.SynthesisTask?.TaskId ?? "";
        logger.info("speech.task_started", { bucket, key, outputPrefix, taskId });
        return { key, status: "task-started", outputPrefix, taskId };
    } catch (error) {
        const reason = error instanceof SpeechError ? error.message : `unexpected error: ${String(error)}`;
        logger.error("speech.failed", { bucket, key, reason });
        return { key, status: "failed", reason };
    }
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
    let bytes: Uint8Array;
    try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        bytes = (await res.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
        throw new SpeechError(`cannot read the text (${(error as Error).name})`);
    }
    let text: string;
    try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
        throw new SpeechError("is not UTF-8 text");
    }
    const problem = textProblem(text);
    if (problem) throw new SpeechError(problem);
    return text.trim();
}

async function synthesize(options: SpeechOptions, text: string): Promise<Uint8Array> {
    const res = await polly(() =>
        options.polly.send(
            new SynthesizeSpeechCommand({
                Text: text,
                OutputFormat: "mp3",
                VoiceId: options.voice as VoiceId,
                Engine: options.engine as Engine,
            }),
        ),
    );
    const audio = (await res.AudioStream?.transformToByteArray()) ?? new Uint8Array();
    if (audio.length === 0) throw new SpeechError("Polly returned no audio");
    return audio;
}

/** Polly's refusals (unsupported voice or engine, bad text) become reasons naming Polly's error. */
async function polly<T>(call: () => Promise<T>): Promise<T> {
    try {
        return await call();
    } catch (error) {
        const e = error as Error;
        throw new SpeechError(`Polly refused the request: ${e.name}: ${e.message}`);
    }
}
