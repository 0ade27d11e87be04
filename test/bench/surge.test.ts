/** `npm run surge` with a small surge: the count check holds for both designs (timings are not asserted). */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { staleArtifacts } from "../../bench/record";
import {
    main,
    percentiles,
    RECORDED_RESULTS,
    RESULTS_FILE,
    fullRateWindow,
    sendRate,
    START_GROUPS,
    startGroups,
    trackedArtifacts,
    type SurgeResults,
} from "../../bench/surge";
import { ROOT } from "../helpers/program";

describe("npm run surge (a small surge)", function () {
    this.timeout(300_000);

    it("every accepted sign-up is stored once, recorded duplicate or rejected, or dead-lettered: lost 0, for the queue and the one server", async () => {
        const out: string[] = [];
        const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env: process.env, cwd: process.cwd(), isTTY: false };
        const code = await main(
            [
                "--baseline-rate",
                "2",
                "--baseline-seconds",
                "1",
                "--surge-rate",
                "100",
                "--surge-seconds",
                "3",
                "--connections",
                "50",
                "--json",
            ],
            io,
        );
        assert.equal(code, 0, out.join("\n"));
        const results = JSON.parse(fs.readFileSync(RESULTS_FILE, "utf8")) as SurgeResults;
        assert.deepEqual(
            results.designs.map((d) => d.design),
            ["queue", "one-server"],
        );
        for (const d of results.designs) {
            const c = d.count;
            assert.equal(c.lost, 0, `${d.design}: ${JSON.stringify(c)}`);
            assert.equal(c.storedTwice, 0);
            assert.equal(c.accepted, d.accepted, `${d.design}: every 2xx carried an id`);
            assert.equal(c.stored + c.duplicate + c.rejected + c.deadLetter, c.accepted);
            assert.ok(
                c.duplicate > 0 && c.rejected > 0,
                `${d.design}: the mix has repeated emails and invalid bodies: ${JSON.stringify(c)}`,
            );
            assert.equal(d.sent, 302);
        }
    });

    it("docs/labs/signup.md shows the recorded surge (npm run surge -- --record rewrites both)", () => {
        const recorded = JSON.parse(fs.readFileSync(path.join(ROOT, RECORDED_RESULTS), "utf8")) as SurgeResults;
        assert.deepEqual(staleArtifacts(ROOT, trackedArtifacts(recorded)), []);
        const queue = recorded.designs.find((d) => d.design === "queue");
        assert.equal(queue?.count.lost, 0, "the recorded surge lost nothing");
    });

    it("starts the surge's connections in groups spread over a two-period ramp, so requests arrive evenly, not in one volley", () => {
        const groups = startGroups(1000, 10_000, 1000);
        assert.equal(groups.length, START_GROUPS);
        assert.deepEqual(
            groups.slice(0, 3).map((g) => [g.delayMs, g.connections, g.rate, g.amount]),
            [
                [0, 25, 25, 250],
                [50, 25, 25, 250],
                [100, 25, 25, 250],
            ],
            "each connection sends once a second; 25 of them start every 50 ms, over two seconds",
        );
        assert.equal(groups[START_GROUPS - 1].delayMs, 1950);
        assert.deepEqual(fullRateWindow(groups), { fromMs: 1950, toMs: 10_000 }, "all connections running, none finished");
        const sum = (key: "amount" | "connections" | "rate") => groups.reduce((n, g) => n + g[key], 0);
        assert.deepEqual([sum("amount"), sum("connections"), sum("rate")], [10_000, 1000, 1000]);
        // Uneven splits still add up, and a phase with one connection is one group starting at once.
        const small = startGroups(100, 301, 50);
        assert.deepEqual([small.reduce((n, g) => n + g.amount, 0), small.reduce((n, g) => n + g.connections, 0)], [301, 50]);
        assert.ok(small.every((g) => g.delayMs < 1000 && g.connections >= 1));
        assert.deepEqual(startGroups(2, 10, 1), [{ delayMs: 0, rate: 2, amount: 10, connections: 1 }]);
        // autocannon takes whole rates, at least one request a second and one request per connection: a rate below
        // the connections, a fractional one and a tiny phase all give groups it can run, adding up to the phase.
        for (const [rate, amount, connections] of [
            [500, 5000, 1000],
            [39, 390, 390],
            [2.5, 25, 1000],
            [1, 1, 1000],
            [1000, 3, 1000],
        ]) {
            const split = startGroups(rate, amount, connections);
            const what = `${rate}/s, ${amount} over ${connections}`;
            assert.equal(
                split.reduce((n, g) => n + g.amount, 0),
                amount,
                what,
            );
            assert.equal(
                split.reduce((n, g) => n + g.rate, 0),
                Math.round(rate),
                what,
            );
            for (const g of split) {
                assert.ok(
                    Number.isInteger(g.rate) && g.rate >= g.connections && g.amount >= g.connections && g.connections >= 1,
                    `${what}: ${JSON.stringify(g)}`,
                );
            }
            const window = fullRateWindow(split);
            assert.ok(window.fromMs < window.toMs, `${what}: a full-rate window ${JSON.stringify(window)}`);
        }
    });

    it("reports nearest-rank percentiles, and the rate at which requests were sent, not how long the last answer took", () => {
        const samples = Array.from({ length: 100 }, (_, i) => ({ sentAt: i * 10, ms: 100 - i }));
        assert.deepEqual(percentiles(samples), { p50: 50, p95: 95, p99: 99, max: 100 });
        assert.deepEqual(percentiles([]), { p50: 0, p95: 0, p99: 0, max: 0 });
        assert.equal(sendRate(samples, 60_000), 100, "100 requests, one every 10 ms: 100/s, whatever the answers took");
        assert.equal(sendRate([{ sentAt: 5, ms: 1 }], 500), 2, "one request: over the phase's time");
    });

    it("refuses bad flags with the usage (exit 2)", async () => {
        const err: string[] = [];
        const io = { out: () => undefined, err: (t: string) => err.push(t), env: process.env, cwd: process.cwd(), isTTY: false };
        assert.equal(await main(["--design", "mainframe"], io), 2);
        assert.match(err.join("\n"), /--design mainframe: choose from queue, one-server/);
        assert.equal(await main(["--surge-rate", "0"], io), 2);
        assert.equal(await main(["--surge-rate", "1", "--surge-seconds", "0.4"], io), 2);
        assert.match(err.join("\n"), /sends no sign-up: give at least one/);
        assert.equal(await main(["--baseline-rate", "0.1"], io), 2, "autocannon sends at least one a second");
    });
});
