/**
 * The employee-directory lab, checked from the outside: the website and its config.js, `GET /users` against the
 * records counted in the data bucket independently, CORS, and (deployed only) that the data bucket is private.
 * The lab step moves the first data file aside and back, as the lab's own "delete users_1.json" step does.
 */
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { parseUsers } from "../../functions/directory/core";
import {
    CheckFailed,
    describeError,
    expect,
    MAX_ANSWER_BYTES,
    objectExists,
    randomSuffix,
    request,
    runCheck,
    s3call,
    statusOf,
    trimSlash,
    type CheckResult,
    type VerifyContext,
} from "./check";
import type { LabOutputs } from "../outputs";

type DirectoryOutputs = Required<Pick<LabOutputs, "websiteUrl" | "apiUrl" | "dataBucket">>;

/** An origin no stack allows, for the negative CORS check. */
export const FOREIGN_ORIGIN = "https://verify.example.invalid";

/** The data files as the caller reads them from the bucket: records per key, or why a file is unusable. */
export interface DataFiles {
    files: { key: string; records: number }[];
    bad: { key: string; reason: string }[];
    total: number;
}

export async function checkDirectory(out: DirectoryOutputs, ctx: VerifyContext, results: CheckResult[], labSteps: boolean): Promise<void> {
    const run = (name: string, proves: string, body: () => Promise<string>) => runCheck(ctx, results, "directory", name, proves, body);
    const apiUrl = trimSlash(out.apiUrl);

    await run("website", "the static website is up and serves the page", async () => {
        const page = await request(ctx, out.websiteUrl);
        expect(page.status === 200, `GET ${out.websiteUrl} answered ${statusOf(page)}`);
        expect(/Employee Directory/.test(page.text()), `GET ${out.websiteUrl} answered 200 but not the directory page`);
        return `200, ${page.bytes} bytes`;
    });

    await run("config.js", "the page calls this stack's API", async () => {
        const url = new URL("config.js", trimSlash(out.websiteUrl) + "/").toString();
        const script = await request(ctx, url);
        expect(script.status === 200, `GET ${url} answered ${statusOf(script)}`);
        const json = /LAB_CONFIG\s*=\s*(\{[\s\S]*?\})\s*;/.exec(script.text())?.[1];
        let configured: unknown;
        try {
            configured = json && (JSON.parse(json) as { apiUrl?: unknown }).apiUrl;
        } catch {
            configured = undefined;
        }
        expect(typeof configured === "string", `${url} sets no window.LAB_CONFIG.apiUrl`);
        expect(trimSlash(configured) === apiUrl, `${url} points at ${configured}, not apiUrl ${apiUrl}`);
        return `apiUrl ${apiUrl}`;
    });

    let data: DataFiles | undefined;
    await run("GET /users total", "the function reads every data file in the bucket, and each is valid", async () => {
        data = await readDataFiles(ctx, out.dataBucket);
        expect(data.bad.length === 0, data.bad.map((b) => `${b.key} ${b.reason}`).join("; "));
        const answer = await usersTotal(ctx, apiUrl);
        expect(answer.total === data.total, `total ${answer.total}, but the ${data.files.length} data files hold ${data.total} records`);
        return `total ${answer.total} = the records of ${data.files.length} files in s3://${out.dataBucket}, no warnings`;
    });

    const siteOrigin = new URL(out.websiteUrl).origin;
    const apiOrigin = new URL(apiUrl).origin;
    await run("CORS from the website", "the page's browser may call the API", async () => {
        if (siteOrigin === apiOrigin) return "same origin: the browser needs no CORS";
        const allowed = await preflight(ctx, apiUrl, siteOrigin);
        expect(
            allowed === siteOrigin || allowed === "*",
            `preflight from ${siteOrigin} ${allowed ? `allowed ${allowed}` : "was not allowed"}`,
        );
        return `allowed ${allowed}`;
    });

    await run("CORS from another origin", "other sites' pages cannot call the API", async () => {
        const allowed = await preflight(ctx, apiUrl, FOREIGN_ORIGIN);
        expect(allowed !== FOREIGN_ORIGIN && allowed !== "*", `preflight from ${FOREIGN_ORIGIN} was allowed (${allowed})`);
        return `not allowed from ${FOREIGN_ORIGIN}`;
    });

    if (ctx.publicUrlOf) {
        const publicUrlOf = ctx.publicUrlOf;
        await run("data bucket private", "an anonymous caller cannot read the data files", async () => {
            const key = data?.files[0]?.key ?? data?.bad[0]?.key ?? `${ctx.dataPrefix}_1.json`;
            const url = await publicUrlOf(out.dataBucket, key);
            const answer = await request(ctx, url);
            expect(
                answer.status === 403,
                `unsigned GET of ${key} answered ${statusOf(answer)}${answer.status === 200 ? ": the data bucket is public" : ", not 403"}`,
            );
            return `unsigned GET of ${key}: ${statusOf(answer)}`;
        });
    }

    if (labSteps) await moveFileStep(out, ctx, results, apiUrl, data);
}

/** Lists the data files and counts their records with the caller's credentials, the way the function parses them. */
export async function readDataFiles(ctx: VerifyContext, bucket: string): Promise<DataFiles> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
        const page = await s3call(ctx, (s3, o) =>
            s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: ctx.dataPrefix, ContinuationToken: token }), o),
        );
        for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith("/")) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    keys.sort();
    const data: DataFiles = { files: [], bad: [], total: 0 };
    for (const key of keys) {
        const cap = ctx.maxAnswerBytes ?? MAX_ANSWER_BYTES;
        const text = await s3call(ctx, async (s3, o) => {
            const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), o);
            if ((res.ContentLength ?? 0) > cap) {
                await res.Body?.transformToWebStream().cancel();
                return undefined;
            }
            return (await res.Body?.transformToString("utf-8")) ?? "";
        });
        if (text === undefined) {
            data.bad.push({ key, reason: `is over ${cap.toLocaleString("en-US")} bytes, the most verify reads of one object` });
            continue;
        }
        try {
            const records = parseUsers(text).length;
            data.files.push({ key, records });
            data.total += records;
        } catch (error) {
            data.bad.push({ key, reason: (error as Error).message });
        }
    }
    return data;
}

/** `GET /users?limit=1`: the total without the records; fails on a non-200 or on warnings. */
async function usersTotal(ctx: VerifyContext, apiUrl: string): Promise<{ total: number }> {
    const url = `${apiUrl}/users?limit=1`;
    const answer = await request(ctx, url);
    expect(answer.status === 200, `GET ${url} answered ${answer.status}: ${answer.text().slice(0, 200)}`);
    let body: { total?: unknown; warnings?: { key: string; reason: string }[] };
    try {
        body = JSON.parse(answer.text()) as typeof body;
    } catch {
        throw new CheckFailed(`GET ${url} answered 200 but not JSON: ${answer.text().slice(0, 100)}`);
    }
    expect(typeof body.total === "number", `GET ${url} answered no total`);
    const warnings = body.warnings ?? [];
    expect(warnings.length === 0, `the API warns: ${warnings.map((w) => `${w.key} ${w.reason}`).join("; ")}`);
    return { total: body.total };
}

/** The Access-Control-Allow-Origin a CORS preflight from `origin` gets, or undefined when none. */
async function preflight(ctx: VerifyContext, apiUrl: string, origin: string): Promise<string | undefined> {
    const answer = await request(ctx, `${apiUrl}/users`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "GET" },
    });
    return answer.status < 300 ? (answer.headers.get("access-control-allow-origin") ?? undefined) : undefined;
}

/**
 * The lab's own step: move the first data file aside (a copy outside the data prefix, then delete), check the
 * total drops by its records, put it back, check the total returns. Whatever happens (a failed check, a timeout,
 * Ctrl-C) the file is put back before this returns; if even that fails, the message says where the copy is.
 */
async function moveFileStep(
    out: DirectoryOutputs,
    ctx: VerifyContext,
    results: CheckResult[],
    apiUrl: string,
    data?: DataFiles,
): Promise<void> {
    const run = (name: string, proves: string, body: () => Promise<string>) => runCheck(ctx, results, "directory", name, proves, body);
    const file = data?.files[0];
    if (!data || !file || data.bad.length) {
        await run("lab step: move a data file aside", "the API follows the bucket", async () => {
            throw new CheckFailed("skipped: the data files could not be counted (see GET /users total)");
        });
        return;
    }
    const Bucket = out.dataBucket;
    let aside = `verify-aside-${randomSuffix()}/${file.key}`;
    if (aside.startsWith(ctx.dataPrefix)) aside = `~${aside}`; // never a data file itself
    const move = async (from: string, to: string, ignoreInterrupt: boolean) => {
        await s3call(
            ctx,
            (s3, o) => s3.send(new CopyObjectCommand({ Bucket, Key: to, CopySource: copySource(Bucket, from) }), o),
            ignoreInterrupt,
        );
        await s3call(ctx, (s3, o) => s3.send(new DeleteObjectCommand({ Bucket, Key: from }), o), ignoreInterrupt);
    };

    // What the step knows it did to the bucket: a request "sent" may or may not have reached it; "done" was answered.
    let copy: "none" | "sent" | "done" = "none";
    let removal: "none" | "sent" | "done" = "none";
    let restored = false;
    try {
        const dropped = await run(`lab step: move ${file.key} aside`, "the API sees a deleted data file at once", async () => {
            copy = "sent";
            await s3call(ctx, (s3, o) =>
                s3.send(new CopyObjectCommand({ Bucket, Key: aside, CopySource: copySource(Bucket, file.key) }), o),
            );
            copy = "done";
            removal = "sent";
            await s3call(ctx, (s3, o) => s3.send(new DeleteObjectCommand({ Bucket, Key: file.key }), o));
            removal = "done";
            const { total } = await usersTotal(ctx, apiUrl);
            const expected = data.total - file.records;
            expect(total === expected, `total ${total} after moving ${file.key} (${file.records} records) aside; expected ${expected}`);
            return `total ${data.total} → ${total}`;
        });
        if (!dropped) return; // the finally below puts the file back
        await run(`lab step: put ${file.key} back`, "the API sees a restored data file at once", async () => {
            await move(aside, file.key, false);
            restored = true;
            const { total } = await usersTotal(ctx, apiUrl);
            expect(total === data.total, `total ${total} after putting ${file.key} back; expected ${data.total}`);
            return `total back to ${total}`;
        });
    } finally {
        if (copy !== "none" && !restored) {
            // Runs after a failed check, a timeout or Ctrl-C; the copy aside is deleted only once the file is back.
            const restore = () => restoreAside(ctx, Bucket, file.key, aside, copy as "sent" | "done", removal);
            await runCheck(ctx, results, "directory", `lab step: restore ${file.key}`, "nothing is lost", restore, true);
        }
    }
}

/**
 * Puts `key` back from `aside` if it is missing, then deletes `aside`. When the bucket cannot be reached, the
 * message says only what the step knows of it: whether the file was ever deleted, and whether the copy aside exists.
 */
async function restoreAside(
    ctx: VerifyContext,
    Bucket: string,
    key: string,
    aside: string,
    copy: "sent" | "done",
    removal: "none" | "sent" | "done",
): Promise<string> {
    let putBack = false;
    try {
        if (removal !== "none" && !(await objectExists(ctx, Bucket, key, true))) {
            await s3call(
                ctx,
                (s3, o) => s3.send(new CopyObjectCommand({ Bucket, Key: key, CopySource: copySource(Bucket, aside) }), o),
                true,
            );
            putBack = true;
        }
        await s3call(ctx, (s3, o) => s3.send(new DeleteObjectCommand({ Bucket, Key: aside }), o), true);
    } catch (error) {
        const why = describeError(error, ctx.timeoutMs);
        const asideUrl = `s3://${Bucket}/${aside}`;
        if (removal === "none") {
            // The delete was never sent: the file is where it was. Only the copy aside may be left.
            throw new CheckFailed(
                copy === "done"
                    ? `${key} was never deleted; the copy at ${asideUrl} could not be removed (${why}): aws s3 rm ${asideUrl}`
                    : `${key} was never deleted; the bucket did not answer the copy to ${asideUrl} nor this clean-up (${why}), so that copy may or may not exist: aws s3 ls ${asideUrl}`,
            );
        }
        if (copy === "done" && !putBack) {
            throw new CheckFailed(
                `could not put ${key} back (${why}); it is kept at ${asideUrl}: aws s3 mv ${asideUrl} s3://${Bucket}/${key}`,
            );
        }
        throw new CheckFailed(`${key} is back, but the copy at ${asideUrl} could not be removed (${why}): aws s3 rm ${asideUrl}`);
    }
    if (removal === "none") return `${key} was never deleted; removed the copy aside`;
    return putBack ? `put back from s3://${Bucket}/${aside}` : `${key} is in place; removed the copy at s3://${Bucket}/${aside}`;
}

/** CopySource is `bucket/key` with the key URL-encoded. */
const copySource = (bucket: string, key: string) => `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
