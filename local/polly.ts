/**
 * Amazon Polly's API, answered on this machine: a real `PollyClient` whose HTTP handler serves the two calls the
 * speech function makes (SynthesizeSpeech and StartSpeechSynthesisTask) with the local synthesizer, so the speech
 * core runs unchanged. Refusals are Polly's own errors (voice, engine, text length); a task writes its MP3 to
 * `<OutputS3KeyPrefix><task id>.mp3` later, as Polly does.
 */
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { PollyClient } from "@aws-sdk/client-polly";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { consoleLogger, type Logger } from "../functions/shared/log";
import { SYNC_CHAR_LIMIT, TASK_CHAR_LIMIT } from "../functions/speech/core";
import { POLLY_VOICES } from "../stacks/polly-voices";
import { espeakVoiceFor, type Synthesizer } from "./synthesizer";

export interface LocalPollyOptions {
    /** Speaks the texts. */
    synthesizer: Synthesizer;
    /** Where tasks write their MP3s (Polly writes with the caller's rights). */
    s3: S3Client;
    /** Where task outcomes are logged. @default console JSON */
    logger?: Logger;
    /** Called (and awaited, within idle()) after a task wrote its MP3. */
    onTaskWritten?: (bucket: string, key: string) => Promise<void>;
}

export interface LocalPolly {
    client: PollyClient;
    /** Resolves when every started task has written its MP3 (or failed). */
    idle(): Promise<void>;
}

interface HttpRequestLike {
    method: string;
    path: string;
    body?: unknown;
}

type Answer = { statusCode: number; headers: Record<string, string>; body: Buffer };

const json = (statusCode: number, value: unknown, headers: Record<string, string> = {}): Answer => ({
    statusCode,
    headers: { "content-type": "application/json", ...headers },
    body: Buffer.from(JSON.stringify(value)),
});
/** A Polly error as the REST-JSON protocol carries it: the SDK turns it into the named exception. */
const refuse = (statusCode: number, type: string, message: string): Answer => json(statusCode, { message }, { "x-amzn-errortype": type });

export function createLocalPolly(options: LocalPollyOptions): LocalPolly {
    const logger = options.logger ?? consoleLogger;
    const tasks = new Set<Promise<void>>();

    /** A string field of the request, or "" (or `fallback`) when it is absent or not a string. */
    const field = (input: Record<string, unknown>, key: string, fallback = ""): string =>
        typeof input[key] === "string" ? input[key] : fallback;
    const checkRequest = (input: Record<string, unknown>, limit: number): { text: string; voice: string } | Answer => {
        const text = typeof input.Text === "string" ? input.Text : "";
        const voice = field(input, "VoiceId");
        const engine = field(input, "Engine", "standard");
        if (input.OutputFormat !== "mp3")
            return refuse(400, "ValidationException", `OutputFormat ${String(input.OutputFormat)}: the local lab makes mp3 only`);
        if (input.TextType !== undefined && input.TextType !== "text")
            return refuse(400, "ValidationException", "the local lab speaks plain text only (TextType text)");
        const engines = POLLY_VOICES[voice];
        const espeak = espeakVoiceFor(voice);
        if (!engines || !espeak)
            return refuse(400, "ValidationException", `VoiceId ${voice} is not one of ${Object.keys(POLLY_VOICES).join(", ")}`);
        if (!engines.includes(engine as never))
            return refuse(400, "EngineNotSupportedException", `${voice} does not support the ${engine} engine`);
        if (text.length === 0) return refuse(400, "ValidationException", "Text is empty");
        if ([...text].length > limit)
            return refuse(400, "TextLengthExceededException", `Maximum text length has been exceeded (${limit} characters)`);
        return { text, voice: espeak };
    };

    const synthesizeSpeech = async (input: Record<string, unknown>): Promise<Answer> => {
        const checked = checkRequest(input, SYNC_CHAR_LIMIT);
        if ("statusCode" in checked) return checked;
        const mp3 = await options.synthesizer.speak(checked.text, checked.voice);
        return {
            statusCode: 200,
            headers: { "content-type": "audio/mpeg", "x-amzn-requestcharacters": String([...checked.text].length) },
            body: mp3,
        };
    };

    const startTask = (input: Record<string, unknown>): Answer => {
        const checked = checkRequest(input, TASK_CHAR_LIMIT);
        if ("statusCode" in checked) return checked;
        const bucket = field(input, "OutputS3BucketName");
        if (!bucket) return refuse(400, "InvalidS3BucketException", "OutputS3BucketName is required");
        const taskId = randomUUID();
        const key = `${field(input, "OutputS3KeyPrefix")}${taskId}.mp3`;
        const task = (async () => {
            try {
                const mp3 = await options.synthesizer.speak(checked.text, checked.voice);
                await options.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: mp3, ContentType: "audio/mpeg" }));
                logger.info("polly.task_completed", { taskId, bucket, key, bytes: mp3.length });
                await options.onTaskWritten?.(bucket, key);
            } catch (error) {
                logger.error("polly.task_failed", { taskId, bucket, key, reason: (error as Error).message });
            }
        })();
        tasks.add(task);
        void task.finally(() => tasks.delete(task));
        return json(200, {
            SynthesisTask: {
                TaskId: taskId,
                TaskStatus: "scheduled",
                OutputUri: `s3://${bucket}/${key}`,
                CreationTime: Math.floor(Date.now() / 1000),
                RequestCharacters: [...checked.text].length,
                OutputFormat: "mp3",
                VoiceId: input.VoiceId,
                Engine: input.Engine,
            },
        });
    };

    const answer = async (request: HttpRequestLike): Promise<Answer> => {
        let input: Record<string, unknown>;
        try {
            // The SDK's JSON body is a string or a Uint8Array (whose string methods it warns about): decode the bytes.
            input = JSON.parse(
                request.body instanceof Uint8Array
                    ? new TextDecoder().decode(request.body)
                    : typeof request.body === "string"
                      ? request.body
                      : "",
            ) as Record<string, unknown>;
        } catch {
            return refuse(400, "ValidationException", "the request body is not JSON");
        }
        if (request.method === "POST" && request.path === "/v1/speech") return synthesizeSpeech(input);
        if (request.method === "POST" && request.path === "/v1/synthesisTasks") return startTask(input);
        return refuse(
            400,
            "ValidationException",
            `the local lab's Polly serves SynthesizeSpeech and StartSpeechSynthesisTask, not ${request.method} ${request.path}`,
        );
    };

    const requestHandler = {
        metadata: { handlerProtocol: "http/1.1" },
        async handle(request: HttpRequestLike) {
            let result: Answer;
            try {
                result = await answer(request);
            } catch (error) {
                result = refuse(500, "ServiceFailureException", (error as Error).message);
            }
            return { response: { statusCode: result.statusCode, headers: result.headers, body: Readable.from([result.body]) } };
        },
        updateHttpClientConfig() {},
        httpHandlerConfigs: () => ({}),
        destroy() {},
    };

    const client = new PollyClient({
        region: "us-east-1",
        credentials: { accessKeyId: "LOCAL", secretAccessKey: "LOCAL" },
        requestHandler: requestHandler,
        maxAttempts: 1,
    });
    return {
        client,
        idle: async () => {
            while (tasks.size > 0) await Promise.allSettled([...tasks]);
        },
    };
}
