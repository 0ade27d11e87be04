/**
 * The audio lab's public MP3s, through the lab server, answer as S3 answers an anonymous GET or HEAD: the table's
 * right-hand side is what S3 answers (literals, not computed from the code under test).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { memoryLogger } from "../../functions/shared/log";
import { startLab, type RunningLab } from "../../local/lab-server";
import { localS3Client } from "../../shared/local-s3";
import { parseRange } from "../../local/public-bucket";

/** The object every row reads: 1,000 bytes, byte i is i % 251. */
const SIZE = 1000;
const BODY = Buffer.from(Array.from({ length: SIZE }, (_, i) => i % 251));
const KEY = "audio/table.mp3";

interface Row {
    /** What the caller sends. */
    path: string;
    method?: "GET" | "HEAD";
    headers?: Record<string, string>;
    /** What S3 answers. `body` is the bytes [from, to) of the object; `code` the XML error's Code. */
    s3: { status: number; contentRange?: string; body?: [number, number]; code?: string };
}

// `etag` is replaced by the object's ETag. A missing key is 404 NoSuchKey to a caller who may list the bucket; S3
// answers 403 AccessDenied instead to an anonymous caller of the cloud lab's bucket (its policy grants
// s3:GetObject on audio/* and no s3:ListBucket), and the local lab answers 404 (see docs/offline.md).
const TABLE: Row[] = [
    { path: KEY, s3: { status: 200, body: [0, 1000] } },
    { path: KEY, headers: { range: "bytes=0-99" }, s3: { status: 206, contentRange: "bytes 0-99/1000", body: [0, 100] } },
    { path: KEY, headers: { range: "bytes=-100" }, s3: { status: 206, contentRange: "bytes 900-999/1000", body: [900, 1000] } },
    { path: KEY, headers: { range: "bytes=900-" }, s3: { status: 206, contentRange: "bytes 900-999/1000", body: [900, 1000] } },
    { path: KEY, headers: { range: "bytes=990-5000" }, s3: { status: 206, contentRange: "bytes 990-999/1000", body: [990, 1000] } },
    { path: KEY, headers: { range: "bytes=1000-" }, s3: { status: 416, code: "InvalidRange" } },
    { path: KEY, headers: { range: "bytes=0-0,10-20" }, s3: { status: 200, body: [0, 1000] } },
    { path: KEY, headers: { range: "bytes=abc" }, s3: { status: 200, body: [0, 1000] } },
    { path: KEY, method: "HEAD", headers: { range: "bytes=-100" }, s3: { status: 206, contentRange: "bytes 900-999/1000", body: [0, 0] } },
    { path: KEY, headers: { "if-none-match": "etag" }, s3: { status: 304, body: [0, 0] } },
    { path: KEY, headers: { "if-none-match": '"0123456789abcdef0123456789abcdef"' }, s3: { status: 200, body: [0, 1000] } },
    { path: KEY, headers: { "if-match": '"0123456789abcdef0123456789abcdef"' }, s3: { status: 412, code: "PreconditionFailed" } },
    { path: "audio//table.mp3", s3: { status: 404, code: "NoSuchKey" } },
    { path: "audio/%00.mp3", s3: { status: 404, code: "NoSuchKey" } },
    { path: "audio/./table.mp3", s3: { status: 404, code: "NoSuchKey" } },
    { path: "audio/%2E/table.mp3", s3: { status: 404, code: "NoSuchKey" } },
    { path: "text/welcome.txt", s3: { status: 403, code: "AccessDenied" } },
];

describe("the audio lab's public objects answer as S3 does", function () {
    this.timeout(120_000);
    let lab: RunningLab;
    let labDir: string;
    let s3: S3Client;
    let etag: string;

    before(async () => {
        labDir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-public-"));
        lab = await startLab({ labDir, port: 0, labs: ["audio"], log: () => undefined, logger: memoryLogger() });
        s3 = localS3Client(lab.s3Endpoint);
        const put = await s3.send(new PutObjectCommand({ Bucket: "audio-lab", Key: KEY, Body: BODY, ContentType: "audio/mpeg" }));
        etag = put.ETag!;
    });
    after(async () => {
        s3?.destroy();
        await lab?.close();
        if (labDir) fs.rmSync(labDir, { recursive: true, force: true });
    });

    for (const row of TABLE) {
        const sent = Object.entries(row.headers ?? {})
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ");
        it(`${row.method ?? "GET"} /audio-lab/${row.path}${sent ? ` (${sent})` : ""} → ${row.s3.status}${row.s3.code ? ` ${row.s3.code}` : ""}`, async () => {
            const headers = Object.fromEntries(Object.entries(row.headers ?? {}).map(([k, v]) => [k, v === "etag" ? etag : v]));
            // fetch() would resolve "." segments and %2E itself: send the path as written, as curl --path-as-is does.
            const res = await rawRequest(`${lab.url}/audio-lab/${row.path}`, row.method ?? "GET", headers);
            assert.equal(res.status, row.s3.status, res.body.toString());
            if (row.s3.contentRange) assert.equal(res.headers["content-range"], row.s3.contentRange);
            else if (row.s3.status !== 416) assert.equal(res.headers["content-range"], undefined);
            if (row.s3.code) assert.match(res.body.toString(), new RegExp(`<Code>${row.s3.code}</Code>`));
            if (row.s3.body) {
                const [from, to] = row.s3.body;
                assert.deepEqual(res.body, BODY.subarray(from, to));
                if (row.method === "HEAD") assert.equal(res.headers["content-length"], "100");
            }
            if (row.s3.status === 200 || row.s3.status === 206 || row.s3.status === 304) assert.equal(res.headers.etag, etag);
        });
    }

    it("reads a Range header as S3 does: one range, a suffix, or ignored", () => {
        assert.deepEqual(parseRange("bytes=-100", 1000), { start: 900, end: 999 });
        assert.deepEqual(parseRange("bytes=-5000", 1000), { start: 0, end: 999 });
        assert.equal(parseRange("bytes=5-2", 1000), undefined);
        assert.equal(parseRange("items=0-1", 1000), undefined);
        assert.equal(parseRange("bytes=-0", 1000), "unsatisfiable");
        assert.equal(parseRange(undefined, 1000), undefined);
    });
});

/** One HTTP request with the path exactly as given (no dot-segment resolution). */
async function rawRequest(
    url: string,
    method: string,
    headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const http = await import("node:http");
    const { host, pathname } = /^http:\/\/(?<host>[^/]+)(?<pathname>\/.*)$/.exec(url)!.groups!;
    const [hostname, port] = host.split(":");
    return new Promise((resolve, reject) => {
        const req = http.request({ hostname, port: Number(port), path: pathname, method, headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on("error", reject);
        req.end();
    });
}
