/**
 * The audio (Polly) lab: the seed MP3 is public as audio/mpeg and (deployed only) the texts are not. The lab step
 * uploads a text, waits for its MP3, checks it is public, and deletes both whatever happens.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { TEXT_PREFIX, audioKeyFor } from "../../functions/speech/keys";
import {
    describeError,
    expect,
    Interrupted,
    objectExists,
    randomSuffix,
    request,
    runCheck,
    s3call,
    seconds,
    statusOf,
    type Answer,
    type CheckResult,
    type VerifyContext,
} from "./check";
import type { LabOutputs } from "../outputs";

type AudioOutputs = Required<Pick<LabOutputs, "audioBucket" | "audioUrlPattern">> & Pick<LabOutputs, "seedAudioUrl">;

const BLOCK_PUBLIC_ACCESS_HINT =
    "the bucket policy makes audio/ public, so account-level S3 Block Public Access is probably on " +
    "(S3 console → Block Public Access settings for this account)";

export async function checkAudio(out: AudioOutputs, ctx: VerifyContext, results: CheckResult[], labSteps: boolean): Promise<void> {
    const run = (name: string, proves: string, body: () => Promise<string>) => runCheck(ctx, results, "audio", name, proves, body);

    if (out.seedAudioUrl) {
        const url = out.seedAudioUrl;
        await run("seed MP3 public", "anyone (an Alexa skill) can play the spoken seed text", async () => {
            // The seed text is spoken after it is uploaded (by the Lambda on AWS, in the background locally): a
            // fresh lab may not have its MP3 yet, so its absence is waited out like the lab step's upload.
            const waited = await waitUntilSpoken(ctx, url, out.audioBucket);
            const detail = await publicMp3(ctx, url);
            return waited > 0 ? `${detail}, after waiting ${waited} ms for it to be spoken` : detail;
        });
    }

    if (ctx.publicUrlOf) {
        const publicUrlOf = ctx.publicUrlOf;
        await run("texts private", "only audio/ is public: an anonymous caller cannot read text/", async () => {
            const listed = await s3call(ctx, (s3, o) =>
                s3.send(new ListObjectsV2Command({ Bucket: out.audioBucket, Prefix: TEXT_PREFIX, MaxKeys: 1 }), o),
            );
            const key = listed.Contents?.[0]?.Key ?? `${TEXT_PREFIX}welcome.txt`;
            const answer = await request(ctx, await publicUrlOf(out.audioBucket, key));
            expect(
                answer.status === 403,
                `unsigned GET of ${key} answered ${statusOf(answer)}${answer.status === 200 ? ": texts are public" : ", not 403"}`,
            );
            return `unsigned GET of ${key}: ${statusOf(answer)}`;
        });
    }

    if (labSteps) await speakStep(out, ctx, results);
}

/**
 * Polls `url` while the object is not there yet, up to the audio wait; returns how long it waited, 0 when it never
 * had to. Not there: a 404, or (on AWS, where an anonymous caller without s3:ListBucket gets 403 for a missing key)
 * a 403 while the bucket, asked with the caller's credentials, has no such key. A 403 for a key that exists is
 * the "not public" failure, reported by the check that follows.
 */
async function waitUntilSpoken(ctx: VerifyContext, url: string, bucket: string): Promise<number> {
    const started = performance.now();
    let waited = false;
    const missing = async () => {
        const status = (await request(ctx, url, {}, true)).status;
        if (status === 404) return true;
        return status === 403 && !(await objectExists(ctx, bucket, keyOfObjectUrl(url, bucket)));
    };
    while ((await missing()) && performance.now() - started < ctx.audioWaitMs) {
        waited = true;
        try {
            await sleep(ctx.pollMs, undefined, { signal: ctx.signal });
        } catch {
            throw new Interrupted();
        }
    }
    return waited ? Math.round(performance.now() - started) : 0;
}

/** The key of an object URL, virtual-hosted (`https://bucket.s3…/key`) or path-style (`https://s3…/bucket/key`). */
export function keyOfObjectUrl(url: string, bucket: string): string {
    const path = decodeURIComponent(new URL(url).pathname.slice(1));
    return path.startsWith(`${bucket}/`) && !new URL(url).hostname.startsWith(`${bucket}.`) ? path.slice(bucket.length + 1) : path;
}

/** Checks an MP3 URL answers 200 as audio/mpeg; a 403 names the usual cause. */
async function publicMp3(ctx: VerifyContext, url: string): Promise<string> {
    const answer: Answer = await request(ctx, url, {}, true);
    expect(answer.status !== 403, `GET ${url} answered ${statusOf(answer)}: the MP3 is not public; ${BLOCK_PUBLIC_ACCESS_HINT}`);
    expect(answer.status === 200, `GET ${url} answered ${statusOf(answer)}`);
    const type = answer.headers.get("content-type") ?? "";
    expect(type.split(";")[0].trim() === "audio/mpeg", `GET ${url} answered content-type ${type || "(none)"}, not audio/mpeg`);
    return `200 audio/mpeg, ${answer.bytes} bytes`;
}

/** Upload a text, wait for its MP3, check it is public; delete both in any case. */
async function speakStep(out: AudioOutputs, ctx: VerifyContext, results: CheckResult[]): Promise<void> {
    const Bucket = out.audioBucket;
    const name = `verify-${randomSuffix()}`;
    const textKey = `${TEXT_PREFIX}${name}.txt`;
    const audioKey = audioKeyFor(textKey);
    try {
        await runCheck(ctx, results, "audio", `lab step: upload ${textKey}`, "an uploaded text becomes a public MP3", async () => {
            await s3call(ctx, (s3, o) =>
                s3.send(
                    new PutObjectCommand({
                        Bucket,
                        Key: textKey,
                        Body: "This is cloud-labs verify, checking the audio lab.",
                        ContentType: "text/plain",
                    }),
                    o,
                ),
            );
            const started = performance.now();
            while (!(await objectExists(ctx, Bucket, audioKey))) {
                expect(performance.now() - started < ctx.audioWaitMs, `no ${audioKey} within ${seconds(ctx.audioWaitMs)} of the upload`);
                try {
                    await sleep(ctx.pollMs, undefined, { signal: ctx.signal });
                } catch {
                    throw new Interrupted();
                }
            }
            const waited = Math.round(performance.now() - started);
            const detail = await publicMp3(ctx, out.audioUrlPattern.replace("<name>", encodeURIComponent(name)));
            return `${audioKey} after ${waited} ms; ${detail}`;
        });
    } finally {
        await cleanUp(ctx, results, Bucket, textKey, audioKey);
    }
}

/**
 * Deletes what the step created (also after Ctrl-C), and says only what it did: each object it found and deleted,
 * each it did not find. An MP3 not there yet may still be written by a speech that already read the text: the local
 * lab deletes such an MP3 when it is written; on AWS the speech function writes it anyway (docs/verify.md).
 */
async function cleanUp(ctx: VerifyContext, results: CheckResult[], Bucket: string, textKey: string, audioKey: string): Promise<void> {
    await runCheck(
        ctx,
        results,
        "audio",
        "lab step: clean up",
        "the step leaves nothing behind",
        async () => {
            const deleted: string[] = [];
            const absent: string[] = [];
            const left: string[] = [];
            // The text first: a speech that starts after this cannot read it, so it writes no MP3.
            for (const Key of [textKey, audioKey]) {
                try {
                    if (!(await objectExists(ctx, Bucket, Key, true))) {
                        absent.push(Key);
                        continue;
                    }
                    await s3call(ctx, (s3, o) => s3.send(new DeleteObjectCommand({ Bucket, Key }), o), true);
                    if (await objectExists(ctx, Bucket, Key, true)) left.push(`s3://${Bucket}/${Key}`);
                    else deleted.push(Key);
                } catch (error) {
                    left.push(`s3://${Bucket}/${Key} (${describeError(error, ctx.timeoutMs)})`);
                }
            }
            const done = [deleted.length ? `deleted ${deleted.join(", ")}` : "", absent.length ? `${absent.join(", ")} not there` : ""]
                .filter(Boolean)
                .join("; ");
            expect(left.length === 0, `could not delete ${left.join(", ")}${done ? ` (${done})` : ""}`);
            if (!absent.includes(audioKey)) return done;
            return ctx.local
                ? `${done}: the lab deletes ${audioKey} if a speech of the text still writes it`
                : `${done}: a speech that read the text before it was deleted still writes ${audioKey}; ` +
                      `look with aws s3 ls s3://${Bucket}/${audioKey} and remove it with aws s3 rm s3://${Bucket}/${audioKey}`;
        },
        true,
    );
}
