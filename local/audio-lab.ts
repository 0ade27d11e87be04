/**
 * The audio lab on one machine: a second bucket on the lab's S3 server, whose `text/**.txt` uploads run the speech
 * function's core (functions/speech) with Polly answered by the local synthesizer. s3rver's own object-created
 * events drive it, as S3's notification drives the Lambda. The lab's HTTP server serves `audio/*` of the bucket
 * publicly (path-style: `/<bucket>/audio/<name>.mp3`, local/public-bucket.ts), and a page to upload texts and play
 * the MP3s.
 */
import * as fs from "node:fs";
import type * as http from "node:http";
import * as path from "node:path";
import {
    CreateBucketCommand,
    DeleteObjectCommand,
    HeadBucketCommand,
    HeadObjectCommand,
    ListObjectsV2Command,
    PutObjectCommand,
} from "@aws-sdk/client-s3";
import type { S3Event, S3EventRecord } from "aws-lambda";
import { consoleLogger, type Logger } from "../functions/shared/log";
import { AUDIO_PREFIX, TEXT_PREFIX, audioKeyFor } from "../functions/speech/keys";
import { TEXTS_DIR } from "../stacks/audio-files";
import type { LocalS3 } from "../shared/local-s3";
import { createSynthesizer, espeakVoiceFor, type Synthesizer } from "./synthesizer";
import type { SpeechOutcome } from "../functions/speech/core";
import { textProblem } from "../functions/speech/text";

export const AUDIO_BUCKET = "audio-lab";
/** The audio page and its script, served by the lab's HTTP server (local only: the cloud lab uses the console). */
export const AUDIO_PAGE_DIR = path.resolve(__dirname, "audio-page");
/**
 * Longest upload body the page's route reads, in bytes: room for Polly's 100,000 characters at up to 6 bytes each
 * in JSON (`\uXXXX`), so the character limit, checked next, is the one a user meets.
 */
const MAX_UPLOAD_BYTES = 1_000_000;

export interface AudioLabOptions {
    /** The lab's S3 server; the audio bucket is created on it when missing. */
    s3: LocalS3;
    /** Bucket name. @default "audio-lab" */
    bucket?: string;
    /** Polly voice, spoken by the espeak-ng voice of its language (see LOCAL_VOICES). @default "Joanna" */
    voice?: string;
    /** Polly engine; checked against the voice as Polly does. @default "standard" */
    engine?: string;
    /** Where the seed texts are. @default data/texts */
    seedDir?: string;
    /** Seed texts uploaded under `text/` when their MP3 is missing, in the background after start. @default ["welcome.txt"] */
    seedTexts?: string[];
    /** Structured logs of the speech core and the local Polly. @default console JSON */
    logger?: Logger;
    /** Speaks the texts. @default the espeak-ng synthesizer (createSynthesizer) */
    synthesizer?: Synthesizer;
}

export interface RunningAudioLab {
    bucket: string;
    voice: string;
    /** The espeak-ng voice that speaks `voice`. */
    espeakVoice: string;
    /** The `text/` keys of the seed texts. */
    seedKeys: string[];
    /** Serves the audio routes; false when the path is not one of them. */
    handle(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<boolean>;
    /** URL path of the MP3 made from a `text/` key (`/<bucket>/audio/<name>.mp3`, each segment encoded). */
    audioPath(textKey: string): string;
    /**
     * Uploads each seed text whose MP3 is missing, in the background (the upload's event makes the MP3). Call it
     * once the lab is ready: loading the speech code and speaking must not delay start-up.
     */
    seed(): void;
    /** Resolves when every upload seen so far is spoken and every task has written its MP3. */
    idle(): Promise<void>;
    close(): Promise<void>;
}

/** An S3 event key as S3 sends it: URL-encoded per segment, spaces as "+" (s3rver sends it raw). */
export function s3EventKey(key: string): string {
    return key
        .split("/")
        .map((segment) => encodeURIComponent(segment).replace(/%20/g, "+"))
        .join("/");
}

/** The records S3's notification would deliver to the speech function: ObjectCreated, prefix text/, suffix .txt. */
export function notificationRecords(event: S3Event, bucket: string): S3EventRecord[] {
    return (event.Records ?? [])
        .filter((r) => r.s3.bucket.name === bucket && r.eventName.startsWith("ObjectCreated:"))
        .filter((r) => r.s3.object.key.startsWith(TEXT_PREFIX) && r.s3.object.key.endsWith(".txt"))
        .map((r) => ({ ...r, s3: { ...r.s3, object: { ...r.s3.object, key: s3EventKey(r.s3.object.key) } } }));
}

export async function startAudioLab(options: AudioLabOptions): Promise<RunningAudioLab> {
    const { s3 } = options;
    const bucket = options.bucket ?? AUDIO_BUCKET;
    const voice = options.voice ?? "Joanna";
    const logger = options.logger ?? consoleLogger;
    const espeakVoice = espeakVoiceFor(voice);
    if (!espeakVoice) throw new Error(`Polly voice ${voice} has no local voice: use one of the voices in stacks/polly-voices.ts`);
    const seedDir = options.seedDir ?? TEXTS_DIR;
    const seedTexts = options.seedTexts ?? ["welcome.txt"];
    for (const file of seedTexts) {
        if (!fs.existsSync(path.join(seedDir, file))) throw new Error(`Seed text ${path.join(seedDir, file)} does not exist`);
    }

    try {
        await s3.client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch {
        await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
    }

    const synthesizer = options.synthesizer ?? createSynthesizer();
    /** Why the last upload of each text was not spoken, by text key, until it is spoken or deleted. */
    const failures = new Map<string, { reason: string; at: string }>();
    /**
     * An MP3 written after its text was deleted is deleted too, so nothing outlives its text (verify's audio step
     * deletes its text when it stops waiting). Checked after the MP3 is written: either this check sees the text
     * gone, or the text was deleted after the MP3 was written, by whoever then deletes the MP3 too.
     */
    const exists = async (Key: string) => {
        try {
            await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
            return true;
        } catch (error) {
            if ((error as Error).name !== "NotFound" && (error as Error).name !== "NoSuchKey") throw error;
            return false;
        }
    };
    const removeIfOrphan = async (textKey: string, audioKey: string) => {
        if (await exists(textKey)) return;
        await s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: audioKey }));
        logger.info("audio.orphan_deleted", { bucket, key: audioKey, textKey, reason: "its text was deleted before it was written" });
    };
    /** What the lab does with the speech core's outcomes: remembers failures, deletes orphans. */
    const settle = async (outcomes: SpeechOutcome[]) => {
        for (const outcome of outcomes) {
            // A text deleted before it was read is no failure to show (verify's step deletes its text when it stops).
            if (outcome.status === "failed" && (await exists(outcome.key)))
                failures.set(outcome.key, { reason: outcome.reason, at: new Date().toISOString() });
            else failures.delete(outcome.key);
            if (outcome.status === "synthesized") await removeIfOrphan(outcome.key, outcome.output);
        }
    };
    // The speech core and Polly's SDK load on the first upload, not before the lab is ready.
    type Speech = { handler: (event: S3Event) => Promise<SpeechOutcome[]>; polly: import("./polly").LocalPolly };
    let speech: Promise<Speech> | undefined;
    const loadSpeech = (): Promise<Speech> =>
        (speech ??= (async () => {
            const { createHandler } = await import("../functions/speech/core");
            const { createLocalPolly } = await import("./polly");
            // A task's MP3 is `audio/<name>.<task id>.mp3`, made from `text/<name>.txt`.
            const onTaskWritten = (_bucket: string, key: string) =>
                removeIfOrphan(`${TEXT_PREFIX}${key.slice(AUDIO_PREFIX.length).replace(/\.[^.]+\.mp3$/, "")}.txt`, key);
            const polly = createLocalPolly({ synthesizer, s3: s3.client, logger, onTaskWritten });
            return {
                handler: createHandler({ s3: s3.client, polly: polly.client, voice, engine: options.engine ?? "standard", logger }),
                polly,
            };
        })());
    const running = new Set<Promise<unknown>>();
    const track = <T>(work: Promise<T>): Promise<T> => {
        running.add(work);
        void work.finally(() => running.delete(work)).catch(() => undefined);
        return work;
    };
    let closed = false;
    s3.onEvent((event) => {
        for (const r of event.Records ?? []) {
            if (r.s3.bucket.name === bucket && r.eventName.startsWith("ObjectRemoved:")) failures.delete(r.s3.object.key);
        }
        const records = notificationRecords(event, bucket);
        if (records.length === 0 || closed) return;
        track(loadSpeech().then(async (s) => settle(await s.handler({ Records: records })))).catch((error) =>
            logger.error("speech.invoke_failed", { error: String(error) }),
        );
    });

    const seedKeys = seedTexts.map((file) => `${TEXT_PREFIX}${file}`);
    const seed = () => {
        const upload = async () => {
            for (const [i, key] of seedKeys.entries()) {
                try {
                    await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: audioKeyFor(key) }));
                } catch {
                    const body = fs.readFileSync(path.join(seedDir, seedTexts[i]));
                    await s3.client.send(
                        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "text/plain; charset=utf-8" }),
                    );
                }
            }
        };
        void track(upload().catch((error) => logger.error("audio.seed_failed", { error: String(error) })));
    };

    const audioPath = (textKey: string) => `/${bucket}/${audioKeyFor(textKey).split("/").map(encodeURIComponent).join("/")}`;

    return {
        bucket,
        voice,
        espeakVoice,
        seedKeys,
        seed,
        audioPath,
        handle: (req, res, pathname) => handle(req, res, pathname, { s3, bucket, audioPath, failures }),
        idle: async () => {
            while (running.size > 0) await Promise.allSettled([...running]);
            if (speech) await (await speech).polly.idle();
        },
        close: async () => {
            closed = true;
            await synthesizer.close();
            await Promise.allSettled([...running]);
            if (speech) (await speech).polly.client.destroy();
        },
    };
}

interface Context {
    s3: LocalS3;
    bucket: string;
    audioPath(textKey: string): string;
    failures: ReadonlyMap<string, { reason: string; at: string }>;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, ctx: Context): Promise<boolean> {
    const method = req.method ?? "GET";
    if (pathname === "/audio.html" || pathname === "/audio.js") {
        if (method !== "GET" && method !== "HEAD") return false;
        const file = path.join(AUDIO_PAGE_DIR, pathname.slice(1));
        const type = pathname.endsWith(".html") ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8";
        send(res, 200, { "content-type": type }, fs.readFileSync(file), method === "HEAD");
        return true;
    }
    if (pathname === "/local/audio/texts" && method === "POST") {
        await uploadText(req, res, ctx);
        return true;
    }
    if (pathname === "/local/audio/mp3s" && method === "GET") {
        await listMp3s(res, ctx);
        return true;
    }
    // The bucket's public objects (/<bucket>/audio/…) are served by the lab server: local/public-bucket.ts.
    return false;
}

/** `POST /local/audio/texts` `{ name, text }`: what the Polly console step does, an upload to `text/<name>.txt`. */
async function uploadText(req: http.IncomingMessage, res: http.ServerResponse, ctx: Context): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_UPLOAD_BYTES)
            return sendJson(res, 413, { message: `The text is over ${MAX_UPLOAD_BYTES.toLocaleString("en-US")} bytes` });
        chunks.push(chunk as Buffer);
    }
    let input: { name?: unknown; text?: unknown };
    try {
        input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof input;
    } catch {
        return sendJson(res, 400, { message: "The body must be JSON: { name, text }" });
    }
    const name = typeof input.name === "string" ? input.name.trim().replace(/\.txt$/i, "") : "";
    if (!/^[\w][\w .-]{0,99}$/.test(name)) {
        return sendJson(res, 400, {
            message: "name: 1 to 100 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit",
        });
    }
    if (typeof input.text !== "string") return sendJson(res, 400, { message: "text must be a string" });
    // The speech function's own rules: a text it would refuse is refused here, where the page can say why.
    const problem = textProblem(input.text);
    if (problem) return sendJson(res, 400, { message: `The text ${problem}: nothing was uploaded` });
    const key = `${TEXT_PREFIX}${name}.txt`;
    await ctx.s3.client.send(
        new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: input.text, ContentType: "text/plain; charset=utf-8" }),
    );
    sendJson(res, 201, { key, audioUrl: ctx.audioPath(key) });
}

/**
 * `GET /local/audio/mp3s`: the bucket's MP3s, newest first, with their public URLs (what the console lists), and
 * the texts whose speech failed, with the reason the function logged (`speech.failed`).
 */
async function listMp3s(res: http.ServerResponse, ctx: Context): Promise<void> {
    const files: { key: string; url: string; size: number; lastModified: string }[] = [];
    let token: string | undefined;
    do {
        const page = await ctx.s3.client.send(
            new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: AUDIO_PREFIX, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
            if (!o.Key?.endsWith(".mp3")) continue;
            files.push({
                key: o.Key,
                url: `/${ctx.bucket}/${o.Key.split("/").map(encodeURIComponent).join("/")}`,
                size: o.Size ?? 0,
                lastModified: o.LastModified?.toISOString() ?? "",
            });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    files.sort((a, b) => b.lastModified.localeCompare(a.lastModified) || a.key.localeCompare(b.key));
    const failed = [...ctx.failures].map(([key, f]) => ({ key, ...f })).sort((a, b) => b.at.localeCompare(a.at));
    sendJson(res, 200, { bucket: ctx.bucket, files, failed });
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
    send(res, status, { "content-type": "application/json" }, JSON.stringify(value), false);
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer, headOnly: boolean): void {
    res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
    res.end(headOnly ? undefined : body);
}
