import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHandler, LAMBDA_RESULT_LIMIT, resultBytes } from "../../functions/directory/core";
import { memoryLogger } from "../../functions/shared/log";
import { directoryS3Client } from "../../functions/directory/s3-client";
import { localS3Client, localS3Config } from "../../shared/local-s3";
import { getEvent, jsonBody } from "../helpers/events";
import { countCommands, put, remove, spyOnAgentSockets, startTestS3, traceCommands } from "../helpers/s3";

const SEED_DIR = path.resolve(__dirname, "..", "..", "data");
const seedFiles = ["users_1.json", "users_2.json", "users_3.json"];
const person = (first: string, extra: Record<string, unknown> = {}) => ({
    name: { title: "Ms", first, last: "Tester" },
    email: `${first.toLowerCase()}@example.com`,
    department: "Engineering",
    location: { country: "Norway", state: "Oslo", city: "Oslo" },
    dob: { age: 30 },
    ...extra,
});

describe("directory function against s3rver", function () {
    this.timeout(120_000);
    let s3: Awaited<ReturnType<typeof startTestS3>>;

    beforeEach(async () => {
        s3 = await startTestS3();
    });
    afterEach(async () => {
        await s3.close();
    });

    const seed = async () => {
        for (const file of seedFiles) await put(s3.client, s3.bucket, file, fs.readFileSync(path.join(SEED_DIR, file)));
    };
    const handlerFor = (options: Partial<Parameters<typeof createHandler>[0]> = {}) =>
        createHandler({ s3: s3.client, bucket: s3.bucket, logger: memoryLogger(), ...options });

    it("returns the 1,500 seed employees, then 1,000 right after users_1.json is deleted", async () => {
        await seed();
        const handler = handlerFor();
        const first = await handler(getEvent("/users"));
        assert.equal(first.statusCode, 200);
        const body = jsonBody(first);
        assert.equal(body.count, 1500);
        assert.equal(body.total, 1500);
        assert.equal(body.users.length, 1500);
        assert.equal(body.nextCursor, undefined);
        assert.deepEqual(body.warnings, []);

        await remove(s3.client, s3.bucket, "users_1.json");
        const after = jsonBody(await handler(getEvent("/users")));
        assert.equal(after.total, 1000);
        assert.equal(after.users.length, 1000);
    });

    it("an empty bucket gives an empty list, not an error", async () => {
        const result = await handlerFor()(getEvent("/users"));
        assert.equal(result.statusCode, 200);
        assert.deepEqual(jsonBody(result), { users: [], count: 0, total: 0, warnings: [] });
    });

    it("returns all 1,500 records of a 1,500-key bucket: each listing page fetched in one wave as it arrives, over a matching keep-alive pool", async () => {
        const keys = Array.from({ length: 1500 }, (_, i) => `users_${String(i).padStart(4, "0")}.json`);
        await s3.putObjects(
            s3.bucket,
            keys.map((key) => ({ key, body: JSON.stringify([person(`P${key}`)]), contentType: "application/json" })),
        );
        const sockets = spyOnAgentSockets();
        const client = directoryS3Client(localS3Config(s3.endpoint));
        try {
            const trace = traceCommands(client);
            const handler = handlerFor({ s3: client });
            const result = await handler(getEvent("/users"));
            assert.equal(result.statusCode, 200, result.body);
            const body = jsonBody(result);
            assert.equal(body.total, 1500);
            assert.deepEqual(
                body.users.map((u: any) => u.name.first),
                keys.map((key) => `P${key}`),
            );

            assert.equal(trace.events.filter((e) => e === "LIST >").length, 2, "two list pages for 1,500 keys");
            const secondListDone = trace.events.indexOf("LIST <", trace.events.indexOf("LIST <") + 1);
            const firstGet = trace.events.findIndex((e) => e.startsWith("GET "));
            assert.ok(firstGet < secondListDone, "the first page's GETs start before the second page is listed");
            assert.equal(trace.maxGetsInFlight, 1000, "the first page's 1,000 GETs go out in one wave, and never more than a page at once");
            assert.ok(sockets.maxOpen >= 1000, `the wave has ${sockets.maxOpen} sockets open at once (the SDK's default pool is 50)`);

            const opened = sockets.opened;
            // Changed in the store, not over HTTP: only the handler's own sockets are counted.
            await s3.putObjects(s3.bucket, [{ key: keys[7], body: JSON.stringify([person("Changed")]) }]);
            assert.equal(jsonBody(await handler(getEvent("/users"))).users[7].name.first, "Changed");
            assert.equal(sockets.opened, opened, "a warm invocation reuses the kept-alive sockets");
        } finally {
            sockets.restore();
            client.destroy();
        }
    });

    it("one failing GET in a wave fails the request with the named 502, stops the rest, and leaves no unhandled rejection", async () => {
        const keys = Array.from({ length: 25 }, (_, i) => `users_${String(i).padStart(2, "0")}.json`);
        for (const key of keys) await put(s3.client, s3.bucket, key, JSON.stringify([person(`P${key}`)]));
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown) => unhandled.push(reason);
        process.on("unhandledRejection", onUnhandled);
        const client = localS3Client(s3.endpoint);
        const trace = traceCommands(client);
        // users_03 fails at once; the rest of its wave, and the listing's second page, wait for that failure
        // and a turn of the event loop (when an unobserved rejection would be reported), then go on; users_07
        // fails too, later.
        let failed!: () => void;
        const failure = new Promise<void>((resolve) => (failed = resolve));
        const afterFailure = () => failure.then(() => new Promise((resolve) => setImmediate(resolve)));
        let lists = 0;
        client.middlewareStack.add(
            (next, context) => async (args) => {
                const key = (args.input as { Key?: string }).Key;
                const s3Error = (name: string) => Object.assign(new Error(`${name} for ${key}`), { name, $fault: "server" });
                if (context.commandName === "ListObjectsV2Command" && ++lists === 2) {
                    await new Promise((resolve) => setImmediate(resolve)); // let the first page's GETs go out
                    if (trace.events.some((e) => e.startsWith("GET "))) await afterFailure();
                }
                if (context.commandName === "GetObjectCommand") {
                    if (key === "users_03.json") {
                        failed();
                        throw s3Error("InternalError");
                    }
                    await afterFailure();
                    if (key === "users_07.json") throw s3Error("SlowDown");
                }
                return next(args);
            },
            { step: "initialize", name: "failOneGet", priority: "low" },
        );
        try {
            const logger = memoryLogger();
            const result = await handlerFor({ s3: client, listPageSize: 10, logger })(getEvent("/users"));
            assert.equal(trace.getsInFlight, 0, "no GET is still running when the handler answers");
            assert.equal(result.statusCode, 502);
            assert.equal(jsonBody(result).message, "Reading the data bucket failed (InternalError)");
            assert.ok(logger.entries.some((e) => e.event === "users.failed"));
            assert.ok(!trace.events.includes("GET users_10.json"), "no GET of a later page starts after the failure");
            await new Promise((resolve) => setImmediate(resolve));
            assert.deepEqual(unhandled, []);
        } finally {
            process.off("unhandledRejection", onUnhandled);
            client.destroy();
        }
    });

    it("refuses a listPageSize S3 could not serve, naming the option", () => {
        assert.throws(
            () => handlerFor({ listPageSize: 1001 }),
            /^Error: listPageSize must be a whole number from 1 to 1000; received 1001$/,
        );
    });

    it("reports a corrupt file, a non-array file and an oversized file in warnings, and keeps the rest", async () => {
        await put(s3.client, s3.bucket, "users_a.json", JSON.stringify([person("Ann")]));
        await put(s3.client, s3.bucket, "users_broken.json", '[{"name": ');
        await put(s3.client, s3.bucket, "users_object.json", JSON.stringify({ hello: "world" }));
        await put(s3.client, s3.bucket, "users_numbers.json", JSON.stringify([1, 2]));
        await put(s3.client, s3.bucket, "users_huge.json", JSON.stringify([person("Big", { pad: "x".repeat(3000) })]));
        const logger = memoryLogger();
        const body = jsonBody(await handlerFor({ logger, maxObjectBytes: 2000 })(getEvent("/users")));
        assert.equal(body.total, 1);
        assert.deepEqual(
            body.warnings.map((w: { key: string }) => w.key),
            ["users_broken.json", "users_huge.json", "users_numbers.json", "users_object.json"],
        );
        assert.match(body.warnings[0].reason, /not valid JSON/);
        assert.match(body.warnings[1].reason, /2000-byte limit/);
        assert.match(body.warnings[2].reason, /element 0 is not a user object/);
        assert.match(body.warnings[3].reason, /not a JSON array/);
        const logged = logger.entries.filter((e) => e.event === "users.file_skipped").map((e) => e.key);
        assert.deepEqual(logged.sort(), ["users_broken.json", "users_huge.json", "users_numbers.json", "users_object.json"]);
    });

    it("accepts randomuser.me {results: [...]} documents and ignores keys outside the prefix", async () => {
        await put(s3.client, s3.bucket, "users_api.json", JSON.stringify({ results: [person("Ria"), person("Sam")], info: { seed: "x" } }));
        await put(s3.client, s3.bucket, "notes.json", JSON.stringify([person("Nope")]));
        await put(s3.client, s3.bucket, "archive/users_old.json", JSON.stringify([person("Old")]));
        const body = jsonBody(await handlerFor()(getEvent("/users")));
        assert.deepEqual(
            body.users.map((u: any) => u.name.first),
            ["Ria", "Sam"],
        );
    });

    it("reads from a configured prefix", async () => {
        await put(s3.client, s3.bucket, "people/a.json", JSON.stringify([person("Ann")]));
        await put(s3.client, s3.bucket, "users_1.json", JSON.stringify([person("Bob")]));
        const body = jsonBody(await handlerFor({ prefix: "people/" })(getEvent("/users")));
        assert.deepEqual(
            body.users.map((u: any) => u.name.first),
            ["Ann"],
        );
    });

    it("a warm invocation fetches only new or changed objects, and drops removed ones", async () => {
        await seed();
        const client = localS3Client(s3.endpoint);
        const counts = countCommands(client);
        const handler = handlerFor({ s3: client });
        await handler(getEvent("/users"));
        assert.equal(counts.get("GetObjectCommand"), 3);

        await handler(getEvent("/users"));
        assert.equal(counts.get("GetObjectCommand"), 3, "nothing changed: no GET");
        assert.equal(counts.get("ListObjectsV2Command"), 2, "one LIST per invocation");

        await put(s3.client, s3.bucket, "users_2.json", JSON.stringify([person("Changed")]));
        const body = jsonBody(await handler(getEvent("/users")));
        assert.equal(counts.get("GetObjectCommand"), 4, "only the changed file is fetched");
        assert.equal(body.total, 1001);
        assert.ok(body.users.some((u: any) => u.name.first === "Changed"));
    });

    it("skips quietly a key deleted between the list and the get", async () => {
        await put(s3.client, s3.bucket, "users_a.json", JSON.stringify([person("Ann")]));
        await put(s3.client, s3.bucket, "users_b.json", JSON.stringify([person("Ben")]));
        const client = localS3Client(s3.endpoint);
        client.middlewareStack.add(
            (next, context) => async (args) => {
                const input = args.input as { Key?: string };
                if (context.commandName === "GetObjectCommand" && input.Key === "users_b.json") {
                    await remove(s3.client, s3.bucket, "users_b.json");
                }
                return next(args);
            },
            { step: "initialize", name: "deleteBeforeGet" },
        );
        const result = await handlerFor({ s3: client })(getEvent("/users"));
        assert.equal(result.statusCode, 200);
        const body = jsonBody(result);
        assert.deepEqual(
            body.users.map((u: any) => u.name.first),
            ["Ann"],
        );
        assert.deepEqual(body.warnings, []);
    });

    it("filters with q across first name, last name, email, department and country", async () => {
        await put(
            s3.client,
            s3.bucket,
            "users_1.json",
            JSON.stringify([
                person("Alice"),
                person("Bob", { name: { first: "Bob", last: "Zulu" }, email: "bob@corp.test", department: "Sales" }),
                person("Cleo", { location: { country: "Japan" } }),
            ]),
        );
        const handler = handlerFor();
        const first = async (q: string) => jsonBody(await handler(getEvent("/users", { q }))).users.map((u: any) => u.name.first);
        assert.deepEqual(await first("ALI"), ["Alice"]);
        assert.deepEqual(await first("zulu"), ["Bob"]);
        assert.deepEqual(await first("corp.test"), ["Bob"]);
        assert.deepEqual(await first("sales"), ["Bob"]);
        assert.deepEqual(await first("japan"), ["Cleo"]);
        assert.deepEqual(await first("nobody"), []);
        const body = jsonBody(await handler(getEvent("/users", { q: "engineering" })));
        assert.equal(body.total, 2);
    });

    it("pages with limit and cursor", async () => {
        await seed();
        const handler = handlerFor();
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
            const body = jsonBody(await handler(getEvent("/users", { limit: "400", ...(cursor ? { cursor } : {}) })));
            assert.equal(body.total, 1500);
            assert.equal(body.count, body.users.length);
            seen.push(...body.users.map((u: any) => u.id.value));
            cursor = body.nextCursor;
            pages++;
        } while (cursor);
        assert.equal(pages, 4);
        assert.equal(seen.length, 1500);
        assert.equal(new Set(seen).size, 1500);
    });

    it("pages automatically when the whole list would pass the response limit", async () => {
        await seed();
        const body = jsonBody(await handlerFor({ maxResponseBytes: 200_000 })(getEvent("/users")));
        assert.ok(body.count > 0 && body.count < 1500, `count ${body.count}`);
        assert.equal(body.total, 1500);
        assert.ok(body.nextCursor);
        assert.ok(JSON.stringify(body).length <= 200_000);
    });

    for (const [query, parameter] of [
        [{ limit: "0" }, "limit"],
        [{ limit: "1001" }, "limit"],
        [{ limit: "ten" }, "limit"],
        [{ limit: "2.5" }, "limit"],
        [{ cursor: "not-a-cursor" }, "cursor"],
        [{ q: "x".repeat(201) }, "q"],
    ] as const) {
        it(`answers 400 naming ${parameter} for ${JSON.stringify(query).slice(0, 40)}`, async () => {
            const result = await handlerFor()(getEvent("/users", query));
            assert.equal(result.statusCode, 400);
            assert.match(jsonBody(result).message, new RegExp(`^${parameter} `));
        });
    }

    it("gzips large bodies for clients that accept gzip, and only for them", async () => {
        await seed();
        const handler = handlerFor();
        const zipped = await handler(getEvent("/users", {}, { "accept-encoding": "gzip, deflate, br" }));
        assert.equal(zipped.isBase64Encoded, true);
        assert.equal(zipped.headers?.["content-encoding"], "gzip");
        assert.equal(jsonBody(zipped).total, 1500);
        const plain = await handler(getEvent("/users"));
        assert.equal(plain.isBase64Encoded, false);
        assert.equal(plain.headers?.["content-encoding"], undefined);
        assert.ok(Buffer.from(zipped.body!, "base64").length * 4 < Buffer.byteLength(plain.body!), "gzip is under a quarter");
        const refused = await handler(getEvent("/users", {}, { "Accept-Encoding": "gzip;q=0" }));
        assert.equal(refused.isBase64Encoded, false);
    });

    describe("hostile but realistic input", () => {
        /** A record whose JSON doubles once escaped into the Lambda result: quotes and backslashes throughout. */
        const quoted = (first: string, padChars: number) => person(first, { note: '"\\'.repeat(padChars / 2) });
        const ids = (body: any) => body.users.map((u: any) => u.name.first);

        it("budgets the serialized Lambda result, escaping included, not only the body", async () => {
            await put(s3.client, s3.bucket, "users_q.json", JSON.stringify(Array.from({ length: 300 }, (_, i) => quoted(`Q${i}`, 1000))));
            const handler = handlerFor({ maxResponseBytes: 200_000 });
            const seen: string[] = [];
            let cursor: string | undefined;
            do {
                const result = await handler(getEvent("/users", cursor ? { cursor } : {}));
                assert.ok(resultBytes(result) <= 200_000, `the serialized result is ${resultBytes(result)} bytes`);
                const body = jsonBody(result);
                assert.ok(body.count > 0);
                seen.push(...ids(body));
                cursor = body.nextCursor;
            } while (cursor);
            assert.deepEqual(
                seen,
                Array.from({ length: 300 }, (_, i) => `Q${i}`),
            );
        });

        it("a warm call answers from the data as it is now: a changed file, a new query and a cursor each change the page", async () => {
            await put(s3.client, s3.bucket, "users_a.json", JSON.stringify([quoted("A1", 10), quoted("A2", 10)]));
            const handler = handlerFor();
            assert.deepEqual(ids(jsonBody(await handler(getEvent("/users")))), ["A1", "A2"]);
            assert.deepEqual(ids(jsonBody(await handler(getEvent("/users")))), ["A1", "A2"], "the same page again");
            await put(s3.client, s3.bucket, "users_a.json", JSON.stringify([quoted("A1", 10), quoted("B2", 10)]));
            assert.deepEqual(ids(jsonBody(await handler(getEvent("/users")))), ["A1", "B2"], "a changed file");
            assert.deepEqual(ids(jsonBody(await handler(getEvent("/users", { q: "b2" })))), ["B2"], "another query");
            const first = jsonBody(await handler(getEvent("/users", { limit: "1" })));
            assert.deepEqual(ids(jsonBody(await handler(getEvent("/users", { cursor: first.nextCursor })))), ["B2"], "another start");
        });

        it("returns everything in one page when the serialized result fits exactly, and pages at one byte less", async () => {
            await put(s3.client, s3.bucket, "users_q.json", JSON.stringify(Array.from({ length: 40 }, (_, i) => quoted(`Q${i}`, 200))));
            const whole = await handlerFor({ maxResponseBytes: 10_000_000 })(getEvent("/users"));
            const exact = resultBytes(whole);
            const fits = await handlerFor({ maxResponseBytes: exact })(getEvent("/users"));
            assert.equal(jsonBody(fits).count, 40);
            assert.equal(jsonBody(fits).nextCursor, undefined);
            assert.equal(resultBytes(fits), exact, "the size measured before answering is the serialized result's");
            const paged = jsonBody(await handlerFor({ maxResponseBytes: exact - 1 })(getEvent("/users")));
            assert.ok(paged.count < 40 && paged.nextCursor, "one byte less and the rest comes on a next page");
        });

        it("keeps an unzipped page of quote-heavy records under Lambda's 6 MB result limit by default", async () => {
            // 2 files of about 3 MB each: 6 MB of body, which escapes to about 11 MB of result.
            for (const file of ["users_a.json", "users_b.json"]) {
                await put(s3.client, s3.bucket, file, JSON.stringify(Array.from({ length: 1400 }, (_, i) => quoted(`${file}-${i}`, 1000))));
            }
            const result = await handlerFor()(getEvent("/users"));
            assert.equal(result.isBase64Encoded, false);
            assert.ok(resultBytes(result) <= LAMBDA_RESULT_LIMIT, `the serialized result is ${resultBytes(result)} bytes`);
            assert.ok(resultBytes(result) <= 6_000_000, "with headroom");
            const body = jsonBody(result);
            assert.ok(body.nextCursor, "the rest comes on the next page");
            assert.equal(body.total, 2800);
        });

        it("does not gzip when gzip has q=0, whatever * allows", async () => {
            await seed();
            const handler = handlerFor();
            for (const header of ["gzip;q=0, *", "*, gzip;q=0", "*;q=1, GZIP; q=0.000"]) {
                const result = await handler(getEvent("/users", { limit: "200" }, { "accept-encoding": header }));
                assert.equal(result.isBase64Encoded, false, header);
                assert.equal(result.headers?.["content-encoding"], undefined, header);
            }
            for (const header of ["*", "gzip;q=0.5, *;q=0", "identity, *;q=0.1"]) {
                assert.equal(
                    (await handler(getEvent("/users", { limit: "200" }, { "accept-encoding": header }))).isBase64Encoded,
                    true,
                    header,
                );
            }
        });

        it("reads a data file that starts with a UTF-8 byte-order mark", async () => {
            await put(
                s3.client,
                s3.bucket,
                "users_bom.json",
                Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify([person("Zoë")]))]),
            );
            const body = jsonBody(await handlerFor()(getEvent("/users")));
            assert.deepEqual(body.warnings, []);
            assert.deepEqual(ids(body), ["Zoë"]);
        });

        it("names a file that is not valid UTF-8 (saved as Latin-1) in warnings instead of showing U+FFFD", async () => {
            await put(s3.client, s3.bucket, "users_a.json", JSON.stringify([person("Ann")]));
            await put(s3.client, s3.bucket, "users_latin1.json", Buffer.from(JSON.stringify([person("José")]), "latin1"));
            const body = jsonBody(await handlerFor()(getEvent("/users")));
            assert.deepEqual(ids(body), ["Ann"]);
            assert.equal(body.warnings.length, 1);
            assert.equal(body.warnings[0].key, "users_latin1.json");
            assert.match(body.warnings[0].reason, /is not valid UTF-8 \(byte \d+ is 0xe9\): save it as UTF-8/);
            assert.doesNotMatch(JSON.stringify(body), /\uFFFD/);
        });

        it("searches in NFC: a decomposed query finds composed data and the other way round", async () => {
            await seed();
            const handler = handlerFor();
            const decomposed = "le\u0301a";
            assert.equal(jsonBody(await handler(getEvent("/users", { q: decomposed }))).total, 25, "the seed's 25 Léa");
            assert.equal(jsonBody(await handler(getEvent("/users", { q: "Léa" }))).total, 25);
            await put(s3.client, s3.bucket, "users_nfd.json", JSON.stringify([person("Zoe\u0308")]));
            assert.deepEqual(ids(jsonBody(await handler(getEvent("/users", { q: "zoë" })))), ["Zoe\u0308"]);
        });

        it("limits q to 200 characters as sent, not as lower-cased", async () => {
            const handler = handlerFor();
            const dotted = await handler(getEvent("/users", { q: "İ".repeat(150) }));
            assert.equal(dotted.statusCode, 200, dotted.body);
            assert.equal((await handler(getEvent("/users", { q: "é".repeat(200) }))).statusCode, 200);
            assert.equal((await handler(getEvent("/users", { q: "é".repeat(201) }))).statusCode, 400);
        });

        it("refuses a forged cursor with an absurd offset, instead of starting over", async () => {
            await seed();
            const handler = handlerFor();
            const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
            const absurd = await handler(getEvent("/users", { cursor: forge({ o: 1e21 }) }));
            assert.equal(absurd.statusCode, 400);
            assert.match(jsonBody(absurd).message, /^cursor /);
            const real = jsonBody(await handler(getEvent("/users", { limit: "10" }))).nextCursor;
            const decoded = JSON.parse(Buffer.from(real, "base64url").toString("utf8"));
            for (const index of [500, 1e21, -1, 2.5]) {
                const result = await handler(getEvent("/users", { cursor: forge({ ...decoded, i: index }) }));
                assert.equal(result.statusCode, 400, `index ${index}`);
                assert.match(jsonBody(result).message, /^cursor /);
            }
        });

        it("a cursor survives the deletion of another file: no record of the remaining files is skipped", async () => {
            await seed();
            const handler = handlerFor();
            const all = jsonBody(await handler(getEvent("/users", { limit: "1000" })));
            const page = jsonBody(await handler(getEvent("/users", { limit: "600" })));
            await remove(s3.client, s3.bucket, "users_1.json");
            const rest: string[] = [];
            let cursor: string | undefined = page.nextCursor;
            while (cursor) {
                const body = jsonBody(await handler(getEvent("/users", { limit: "1000", cursor })));
                assert.equal(body.dataChanged, undefined, "the cursor's own file did not change");
                rest.push(...body.users.map((u: any) => u.id.value));
                cursor = body.nextCursor;
            }
            const everyId = (
                await Promise.all(seedFiles.map(async (f) => JSON.parse(fs.readFileSync(path.join(SEED_DIR, f), "utf8"))))
            ).map((list: any[]) => list.map((u) => u.id.value));
            // The first page ended 100 records into users_2.json: the rest is users_2 from there on, then users_3.
            assert.deepEqual(rest, [...everyId[1].slice(100), ...everyId[2]]);
            assert.equal(all.users.length, 1000);
        });

        it("says dataChanged when the cursor's own file changed since, and resumes at the next file", async () => {
            await put(s3.client, s3.bucket, "users_a.json", JSON.stringify([person("A1"), person("A2"), person("A3")]));
            await put(s3.client, s3.bucket, "users_b.json", JSON.stringify([person("B1")]));
            const handler = handlerFor();
            const first = jsonBody(await handler(getEvent("/users", { limit: "1" })));
            await remove(s3.client, s3.bucket, "users_a.json");
            const next = jsonBody(await handler(getEvent("/users", { limit: "5", cursor: first.nextCursor })));
            assert.equal(next.dataChanged, true);
            assert.deepEqual(ids(next), ["B1"]);
        });
    });

    it("answers 502 with a clear message when the bucket is missing, without a stack trace", async () => {
        const logger = memoryLogger();
        const result = await handlerFor({ bucket: "no-such-bucket", logger })(getEvent("/users"));
        assert.equal(result.statusCode, 502);
        const body = jsonBody(result);
        assert.match(body.message, /does not exist \(NoSuchBucket\)/);
        assert.doesNotMatch(result.body!, /at .*\.ts:\d+/);
        assert.ok(logger.entries.some((e) => e.level === "ERROR"));
    });

    it("answers 502 naming AccessDenied when S3 refuses", async () => {
        const client = localS3Client(s3.endpoint);
        client.middlewareStack.add(
            () => async () => {
                const error = new Error("Access Denied");
                error.name = "AccessDenied";
                throw error;
            },
            { step: "initialize", name: "deny" },
        );
        const result = await handlerFor({ s3: client })(getEvent("/users"));
        assert.equal(result.statusCode, 502);
        assert.match(jsonBody(result).message, /AccessDenied/);
    });
});

describe("directory function bundle", function () {
    this.timeout(60_000);
    it("the deployed bundle loads in a fresh Node process and serves GET /users from S3", async () => {
        const { bundle } = await import("../../stacks/bundle");
        const { execFile } = await import("node:child_process");
        const { promisify } = await import("node:util");
        const os = await import("node:os");
        const s3 = await startTestS3();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-bundle-"));
        try {
            await put(s3.client, s3.bucket, "users_1.json", fs.readFileSync(path.join(SEED_DIR, "users_1.json")));
            fs.writeFileSync(path.join(dir, "index.js"), bundle("functions/directory/index.ts").code);
            const script = `
                const { handler } = require(${JSON.stringify(path.join(dir, "index.js"))});
                handler({ rawPath: "/users", headers: {}, queryStringParameters: { limit: "2" } })
                    .then((r) => console.log(JSON.stringify(r)));`;
            // Asynchronously: s3rver runs in this process and must keep serving while the child waits on it.
            const { stdout: out } = await promisify(execFile)(process.execPath, ["-e", script], {
                timeout: 30_000,
                cwd: dir,
                env: {
                    PATH: process.env.PATH,
                    DATA_BUCKET: s3.bucket,
                    AWS_ENDPOINT_URL_S3: s3.endpoint,
                    AWS_REGION: "us-east-1",
                    AWS_ACCESS_KEY_ID: "S3RVER",
                    AWS_SECRET_ACCESS_KEY: "S3RVER",
                    AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: "1",
                },
            });
            const result = JSON.parse(out);
            assert.equal(result.statusCode, 200, out);
            const body = JSON.parse(result.body);
            assert.equal(body.total, 500);
            assert.equal(body.count, 2);
        } finally {
            await s3.close();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
