/**
 * The local lab's speech synthesizer: real speech as MP3 without AWS. espeak-ng's WebAssembly build (npm
 * `espeak-ng`, GPL-3.0-or-later) speaks the text to WAV, `@breezystack/lamejs` (LGPL-3.0) encodes it to MP3.
 *
 * Both are loaded only here, inside a worker thread this module starts, so the lab's HTTP server stays responsive
 * while a long text is spoken, and no Lambda bundle (functions/**) ever contains them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/** How a Polly voice is spoken locally: an espeak-ng voice of the same language, with a variant of its gender. */
export interface LocalVoice {
    /** espeak-ng voice name, e.g. "en-us". */
    language: string;
    gender: "female" | "male";
}

const F = "female" as const;
const M = "male" as const;

/**
 * Every Polly voice this project accepts (stacks/polly-voices.ts), mapped to the espeak-ng voice of its language.
 * espeak-ng has no Australian or Indian English: those voices speak British English.
 */
export const LOCAL_VOICES: Record<string, LocalVoice> = {
    // English (US)
    Danielle: { language: "en-us", gender: F },
    Gregory: { language: "en-us", gender: M },
    Ivy: { language: "en-us", gender: F },
    Joanna: { language: "en-us", gender: F },
    Joey: { language: "en-us", gender: M },
    Justin: { language: "en-us", gender: M },
    Kendra: { language: "en-us", gender: F },
    Kevin: { language: "en-us", gender: M },
    Kimberly: { language: "en-us", gender: F },
    Matthew: { language: "en-us", gender: M },
    Ruth: { language: "en-us", gender: F },
    Salli: { language: "en-us", gender: F },
    Stephen: { language: "en-us", gender: M },
    // English (British, Australian, Indian)
    Amy: { language: "en-gb", gender: F },
    Arthur: { language: "en-gb", gender: M },
    Brian: { language: "en-gb", gender: M },
    Emma: { language: "en-gb", gender: F },
    Nicole: { language: "en-gb", gender: F },
    Olivia: { language: "en-gb", gender: F },
    Russell: { language: "en-gb", gender: M },
    Aditi: { language: "en-gb", gender: F },
    Raveena: { language: "en-gb", gender: F },
    Kajal: { language: "en-gb", gender: F },
    // French, German, Spanish, Italian, Portuguese (Brazil), Japanese
    Celine: { language: "fr-fr", gender: F },
    Lea: { language: "fr-fr", gender: F },
    Mathieu: { language: "fr-fr", gender: M },
    Hans: { language: "de", gender: M },
    Marlene: { language: "de", gender: F },
    Vicki: { language: "de", gender: F },
    Daniel: { language: "de", gender: M },
    Conchita: { language: "es", gender: F },
    Enrique: { language: "es", gender: M },
    Lucia: { language: "es", gender: F },
    Sergio: { language: "es", gender: M },
    Carla: { language: "it", gender: F },
    Bianca: { language: "it", gender: F },
    Giorgio: { language: "it", gender: M },
    Adriano: { language: "it", gender: M },
    Camila: { language: "pt-br", gender: F },
    Vitoria: { language: "pt-br", gender: F },
    Ricardo: { language: "pt-br", gender: M },
    Mizuki: { language: "ja", gender: F },
    Takumi: { language: "ja", gender: M },
    Kazuha: { language: "ja", gender: F },
    Tomoko: { language: "ja", gender: F },
};

/** The espeak-ng voice argument for a Polly voice, e.g. Joanna → "en-us+f3"; undefined for a voice not in the map. */
export function espeakVoiceFor(pollyVoice: string): string | undefined {
    const voice = Object.prototype.hasOwnProperty.call(LOCAL_VOICES, pollyVoice) ? LOCAL_VOICES[pollyVoice] : undefined;
    return voice && `${voice.language}+${voice.gender === "female" ? "f3" : "m3"}`;
}

/** Sample rate of espeak-ng's output, kept in the MP3 (what Polly's MP3s use by default too). */
export const SAMPLE_RATE = 22050;
/** MP3 bit rate in kbit/s: plenty for one voice. */
export const MP3_KBPS = 48;
/** Longest piece of text spoken at once: espeak-ng's WebAssembly heap is fixed at 32 MB, holding the WAV. */
export const CHUNK_CHARS = 1000;

/** Splits a text into pieces of at most `max` characters, at sentence ends, else spaces, else anywhere. */
export function chunkText(text: string, max = CHUNK_CHARS): string[] {
    const chunks: string[] = [];
    let rest = text.trim();
    while (rest.length > max) {
        const window = rest.slice(0, max);
        let cut = Math.max(window.lastIndexOf(". "), window.lastIndexOf("! "), window.lastIndexOf("? "), window.lastIndexOf("\n"));
        if (cut < max / 2) cut = window.lastIndexOf(" ");
        if (cut <= 0) cut = max - 1;
        chunks.push(rest.slice(0, cut + 1).trim());
        rest = rest.slice(cut + 1).trim();
    }
    if (rest) chunks.push(rest);
    return chunks;
}

export interface Synthesizer {
    /** Speaks a text with an espeak-ng voice (see {@link espeakVoiceFor}); resolves with the MP3 bytes. */
    speak(text: string, espeakVoice: string): Promise<Buffer>;
    /** Stops the worker; texts still waiting are rejected. */
    close(): Promise<void>;
}

// The worker's code. It is CommonJS run by `new Worker(code, { eval: true })`; espeak-ng and lamejs are ES modules,
// imported by file URL. espeak-ng's 18 MB WebAssembly module is compiled once and instantiated per chunk (its CLI
// `main` runs once per instance). The text goes through a file (-f), so text starting with "-" is never an option.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
(async () => {
    const { default: ESpeakNg } = await import(workerData.espeakUrl);
    const lame = await import(workerData.lameUrl);
    const wasm = await WebAssembly.compile(fs.readFileSync(workerData.wasmFile));
    const instantiateWasm = (imports, done) => {
        WebAssembly.instantiate(wasm, imports).then((instance) => done(instance, wasm));
        return {};
    };
    async function wav(text, voice) {
        const errors = [];
        const options = {
            arguments: ["-v", voice, "-w", "/out.wav", "-f", "/in.txt"],
            instantiateWasm,
            preRun: [() => options.FS.writeFile("/in.txt", text)],
            print: () => {},
            printErr: (line) => { if (!/^program exited/.test(line)) errors.push(line.replace(/^Error: /, "")); },
            quit: () => {},
        };
        const espeak = await ESpeakNg(options);
        let bytes;
        try {
            bytes = espeak.FS.readFile("/out.wav");
        } catch {
            throw new Error("espeak-ng wrote no audio" + (errors.length ? ": " + errors.join(" ") : ""));
        }
        // The WAV header is 44 bytes: 16-bit mono PCM follows.
        return new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length - ((bytes.length - 44) % 2)));
    }
    // One chunk a message: the parent chooses which text's next chunk comes, so a short text never waits behind a
    // long one. Each text keeps its own encoder here until its last chunk.
    const encoders = new Map();
    parentPort.on("message", async ({ id, chunk, voice, last }) => {
        try {
            let job = encoders.get(id);
            if (!job) encoders.set(id, (job = { encoder: new lame.Mp3Encoder(1, workerData.sampleRate, workerData.kbps), parts: [] }));
            if (chunk) {
                const pcm = await wav(chunk, voice);
                for (let i = 0; i < pcm.length; i += 1152 * 16) job.parts.push(job.encoder.encodeBuffer(pcm.subarray(i, i + 1152 * 16)));
            }
            if (!last) return parentPort.postMessage({ id, spoken: true });
            job.parts.push(job.encoder.flush());
            encoders.delete(id);
            const mp3 = Buffer.concat(job.parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.length)));
            parentPort.postMessage({ id, mp3 });
        } catch (error) {
            encoders.delete(id);
            parentPort.postMessage({ id, error: String(error && error.message || error) });
        }
    });
    parentPort.postMessage({ ready: true });
})().catch((error) => parentPort.postMessage({ failed: String(error && error.stack || error) }));
`;

/** Where the two packages' ES module entry points are, resolved without loading them. */
function modulePaths() {
    const espeakJs = require.resolve("espeak-ng");
    // lamejs's "require" export is an IIFE that exports nothing under CommonJS; its ES module sits beside it.
    const lameJs = path.join(path.dirname(require.resolve("@breezystack/lamejs")), "lamejs.js");
    const wasmFile = path.join(path.dirname(espeakJs), "espeak-ng.wasm");
    for (const file of [espeakJs, lameJs, wasmFile]) {
        if (!fs.existsSync(file)) throw new Error(`The local synthesizer needs ${file}: run npm ci`);
    }
    return { espeakUrl: pathToFileURL(espeakJs).href, lameUrl: pathToFileURL(lameJs).href, wasmFile };
}

/** A text being spoken: its chunks, how many were sent, and its caller's promise. */
interface Job {
    id: number;
    chunks: string[];
    sent: number;
    /** Characters not yet sent to the worker: the shortest rest goes next. */
    rest: number;
    voice: string;
    resolve(mp3: Buffer): void;
    reject(error: Error): void;
}

/**
 * Starts the synthesizer's worker lazily, on the first text. One worker speaks one chunk (up to CHUNK_CHARS
 * characters, about a second of work) at a time, and the text with the fewest characters left goes next: a
 * sentence typed while a 100,000-character text is spoken waits for one chunk, not for the whole text, and the
 * machine's other core stays free for the lab's servers.
 */
export function createSynthesizer(): Synthesizer {
    let worker: Worker | undefined;
    let ready: Promise<void> | undefined;
    let closed = false;
    let nextId = 0;
    const jobs = new Map<number, Job>();
    /** The job whose chunk the worker is speaking. */
    let busy: number | undefined;

    const failAll = (error: Error) => {
        for (const job of jobs.values()) job.reject(error);
        jobs.clear();
        busy = undefined;
    };
    const next = () => {
        if (busy !== undefined || !worker || closed) return;
        let job: Job | undefined;
        for (const j of jobs.values()) if (!job || j.rest < job.rest) job = j; // ties: the older (Map order)
        if (!job) return;
        const chunk = job.chunks[job.sent] ?? "";
        job.sent++;
        job.rest -= chunk.length;
        busy = job.id;
        worker.postMessage({ id: job.id, chunk, voice: job.voice, last: job.sent >= job.chunks.length });
    };
    const start = (): Promise<void> => {
        ready ??= new Promise<void>((resolve, reject) => {
            worker = new Worker(WORKER, {
                eval: true,
                workerData: { ...modulePaths(), sampleRate: SAMPLE_RATE, kbps: MP3_KBPS },
                // The worker must not be started with the parent's --require ts-node hooks or --inspect.
                execArgv: [],
            });
            worker.on(
                "message",
                (message: { ready?: boolean; failed?: string; id?: number; spoken?: boolean; mp3?: Uint8Array; error?: string }) => {
                    if (message.ready) {
                        resolve();
                        return next();
                    }
                    if (message.failed) {
                        const error = new Error(`the local synthesizer could not start: ${message.failed}`);
                        failAll(error);
                        return reject(error);
                    }
                    busy = undefined;
                    const job = jobs.get(message.id!);
                    if (job && !message.spoken) {
                        jobs.delete(job.id);
                        if (message.error !== undefined) job.reject(new Error(message.error));
                        else job.resolve(Buffer.from(message.mp3!.buffer, message.mp3!.byteOffset, message.mp3!.length));
                    }
                    next();
                },
            );
            worker.on("error", (error) => {
                failAll(error);
                reject(error);
            });
            worker.on("exit", () => {
                const error = new Error(closed ? "the lab stopped before the text was spoken" : "the local synthesizer stopped");
                failAll(error);
                reject(error);
                worker = undefined;
                ready = undefined;
            });
        });
        return ready;
    };

    return {
        speak(text, espeakVoice) {
            if (closed) return Promise.reject(new Error("the local synthesizer is closed"));
            return new Promise<Buffer>((resolve, reject) => {
                const chunks = chunkText(text);
                const id = nextId++;
                jobs.set(id, { id, chunks, sent: 0, rest: chunks.reduce((n, c) => n + c.length, 0), voice: espeakVoice, resolve, reject });
                start().then(next, (error: Error) => failAll(error));
            });
        },
        async close() {
            closed = true;
            if (worker) await worker.terminate();
            failAll(new Error("the lab stopped before the text was spoken"));
        },
    };
}
