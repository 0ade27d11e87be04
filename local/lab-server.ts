/**
 * The employee-directory lab on one machine: an S3-compatible server holding the data bucket, and one HTTP server
 * that serves the website and the API, calling the same handler cores the Lambdas run.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createHandler as createDirectoryHandler, MAX_OBJECT_BYTES, parseUsers } from "../functions/directory/core";
import { createHandler as createHelloHandler } from "../functions/hello/core";
import type { HttpHandler } from "../functions/shared/http";
import { consoleLogger, type Logger } from "../functions/shared/log";
import { contentTypeOf } from "../stacks/content-type";
import { SEED_DIR, SITE_DIR, seedFiles, siteConfigScript } from "../stacks/directory-files";
import { LAB_NAMES, type LabName } from "../stacks/lab-names";
import { AUDIO_PREFIX } from "../functions/speech/keys";
import { toEvent, writeResult } from "./api-gateway";
import type { LabOutputs } from "../shared/lab-state";
import type { RunningAudioLab } from "./audio-lab";
import type { RunningHttpd } from "./httpd";
import { servePublicObject, type PublicBucket } from "./public-bucket";
import { LISTEN_BACKLOG, startLocalS3, type LocalS3 } from "../shared/local-s3";
import type { RunningSignupLab } from "./signup-lab";
import { Supervisor } from "./supervisor";

export const LOCAL_BUCKET = "directory-data";

export interface LabOptions {
    /** Folder for the lab's state; S3 objects live in `<labDir>/s3` and survive restarts. */
    labDir: string;
    /** HTTP port of the website and API. @default 3000 (0 = any free port) */
    port?: number;
    /** Port of the S3 server. @default 0 (any free port) */
    s3Port?: number;
    /** Start from the seed again: remove the stored objects first. @default false */
    reset?: boolean;
    /** Where the users_*.json seed files are. @default data/ */
    seedDir?: string;
    /** Key prefix of the data files. @default "users" */
    prefix?: string;
    /** One line per API request and lifecycle event. @default console.log */
    log?: (line: string) => void;
    /** Structured logs of the handlers. @default console JSON */
    logger?: Logger;
    /** Labs to run. @default every lab: directory, hello, audio, webService */
    labs?: readonly LabName[];
    /** Audio lab: the Polly voice, spoken by the espeak-ng voice of its language. @default "Joanna" */
    voice?: string;
    /** Web-service lab: httpd's loopback port (`npm start` passes 8081). @default 0 (any free port) */
    webPort?: number;
    /** Web-service lab: the apache2 binary. @default "/usr/sbin/apache2" */
    apache?: string;
    /** Sign-up lab: false runs the consumer without DynamoDB write permission (the lab's exercise). @default true */
    signupConsumerCanWrite?: boolean;
    /** Sign-up lab: port of the local DynamoDB endpoint (dynalite). @default 0 (any free port) */
    dynamodbPort?: number;
}

/** The audio lab's addresses on the lab's HTTP server. */
export interface RunningAudio {
    lab: RunningAudioLab;
    pageUrl: string;
    /** `<url>/<bucket>/audio/<name>.mp3`, the stack output's `<name>` placeholder kept. */
    audioUrlPattern: string;
    /** The first seed text's MP3 (it appears once synthesized, in the background). */
    seedAudioUrl?: string;
}

export interface RunningLab {
    url: string;
    apiUrl: string;
    s3Endpoint: string;
    bucket: string;
    port: number;
    /** True when this start created the bucket and uploaded the seed. */
    seeded: boolean;
    /** The labs running (a lab that could not start is left out and explained in `notices`). */
    labs: LabName[];
    audio?: RunningAudio;
    /** The web-service lab's httpd. */
    webService?: RunningHttpd;
    /** The sign-up lab: its queues, local DynamoDB and consumer. */
    signup?: RunningSignupLab;
    /** Why a lab asked for is not running (e.g. apache2 missing), with what to do. */
    notices: string[];
    /** The stack outputs of the labs that run, named as the stack's (websiteUrl, apiUrl, …, serviceUrl). */
    outputs: LabOutputs;
    close(): Promise<void>;
}

/** A seed file that cannot be used: start-up stops, naming the file and the reason. */
export class SeedError extends Error {
    constructor(file: string, reason: string) {
        super(`Seed file ${file} ${reason}`);
        this.name = "SeedError";
    }
}

/** Reads and checks every seed file before anything starts, so a bad file never half-starts the lab. */
export function readSeedFiles(seedDir: string): { key: string; body: string }[] {
    let names: string[];
    try {
        names = seedFiles(seedDir);
    } catch (error) {
        throw new SeedError(seedDir, `cannot be read: ${(error as Error).message}`);
    }
    if (names.length === 0) throw new SeedError(seedDir, "holds no users_*.json file");
    return names.map((name) => {
        const file = path.join(seedDir, name);
        let body: string;
        try {
            const { size } = fs.statSync(file);
            if (size > MAX_OBJECT_BYTES) {
                throw new SeedError(
                    file,
                    `is ${size} bytes, more than the directory function's ${MAX_OBJECT_BYTES}-byte (5 MB) limit per file`,
                );
            }
            body = fs.readFileSync(file, "utf8");
        } catch (error) {
            if (error instanceof SeedError) throw error;
            throw new SeedError(file, `cannot be read: ${(error as Error).message}`);
        }
        try {
            parseUsers(body);
        } catch (error) {
            throw new SeedError(file, (error as Error).message);
        }
        return { key: name, body };
    });
}

export async function startLab(options: LabOptions): Promise<RunningLab> {
    const log = options.log ?? ((line: string) => console.log(line));
    const labs = new Set<LabName>(options.labs ?? LAB_NAMES);
    const s3Dir = path.join(options.labDir, "s3");
    const seeds = labs.has("directory") ? readSeedFiles(options.seedDir ?? SEED_DIR) : [];
    if (options.reset) fs.rmSync(s3Dir, { recursive: true, force: true });
    fs.mkdirSync(s3Dir, { recursive: true });
    // Every part is registered here as it starts: one close() stops them, on a failed start as on Ctrl-C.
    const supervisor = new Supervisor();

    // httpd starts alongside the rest; when it cannot (no apache2, a bad --apache, httpd failing) the other labs
    // run and the lab says why.
    const notices: string[] = [];
    const httpd = labs.has("webService")
        ? import("./httpd").then(({ HttpdNotStartedError, startHttpd }) =>
              startHttpd({ apache: options.apache, port: options.webPort ?? 0, logDir: path.join(options.labDir, "httpd") }).catch(
                  (error) => {
                      if (!(error instanceof HttpdNotStartedError)) throw error;
                      labs.delete("webService");
                      notices.push(`Web service lab not started: ${error.message}. The other labs run without it.`);
                      return undefined;
                  },
              ),
          )
        : Promise.resolve(undefined);
    void httpd.catch(() => undefined); // awaited below; a failure must not surface as an unhandled rejection first
    supervisor.add("httpd", async () => (await httpd.catch(() => undefined))?.close());
    try {
        const s3 = await listenOrExplain(() => startLocalS3({ directory: s3Dir, port: options.s3Port ?? 0 }), options.s3Port, "--s3-port");
        supervisor.add("S3 server", () => s3.close());
        const seeded = labs.has("directory") ? await ensureBucket(s3, seeds) : false;
        // Loaded only when they run: they add to start-up time.
        const audio = labs.has("audio")
            ? await (await import("./audio-lab")).startAudioLab({ s3, voice: options.voice, logger: options.logger })
            : undefined;
        if (audio) supervisor.add("audio lab", () => audio.close());
        const signup = labs.has("signup")
            ? await (
                  await import("./signup-lab")
              ).startSignupLab({
                  consumerCanWrite: options.signupConsumerCanWrite,
                  dynamodbPort: options.dynamodbPort,
                  logger: options.logger,
              })
            : undefined;
        if (signup) supervisor.add("sign-up lab", () => signup.close());
        const routes: Record<string, HttpHandler> = {};
        if (labs.has("directory")) {
            routes["GET /users"] = createDirectoryHandler({
                s3: s3.client,
                bucket: LOCAL_BUCKET,
                prefix: options.prefix,
                logger: options.logger,
            });
        }
        if (labs.has("hello")) routes["GET /hello"] = createHelloHandler();
        const site = { directory: labs.has("directory"), audioPage: audio ? "audio.html" : undefined };
        const publicBucket = audio ? { s3: s3.client, bucket: audio.bucket, publicPrefix: AUDIO_PREFIX } : undefined;
        const server = http.createServer((req, res) => {
            handle(req, res, routes, log, site, audio, publicBucket, signup).catch((error) => {
                (options.logger ?? consoleLogger).error("local.request_failed", { error: String(error) });
                if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
                res.end(JSON.stringify({ message: "Internal Server Error" }));
            });
        });
        supervisor.add("lab server", () => closeServer(server));
        const port = await listenOrExplain(() => listen(server, options.port ?? 3000), options.port, "--port");
        const url = `http://127.0.0.1:${port}`;
        const webService = await httpd;
        if (webService?.reaped.length) notices.push(`Before starting httpd: ${webService.reaped.join("; ")}.`);
        if (webService) {
            supervisor.watch(webService.exitedUnexpectedly, (why) => {
                labs.delete("webService");
                log(
                    `\nWeb service lab stopped: ${why}\nThe other labs keep running; start the lab again (Ctrl-C, npm start) to get the web service back.`,
                );
            });
        }
        const outputs: LabOutputs = {};
        if (labs.has("directory")) Object.assign(outputs, { websiteUrl: url, apiUrl: url, dataBucket: LOCAL_BUCKET });
        if (labs.has("hello")) outputs.helloWorldApi = `${url}/hello`;
        let running: RunningAudio | undefined;
        if (audio) {
            running = {
                lab: audio,
                pageUrl: `${url}/audio.html`,
                audioUrlPattern: `${url}/${audio.bucket}/audio/<name>.mp3`,
                seedAudioUrl: audio.seedKeys.length > 0 ? url + audio.audioPath(audio.seedKeys[0]) : undefined,
            };
            outputs.audioBucket = audio.bucket;
            outputs.audioUrlPattern = running.audioUrlPattern;
            if (running.seedAudioUrl) outputs.seedAudioUrl = running.seedAudioUrl;
        }
        if (webService) outputs.serviceUrl = webService.url;
        if (signup) {
            Object.assign(outputs, {
                signupWebsiteUrl: `${url}/signup/`,
                signupApiUrl: url,
                signupTableName: signup.tableName,
                signupQueueUrl: `${url}/local/signup/queues/${signup.queue.name}`,
                signupDeadLetterQueueUrl: `${url}/local/signup/queues/${signup.deadLetterQueue.name}`,
                dynamodbEndpoint: signup.dynamodb.endpoint,
            });
        }
        // Seeding speaks in the background, once everything listens.
        audio?.seed();
        return {
            url,
            apiUrl: url,
            s3Endpoint: s3.endpoint,
            bucket: LOCAL_BUCKET,
            port,
            seeded,
            labs: LAB_NAMES.filter((name) => labs.has(name)),
            audio: running,
            webService,
            signup,
            notices,
            outputs,
            close: () => supervisor.close(),
        };
    } catch (error) {
        await supervisor.close().catch(() => undefined); // the start's own error is the one to report
        throw error;
    }
}

/** Stops accepting connections and ends the open ones (a browser's keep-alive would hold close() for seconds). */
function closeServer(server: http.Server): Promise<void> {
    if (!server.listening) return Promise.resolve();
    return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
    });
}

async function ensureBucket(s3: LocalS3, seeds: { key: string; body: string }[]): Promise<boolean> {
    try {
        await s3.client.send(new HeadBucketCommand({ Bucket: LOCAL_BUCKET }));
        return false;
    } catch {
        await s3.client.send(new CreateBucketCommand({ Bucket: LOCAL_BUCKET }));
        for (const { key, body } of seeds) {
            await s3.client.send(new PutObjectCommand({ Bucket: LOCAL_BUCKET, Key: key, Body: body, ContentType: "application/json" }));
        }
        return true;
    }
}

interface SiteOptions {
    /** Serve the directory lab's website. */
    directory: boolean;
    /** The audio page's path, for the website's header link. */
    audioPage?: string;
}

async function handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    routes: Record<string, HttpHandler>,
    log: (line: string) => void,
    site: SiteOptions,
    audio: RunningAudioLab | undefined,
    publicBucket: PublicBucket | undefined,
    signup?: RunningSignupLab,
) {
    const started = process.hrtime.bigint();
    const headOnly = req.method === "HEAD";
    const rawPath = req.url ?? "/";
    // The audio bucket's objects, by the key as sent: S3 does not resolve "." or ".." in a key, so neither may URL
    // parsing here (it would serve audio/x.mp3 for audio/./x.mp3).
    const rawPathname = rawPath.split("?")[0];
    if (publicBucket && (rawPathname === `/${publicBucket.bucket}` || rawPathname.startsWith(`/${publicBucket.bucket}/`))) {
        await servePublicObject(req, res, rawPathname.slice(publicBucket.bucket.length + 2), publicBucket);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        log(`${req.method} ${rawPathname} ${res.statusCode} ${ms.toFixed(0)}ms`);
        return;
    }
    // The path as sent: resolved against a base, "//users" would read as a host name and leave "/".
    const pathname = rawPath.startsWith("/") ? new URL(`http://local${rawPath}`).pathname : undefined;
    if (pathname === undefined) {
        writeResult(res, { statusCode: 400, body: JSON.stringify({ message: "Bad Request: the path must start with /" }) }, headOnly);
        return;
    }
    if (audio && (await audio.handle(req, res, pathname))) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (!["/audio.html", "/audio.js", "/local/audio/mp3s"].includes(pathname))
            log(`${req.method} ${pathname} ${res.statusCode} ${ms.toFixed(0)}ms`);
        return;
    }
    if (signup && (await signup.handle(req, res, pathname))) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        // The page polls its state twice a second, and a surge sends thousands: only other requests are logged.
        if (!pathname.startsWith("/signup") && !pathname.startsWith("/local/"))
            log(`${req.method} ${pathname} ${res.statusCode} ${ms.toFixed(0)}ms`);
        return;
    }
    // HEAD is answered as GET without the body, as API Gateway and S3 do.
    const routeKey = `${headOnly ? "GET" : req.method} ${pathname}`;
    const handler = routes[routeKey];
    if (handler) {
        let result;
        try {
            result = await handler(toEvent(req, routeKey));
        } catch {
            // What API Gateway answers when the function itself fails.
            result = { statusCode: 500, body: JSON.stringify({ message: "Internal Server Error" }) };
        }
        writeResult(res, result, headOnly);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        log(`${req.method} ${pathname} ${result.statusCode ?? 200} ${ms.toFixed(0)}ms`);
        return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
        writeResult(res, { statusCode: 404, body: JSON.stringify({ message: "Not Found" }) });
        return;
    }
    let relative: string;
    try {
        relative = pathname === "/" ? "index.html" : decodeURIComponent(pathname.slice(1));
    } catch {
        send(res, 400, "text/plain; charset=utf-8", `Bad Request: ${pathname} is not a valid percent-encoded path\n`, headOnly);
        return;
    }
    serveSite(req, res, pathname, relative, site);
}

/** The website as the S3 website endpoint serves it, plus a config.js that points at this server's API. */
function serveSite(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, relative: string, site: SiteOptions): void {
    if (!site.directory && pathname !== "/style.css") {
        return send(
            res,
            404,
            "text/plain; charset=utf-8",
            "Not Found: the directory lab is not running (npm start -- --labs …)\n",
            req.method === "HEAD",
        );
    }
    if (pathname === "/config.js") {
        const origin = `http://${req.headers.host ?? "localhost"}`;
        const extra = site.audioPage ? { audioPage: site.audioPage } : {};
        return send(res, 200, contentTypeOf("config.js"), siteConfigScript(origin, extra), req.method === "HEAD");
    }
    const file = path.resolve(SITE_DIR, relative);
    if (file.startsWith(SITE_DIR + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) {
        return send(res, 200, contentTypeOf(file), fs.readFileSync(file), req.method === "HEAD");
    }
    send(res, 404, contentTypeOf("error.html"), fs.readFileSync(path.join(SITE_DIR, "error.html")), req.method === "HEAD");
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, headOnly: boolean): void {
    res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
    res.end(headOnly ? undefined : body);
}

/**
 * Listens on loopback with the local S3's backlog, not Node's 511: a surge opens a thousand connections at once
 * (npm run surge), and past the backlog the kernel drops the extra SYNs, which the clients resend only after a
 * second. API Gateway accepts them all.
 */
function listen(server: http.Server, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port, host: "127.0.0.1", backlog: LISTEN_BACKLOG }, () => {
            server.off("error", reject);
            resolve((server.address() as AddressInfo).port);
        });
    });
}

/** Turns EADDRINUSE into a message that names the port and the flag to change it. */
async function listenOrExplain<T>(start: () => Promise<T>, port: number | undefined, flag: string): Promise<T> {
    try {
        return await start();
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
            throw new Error(`Port ${port} is already in use: stop what is using it, or pick another with ${flag} <port>`);
        }
        throw error;
    }
}
