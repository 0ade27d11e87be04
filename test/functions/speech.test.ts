import * as assert from "node:assert/strict";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { PollyClient, StartSpeechSynthesisTaskCommand, SynthesizeSpeechCommand } from "@aws-sdk/client-polly";
import { mockClient } from "aws-sdk-client-mock";
import type { S3Event } from "aws-lambda";
import { audioKeyFor, createHandler, decodeKey } from "../../functions/speech/core";
import { memoryLogger } from "../../functions/shared/log";
import { put, startTestS3 } from "../helpers/s3";

/** What S3 sends: keys URL-encoded, spaces as "+". */
function s3Event(bucket: string, ...keys: string[]): S3Event {
    return {
        Records: keys.map((key) => ({
            eventName: "ObjectCreated:Put",
            s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/") } },
        })) as unknown as S3Event["Records"],
    };
}

const MP3 = Buffer.from("ID3\u0003fake-mp3-frames");
/** The slice of the SDK's streaming body the handler reads. */
const audioStream = (bytes: Buffer) => ({ transformToByteArray: async () => new Uint8Array(bytes) }) as never;

describe("speech function against s3rver, with Polly mocked", function () {
    this.timeout(60_000);
    let s3: Awaited<ReturnType<typeof startTestS3>>;
    // One client's mock, not the class's: the local lab's real Polly (test/local) must stay real in the same run.
    const pollyClient = new PollyClient({ region: "us-east-1" });
    const polly = mockClient(pollyClient);
    after(() => polly.restore());

    beforeEach(async () => {
        s3 = await startTestS3("audio");
        polly.reset();
        polly.on(SynthesizeSpeechCommand).callsFake(async () => ({ AudioStream: audioStream(MP3), ContentType: "audio/mpeg" }));
        polly.on(StartSpeechSynthesisTaskCommand).resolves({ SynthesisTask: { TaskId: "task-123", TaskStatus: "scheduled" } });
    });
    afterEach(async () => {
        await s3.close();
    });

    const handlerFor = (logger = memoryLogger(), voice = "Joanna", engine = "standard") =>
        createHandler({ s3: s3.client, polly: pollyClient, voice, engine, logger });
    const read = async (key: string) => {
        const res = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
        return { bytes: Buffer.from(await res.Body!.transformToByteArray()), type: res.ContentType };
    };
    const keys = async () =>
        ((await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }))).Contents ?? []).map((o) => o.Key).sort();

    it("turns text/<name>.txt into audio/<name>.mp3 holding the bytes Polly returned", async () => {
        await put(s3.client, s3.bucket, "text/welcome.txt", "Hello from the lab.");
        const [outcome] = await handlerFor()(s3Event(s3.bucket, "text/welcome.txt"));
        assert.deepEqual(outcome, { key: "text/welcome.txt", status: "synthesized", output: "audio/welcome.mp3", bytes: MP3.length });
        const audio = await read("audio/welcome.mp3");
        assert.deepEqual(audio.bytes, MP3);
        assert.equal(audio.type, "audio/mpeg");
        const call = polly.commandCalls(SynthesizeSpeechCommand)[0].args[0].input;
        assert.deepEqual(call, { Text: "Hello from the lab.", OutputFormat: "mp3", VoiceId: "Joanna", Engine: "standard" });
    });

    it("starts a Polly task writing under audio/ for a text over the synchronous limit, without waiting", async () => {
        const long = "word ".repeat(1000).trim(); // 4,999 characters
        await put(s3.client, s3.bucket, "text/long.txt", long);
        const [outcome] = await handlerFor(undefined, "Matthew", "neural")(s3Event(s3.bucket, "text/long.txt"));
        assert.deepEqual(outcome, { key: "text/long.txt", status: "task-started", outputPrefix: "audio/long.", taskId: "task-123" });
        const task = polly.commandCalls(StartSpeechSynthesisTaskCommand)[0].args[0].input;
        assert.equal(task.Text, long);
        assert.equal(task.OutputS3BucketName, s3.bucket);
        assert.equal(task.OutputS3KeyPrefix, "audio/long.");
        assert.equal(task.VoiceId, "Matthew");
        assert.equal(task.Engine, "neural");
        assert.equal(polly.commandCalls(SynthesizeSpeechCommand).length, 0);
        assert.deepEqual(await keys(), ["text/long.txt"], "the task writes the MP3 itself, later");
    });

    it("uses SynthesizeSpeech at exactly 3,000 characters", async () => {
        await put(s3.client, s3.bucket, "text/edge.txt", "a".repeat(3000));
        const [outcome] = await handlerFor()(s3Event(s3.bucket, "text/edge.txt"));
        assert.equal(outcome.status, "synthesized");
    });

    for (const [name, body, reason] of [
        ["an empty file", "", /is empty/],
        ["a whitespace-only file", " \n\t ", /is empty/],
        ["a file that is not UTF-8", Buffer.from([0xff, 0xfe, 0x00, 0xd8, 0x41]), /is not UTF-8 text/],
        ["a binary file", Buffer.from("\u0000\u0001PNG\u0000"), /is not UTF-8 text/],
        ["text over Polly's task limit", "x".repeat(100_001), /100,001 characters, over Polly's 100,000-character limit/],
    ] as const) {
        it(`reports ${name} with the key and reason, and leaves existing audio untouched`, async () => {
            await put(s3.client, s3.bucket, "audio/note.mp3", MP3);
            await put(s3.client, s3.bucket, "text/note.txt", body);
            const logger = memoryLogger();
            const [outcome] = await handlerFor(logger)(s3Event(s3.bucket, "text/note.txt"));
            assert.equal(outcome.status, "failed");
            assert.match((outcome as { reason: string }).reason, reason);
            const logged = logger.entries.find((e) => e.event === "speech.failed")!;
            assert.equal(logged.key, "text/note.txt");
            assert.equal(logged.level, "ERROR");
            assert.match(String(logged.reason), reason);
            assert.deepEqual((await read("audio/note.mp3")).bytes, MP3, "existing audio kept");
            assert.equal(polly.commandCalls(SynthesizeSpeechCommand).length, 0);
        });
    }

    it("reports a voice Polly refuses, and keeps the existing audio", async () => {
        polly
            .on(SynthesizeSpeechCommand)
            .rejects(Object.assign(new Error("Engine standard is not supported by voice Kevin"), { name: "ValidationException" }));
        await put(s3.client, s3.bucket, "audio/note.mp3", MP3);
        await put(s3.client, s3.bucket, "text/note.txt", "Hello");
        const logger = memoryLogger();
        const [outcome] = await handlerFor(logger, "Kevin", "standard")(s3Event(s3.bucket, "text/note.txt"));
        assert.equal(outcome.status, "failed");
        assert.match(
            (outcome as { reason: string }).reason,
            /Polly refused the request: ValidationException: Engine standard is not supported by voice Kevin/,
        );
        assert.deepEqual((await read("audio/note.mp3")).bytes, MP3);
    });

    it("does not write an empty MP3 when Polly returns no audio", async () => {
        polly.on(SynthesizeSpeechCommand).callsFake(async () => ({ AudioStream: audioStream(Buffer.alloc(0)) }));
        await put(s3.client, s3.bucket, "audio/note.mp3", MP3);
        await put(s3.client, s3.bucket, "text/note.txt", "Hello");
        const [outcome] = await handlerFor()(s3Event(s3.bucket, "text/note.txt"));
        assert.match((outcome as { reason: string }).reason, /Polly returned no audio/);
        assert.deepEqual((await read("audio/note.mp3")).bytes, MP3);
    });

    it("decodes keys with spaces (+), percent-encoding and unicode", async () => {
        const key = "text/Grüße aus Köln/día 1 + más.txt";
        await put(s3.client, s3.bucket, key, "Hallo");
        const event = s3Event(s3.bucket, key);
        assert.match(event.Records[0].s3.object.key, /\+/, "the event carries + for spaces");
        const [outcome] = await handlerFor()(event);
        assert.equal(outcome.status, "synthesized");
        assert.deepEqual((await read("audio/Grüße aus Köln/día 1 + más.mp3")).bytes, MP3);
        assert.equal(decodeKey("text/a+b%2Bc.txt"), "text/a b+c.txt");
        assert.equal(audioKeyFor("text/a/b c.TXT"), "audio/a/b c.mp3");
    });

    it("processes the good records of a batch that holds a bad one", async () => {
        await put(s3.client, s3.bucket, "text/one.txt", "One");
        await put(s3.client, s3.bucket, "text/empty.txt", "");
        await put(s3.client, s3.bucket, "text/two.txt", "Two");
        const outcomes = await handlerFor()(s3Event(s3.bucket, "text/one.txt", "text/empty.txt", "text/missing.txt", "text/two.txt"));
        assert.deepEqual(
            outcomes.map((o) => o.status),
            ["synthesized", "failed", "failed", "synthesized"],
        );
        assert.match((outcomes[2] as { reason: string }).reason, /cannot read the text \(NoSuchKey\)/);
        assert.deepEqual(await keys(), ["audio/one.mp3", "audio/two.mp3", "text/empty.txt", "text/one.txt", "text/two.txt"]);
    });

    it("never speaks its own output or keys outside text/*.txt", async () => {
        await put(s3.client, s3.bucket, "audio/x.mp3", MP3);
        await put(s3.client, s3.bucket, "text/readme.md", "# no");
        const outcomes = await handlerFor()(s3Event(s3.bucket, "audio/x.mp3", "text/readme.md"));
        assert.deepEqual(
            outcomes.map((o) => o.status),
            ["ignored", "ignored"],
        );
        assert.equal(polly.calls().length, 0);
    });
});
