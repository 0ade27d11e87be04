/**
 * The audio lab on this machine: s3rver's object-created events run the speech function's core, the local
 * synthesizer (espeak-ng + lamejs) answers its Polly calls with real MP3s, the lab server serves audio/* publicly,
 * and the page uploads a text and plays its MP3 in real headless Chromium.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StartSpeechSynthesisTaskCommand, SynthesizeSpeechCommand } from "@aws-sdk/client-polly";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import type { Browser } from "playwright-core";
import { memoryLogger } from "../../functions/shared/log";
import { TASK_CHAR_LIMIT } from "../../functions/speech/core";
import { notificationRecords, s3EventKey, startAudioLab, type RunningAudioLab } from "../../local/audio-lab";
import { startLab, type RunningLab } from "../../local/lab-server";
import { localS3Client } from "../../shared/local-s3";
import { createLocalPolly } from "../../local/polly";
import { LOCAL_VOICES, chunkText, createSynthesizer, espeakVoiceFor, type Synthesizer } from "../../local/synthesizer";
import { verify, type VerifyContext } from "../../shared/verify/core";
import { POLLY_VOICES } from "../../stacks/polly-voices";
import { bundle, functionEntries } from "../../stacks/bundle";
import { launchChromium } from "../helpers/chromium";
import { mpegAudio } from "../helpers/mpeg";
import { ROOT } from "../helpers/program";
import { put, startTestS3 } from "../helpers/s3";
import { verifyContext } from "../helpers/verify";
import { waitFor } from "../helpers/wait";

describe("audio lab, locally", function () {
    this.timeout(180_000);
    let lab: RunningLab;
    let labDir: string;
    let client: S3Client;
    const logs = memoryLogger();
    const bucket = () => lab.audio!.lab.bucket;
    const s3 = () => client;
    const failures = (key: string) => logs.entries.filter((e) => e.event === "speech.failed" && e.key === key);

    before(async () => {
        labDir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-audio-"));
        lab = await startLab({ labDir, port: 0, labs: ["directory", "audio"], log: () => undefined, logger: logs });
        client = localS3Client(lab.s3Endpoint);
    });
    after(async () => {
        client?.destroy();
        await lab?.close();
        if (labDir) fs.rmSync(labDir, { recursive: true, force: true });
    });

    it("speaks the seed text in the background into a public audio/mpeg MP3; text/ and listing are not served", async () => {
        assert.equal(lab.outputs.audioBucket, "audio-lab");
        assert.equal(lab.outputs.audioUrlPattern, `${lab.url}/audio-lab/audio/<name>.mp3`);
        assert.equal(lab.outputs.seedAudioUrl, `${lab.url}/audio-lab/audio/welcome.mp3`);
        assert.equal(lab.outputs.serviceUrl, undefined, "the web-service lab was not asked for");

        const res = await waitFor(
            "the seed MP3",
            async () => {
                const r = await fetch(lab.outputs.seedAudioUrl!);
                return r.status === 200 ? r : (await r.arrayBuffer(), undefined);
            },
            90_000,
        );
        assert.equal(res.headers.get("content-type"), "audio/mpeg");
        const mp3 = new Uint8Array(await res.arrayBuffer());
        const audio = mpegAudio(mp3);
        assert.equal(audio.sampleRate, 22050);
        assert.ok(audio.seconds > 4, `the welcome sentence plays ${audio.seconds} s`);

        const part = await fetch(lab.outputs.seedAudioUrl, { headers: { range: "bytes=0-99" } });
        assert.equal(part.status, 206, "ranges, which players use to seek");
        assert.equal((await part.arrayBuffer()).byteLength, 100);

        for (const p of ["/audio-lab/text/welcome.txt", "/audio-lab/", "/audio-lab", "/audio-lab?list-type=2", "/audio-lab/audio/"]) {
            const denied = await fetch(lab.url + p);
            assert.equal(denied.status, 403, p);
            assert.match(await denied.text(), /<Code>AccessDenied<\/Code>/);
        }
        assert.equal((await fetch(`${lab.url}/audio-lab/audio/nothing.mp3`)).status, 404);
        // a key is taken as sent: audio/../text/welcome.txt is a key of its own (missing), never text/welcome.txt
        const dotted = await fetch(`${lab.url}/audio-lab/audio/..%2Ftext%2Fwelcome.txt`);
        assert.equal(dotted.status, 404);
        assert.match(await dotted.text(), /<Code>NoSuchKey<\/Code>/);
        assert.equal((await fetch(`${lab.url}/audio-lab/audio/welcome.mp3`, { method: "PUT", body: "x" })).status, 405);
    });

    it("speaks odd key names, and drives the core only with what S3's notification would send", async () => {
        const key = "text/odd name+plus%percent é.txt";
        await put(s3(), bucket(), key, "Odd names are spoken too.");
        await put(s3(), bucket(), "text/notes.md", "not a .txt: the notification filter skips it");
        await put(s3(), bucket(), "other/hello.txt", "outside text/: skipped");
        await lab.audio!.lab.idle();
        const head = await s3().send(new HeadObjectCommand({ Bucket: bucket(), Key: "audio/odd name+plus%percent é.mp3" }));
        assert.equal(head.ContentType, "audio/mpeg");
        const served = await fetch(`${lab.url}/audio-lab/audio/${encodeURIComponent("odd name+plus%percent é.mp3")}`);
        assert.equal(served.status, 200);
        mpegAudio(new Uint8Array(await served.arrayBuffer()));
        const keys = ((await s3().send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: "audio/" }))).Contents ?? []).map((o) => o.Key);
        assert.ok(!keys.some((k) => /notes|hello/.test(k ?? "")), `only text/**.txt is spoken: ${keys.join(", ")}`);
        assert.equal(s3EventKey("text/a b+c%d é.txt"), "text/a+b%2Bc%25d+%C3%A9.txt");
    });

    it("logs bad inputs with key and reason, writes no MP3 and never overwrites a good one", async () => {
        await put(s3(), bucket(), "text/keep.txt", "This one is good.");
        await lab.audio!.lab.idle();
        const before = await s3().send(new GetObjectCommand({ Bucket: bucket(), Key: "audio/keep.mp3" }));
        const good = Buffer.from(await before.Body!.transformToByteArray());

        await put(s3(), bucket(), "text/keep.txt", "   \n");
        await put(s3(), bucket(), "text/latin1.txt", Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
        await put(s3(), bucket(), "text/huge.txt", "a".repeat(TASK_CHAR_LIMIT + 1));
        await lab.audio!.lab.idle();

        assert.match(String(failures("text/keep.txt")[0]?.reason), /is empty/);
        assert.match(String(failures("text/latin1.txt")[0]?.reason), /is not UTF-8/);
        assert.match(String(failures("text/huge.txt")[0]?.reason), /100,001 characters, over Polly's 100,000-character limit/);
        const after = await s3().send(new GetObjectCommand({ Bucket: bucket(), Key: "audio/keep.mp3" }));
        assert.deepEqual(Buffer.from(await after.Body!.transformToByteArray()), good, "the good MP3 is kept");
        const keys = ((await s3().send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: "audio/" }))).Contents ?? []).map(
            (o) => o.Key ?? "",
        );
        assert.ok(!keys.some((k) => /latin1|huge/.test(k)), `no MP3 for a bad input: ${keys.join(", ")}`);

        // The page's list carries each failure with the function's reason.
        const listed = (await (await fetch(`${lab.url}/local/audio/mp3s`)).json()) as { failed: { key: string; reason: string }[] };
        const reasons = Object.fromEntries(listed.failed.map((f) => [f.key, f.reason]));
        assert.match(reasons["text/latin1.txt"], /is not UTF-8/);
        assert.match(reasons["text/huge.txt"], /100,001 characters, over Polly's 100,000-character limit/);
        assert.match(reasons["text/keep.txt"], /is empty/);
        await put(s3(), bucket(), "text/keep.txt", "Good again.");
        await lab.audio!.lab.idle();
        const again = (await (await fetch(`${lab.url}/local/audio/mp3s`)).json()) as { failed: { key: string }[] };
        assert.ok(!again.failed.some((f) => f.key === "text/keep.txt"), "a text spoken since is no longer listed as failed");
    });

    it("refuses at upload, with the reason, a text the speech function would refuse: whitespace only, over 100,000 characters", async () => {
        const upload = (name: string, text: string) =>
            fetch(`${lab.url}/local/audio/texts`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ name, text }),
            });
        for (const [name, text, message] of [
            ["blank", "  \n\t ", "The text is empty (only whitespace): nothing was uploaded"],
            ["empty", "", "The text is empty: nothing was uploaded"],
            [
                "too-long",
                "é".repeat(TASK_CHAR_LIMIT + 1),
                "The text has 100,001 characters, over Polly's 100,000-character limit: nothing was uploaded",
            ],
        ] as const) {
            const res = await upload(name, text);
            assert.equal(res.status, 400, name);
            assert.deepEqual(await res.json(), { message });
            const listed = await s3().send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: `text/${name}` }));
            assert.equal(listed.KeyCount, 0, `nothing uploaded for ${name}`);
        }
        // Exactly 100,000 characters, quick to speak (espeak-ng skips the spaces).
        const longest = await upload("longest", `Longest.${" ".repeat(TASK_CHAR_LIMIT - 13)}Fits.`);
        assert.equal(longest.status, 201, "exactly 100,000 characters are accepted");
        await lab.audio!.lab.idle();
    });

    it("takes the task path for a text over 3,000 characters: the MP3 appears later as audio/<name>.<task id>.mp3", async () => {
        // Long in characters, short to speak (espeak-ng skips the spaces), so the test stays quick.
        const text = `This text is long. ${" ".repeat(3000)} It took the task path.`;
        await put(s3(), bucket(), "text/long.txt", text);
        await lab.audio!.lab.idle();
        const started = logs.entries.find((e) => e.event === "speech.task_started" && e.key === "text/long.txt");
        assert.ok(started, "the core started a task");
        const done = logs.entries.find((e) => e.event === "polly.task_completed" && e.taskId === started.taskId);
        assert.ok(done, "the local Polly finished the task");
        assert.match(String(done.key), new RegExp(`^audio/long\\.${started.taskId}\\.mp3$`));
        const res = await fetch(`${lab.url}/audio-lab/${done.key}`);
        assert.equal(res.status, 200);
        assert.ok(mpegAudio(new Uint8Array(await res.arrayBuffer())).seconds > 1);
        assert.equal((await fetch(`${lab.url}/audio-lab/audio/long.mp3`)).status, 404, "no synchronous MP3");
    });

    it("the page uploads a text and plays its MP3 in Chromium; the directory page links it", async function () {
        let browser: Browser | undefined;
        try {
            browser = await launchChromium(this, ["--autoplay-policy=no-user-gesture-required"]);
            if (!browser) return;
            const page = await browser.newPage();
            await page.goto(`${lab.url}/`);
            const link = page.locator("#audio-link");
            await link.waitFor({ state: "visible" });
            await link.click();
            await page.waitForURL(`${lab.url}/audio.html`);

            await page.fill("#name", "from-the-page");
            await page.fill("#text", "A sentence typed on the page, spoken on this machine.");
            await page.click("#submit");
            await page.waitForFunction(() =>
                /Uploaded text\/from-the-page\.txt/.test(document.querySelector("#status")?.textContent ?? ""),
            );
            const player = page.locator('li[data-key="audio/from-the-page.mp3"] audio');
            await player.waitFor({ state: "attached", timeout: 90_000 });
            const duration = await player.evaluate(
                (audio: HTMLAudioElement) =>
                    new Promise<number>((resolve, reject) => {
                        if (audio.readyState >= 1) return resolve(audio.duration);
                        audio.addEventListener("loadedmetadata", () => resolve(audio.duration));
                        audio.addEventListener("error", () =>
                            reject(new Error(`the audio element failed: ${audio.error?.code} ${audio.error?.message}`)),
                        );
                        audio.load();
                    }),
            );
            assert.ok(duration > 0.5, `the audio element loads ${duration} s`);
            assert.ok(await page.locator('li[data-key="audio/welcome.mp3"] audio').count(), "the seed MP3 is listed too");

            const refused = await page.evaluate(
                async () =>
                    (await fetch("local/audio/texts", { method: "POST", body: JSON.stringify({ name: "../x", text: "t" }) })).status,
            );
            assert.equal(refused, 400, "a bad name is refused");

            await page.fill("#name", "blank");
            await page.fill("#text", "   ");
            await page.click("#submit");
            await page.waitForFunction(() =>
                /The text is empty \(only whitespace\): nothing was uploaded/.test(document.querySelector("#status")?.textContent ?? ""),
            );
            await put(s3(), bucket(), "text/page-latin1.txt", Buffer.from([0x63, 0x61, 0x66, 0xe9]));
            const failed = page.locator('li[data-failed="text/page-latin1.txt"]');
            await failed.waitFor({ state: "visible", timeout: 30_000 });
            assert.equal(await failed.textContent(), "text/page-latin1.txt was not spoken: it is not UTF-8 text");
        } finally {
            await browser?.close();
        }
    });
});

describe("audio lab pieces", () => {
    it("loads espeak-ng (GPL) and lamejs (LGPL) only from the local synthesizer, never into a Lambda bundle", () => {
        const loads = /(?:require(?:\.resolve)?\(|from\s|import\()\s*["'](?:espeak-ng|@breezystack\/lamejs)["']/;
        const files = ["functions", "stacks", "local", "scripts"].flatMap((dir) =>
            fs
                .readdirSync(path.join(ROOT, dir), { recursive: true })
                .map((f) => path.join(dir, String(f)))
                .filter((f) => /\.[jt]s$/.test(f)),
        );
        const loaders = files.filter((f) => loads.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
        assert.deepEqual(loaders, [path.join("local", "synthesizer.ts")]);
        for (const entry of functionEntries()) {
            const code = bundle(entry).code;
            assert.doesNotMatch(code, /espeak|lamejs|Mp3Encoder/i, entry);
        }
    });

    it("refuses what Polly refuses, with Polly's errors: unknown voice, engine the voice lacks, text over the limit", async () => {
        const synthesizer = createSynthesizer();
        const polly = createLocalPolly({ synthesizer, s3: new S3Client({ region: "us-east-1" }) });
        const speak = (VoiceId: string, Engine: string, Text = "Hello.") =>
            polly.client
                .send(new SynthesizeSpeechCommand({ Text, OutputFormat: "mp3", VoiceId: VoiceId as never, Engine: Engine as never }))
                .then(
                    () => "accepted",
                    (error: Error) => `${error.name}: ${error.message}`,
                );
        try {
            assert.match(await speak("Nobody", "standard"), /^ValidationException: VoiceId Nobody is not one of /);
            assert.equal(await speak("Celine", "neural"), "EngineNotSupportedException: Celine does not support the neural engine");
            assert.match(await speak("Joanna", "standard", "a".repeat(3001)), /^TextLengthExceededException/);
            const task = await polly.client
                .send(
                    new StartSpeechSynthesisTaskCommand({
                        Text: "a".repeat(100_001),
                        OutputFormat: "mp3",
                        VoiceId: "Joanna",
                        OutputS3BucketName: "b",
                    }),
                )
                .catch((error: Error) => error.name);
            assert.equal(task, "TextLengthExceededException");
        } finally {
            polly.client.destroy();
            await synthesizer.close();
        }
    });

    it("maps every Polly voice the stacks accept to an espeak-ng voice of its language", () => {
        assert.deepEqual(Object.keys(LOCAL_VOICES).sort(), Object.keys(POLLY_VOICES).sort());
        assert.equal(espeakVoiceFor("Joanna"), "en-us+f3");
        assert.equal(espeakVoiceFor("Matthew"), "en-us+m3");
        assert.equal(espeakVoiceFor("Brian"), "en-gb+m3");
        assert.equal(espeakVoiceFor("Lea"), "fr-fr+f3");
        assert.equal(espeakVoiceFor("Takumi"), "ja+m3");
        assert.equal(espeakVoiceFor("toString"), undefined);
    });

    it("splits long texts at sentence ends into pieces espeak-ng's fixed heap can hold", () => {
        const text = Array.from({ length: 100 }, (_, i) => `Sentence number ${i} is here.`).join(" ");
        const chunks = chunkText(text, 200);
        assert.ok(
            chunks.every((c) => c.length <= 200 && c.endsWith(".")),
            chunks.join("|"),
        );
        assert.equal(chunks.join(" "), text);
        assert.deepEqual(
            chunkText("x".repeat(450), 200).map((c) => c.length),
            [200, 200, 50],
        );
    });

    it("passes on only what S3's notification filter would, with S3-encoded keys", () => {
        const record = (eventName: string, bucketName: string, key: string) => ({
            eventName,
            s3: { bucket: { name: bucketName }, object: { key } },
        });
        const event = {
            Records: [
                record("ObjectCreated:Put", "audio-lab", "text/a b.txt"),
                record("ObjectRemoved:Delete", "audio-lab", "text/gone.txt"),
                record("ObjectCreated:Put", "directory-data", "text/other.txt"),
                record("ObjectCreated:Put", "audio-lab", "audio/x.txt"),
                record("ObjectCreated:Put", "audio-lab", "text/upper.TXT"),
            ],
        } as never;
        assert.deepEqual(
            notificationRecords(event, "audio-lab").map((r) => r.s3.object.key),
            ["text/a+b.txt"],
        );
    });
});

/** A synthesizer that holds every text until released, then answers a tiny MP3: a speech worker kept busy. */
function heldSynthesizer(): Synthesizer & { started: Promise<void>; release(): void } {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const startedP = new Promise<void>((resolve) => (started = resolve));
    return {
        started: startedP,
        release,
        speak: async () => {
            started();
            await released;
            return Buffer.from([0xff, 0xfb, 0x90, 0x00]);
        },
        close: async () => release(),
    };
}

describe("audio lab and verify's audio step: nothing outlives its text", function () {
    this.timeout(60_000);
    let s3: Awaited<ReturnType<typeof startTestS3>>;
    let lab: RunningAudioLab;
    let synthesizer: ReturnType<typeof heldSynthesizer>;
    const logs = memoryLogger();

    beforeEach(async () => {
        s3 = await startTestS3("unused");
        synthesizer = heldSynthesizer();
        lab = await startAudioLab({ s3, seedTexts: [], logger: logs, synthesizer });
    });
    afterEach(async () => {
        synthesizer.release();
        await lab.close();
        await s3.close();
    });

    const context = (extra: Partial<VerifyContext>) => verifyContext(s3.client, { local: true, ...extra });
    const outputs = () => ({ audioBucket: lab.bucket, audioUrlPattern: "http://127.0.0.1:9/audio-lab/audio/<name>.mp3" });
    const keys = async () => ((await s3.client.send(new ListObjectsV2Command({ Bucket: lab.bucket }))).Contents ?? []).map((o) => o.Key);

    for (const how of ["the speech worker is busy beyond the step's wait", "Ctrl-C comes during the step"]) {
        it(`when ${how}, the clean-up claims only what it deleted and the late MP3 is deleted when it is written`, async () => {
            const controller = new AbortController();
            const ctrlC = how.startsWith("Ctrl-C");
            if (ctrlC) void synthesizer.started.then(() => controller.abort());
            const run = await verify(outputs(), context({ audioWaitMs: ctrlC ? 60_000 : 300, signal: controller.signal }), true);
            assert.equal(run.interrupted, ctrlC);
            const cleanUp = run.results.find((r) => r.name === "lab step: clean up")!;
            assert.ok(cleanUp.ok, cleanUp.detail);
            assert.match(
                cleanUp.detail,
                /^deleted text\/verify-(\w+)\.txt; audio\/verify-\1\.mp3 not there: the lab deletes audio\/verify-\1\.mp3 if a speech of the text still writes it$/,
            );
            assert.deepEqual(await keys(), [], "nothing left as the step ends");

            synthesizer.release(); // the speech of the text now runs to its end and writes the MP3
            await lab.idle();
            assert.deepEqual(await keys(), [], "no verify-* object once the speech has run");
            const deleted = logs.entries.find((e) => e.event === "audio.orphan_deleted");
            assert.match(String(deleted?.key), /^audio\/verify-\w+\.mp3$/);
        });
    }

    it("a long text's MP3, written by its task after the text was deleted, is deleted too", async () => {
        await put(s3.client, lab.bucket, "text/long-gone.txt", `${"Long text. ".repeat(400)}`);
        await synthesizer.started;
        await s3.client.send(
            new (await import("@aws-sdk/client-s3")).DeleteObjectCommand({ Bucket: lab.bucket, Key: "text/long-gone.txt" }),
        );
        synthesizer.release();
        await lab.idle();
        assert.ok(logs.entries.some((e) => e.event === "polly.task_completed" && /^audio\/long-gone\.[\w-]+\.mp3$/.test(String(e.key))));
        assert.deepEqual(await keys(), []);
    });
});

describe("audio lab: a short text does not wait behind a long one", function () {
    this.timeout(240_000);

    it("speaks a sentence put right after a 100,000-character text within 15 s (one worker, short texts first)", async () => {
        const s3 = await startTestS3("unused");
        const logs = memoryLogger();
        const lab = await startAudioLab({ s3, seedTexts: [], logger: logs });
        try {
            const sentence = "The quick brown fox jumps over the lazy dog near the river bank. ";
            const long = sentence.repeat(Math.floor(TASK_CHAR_LIMIT / sentence.length)).trim();
            assert.ok(long.length > 99_000 && long.length <= TASK_CHAR_LIMIT);
            await put(s3.client, lab.bucket, "text/long.txt", long);
            await waitFor(
                "the long text's task",
                async () => logs.entries.find((e) => e.event === "speech.task_started") ?? undefined,
                30_000,
            );
            const putAt = Date.now();
            await put(s3.client, lab.bucket, "text/short.txt", "A short sentence, spoken next.");
            await waitFor(
                "the short text's MP3",
                async () => {
                    try {
                        return await s3.client.send(new HeadObjectCommand({ Bucket: lab.bucket, Key: "audio/short.mp3" }));
                    } catch {
                        return undefined;
                    }
                },
                15_000,
            );
            const ms = Date.now() - putAt;
            assert.ok(ms < 15_000, `the short text's MP3 came ${ms} ms after its upload`);
            assert.ok(!logs.entries.some((e) => e.event === "polly.task_completed"), "the long text was still being spoken");
        } finally {
            await lab.close(); // stops the worker mid-text
            await s3.close();
        }
    });
});
