/** `npm run surge` with a small surge: the count check holds for both designs (timings are not asserted). */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { staleArtifacts } from "../../bench/record";
import { main, RECORDED_RESULTS, RESULTS_FILE, trackedArtifacts, type SurgeResults } from "../../bench/surge";
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

    it("refuses bad flags with the usage (exit 2)", async () => {
        const err: string[] = [];
        const io = { out: () => undefined, err: (t: string) => err.push(t), env: process.env, cwd: process.cwd(), isTTY: false };
        assert.equal(await main(["--design", "mainframe"], io), 2);
        assert.match(err.join("\n"), /--design mainframe: choose from queue, one-server/);
        assert.equal(await main(["--surge-rate", "0"], io), 2);
    });
});
