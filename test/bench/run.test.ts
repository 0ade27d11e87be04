/**
 * `npm run bench` through its main(), in a temporary tree with made-up measurements: what a plain run and a
 * recorded run write, and the command line. The real measuring takes minutes and stays out of the suite.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { recordArtifacts, staleArtifacts } from "../../bench/record";
import { benchArtifacts, README_MARKERS } from "../../bench/report";
import type { BenchOptions, BenchResults, Measurements } from "../../bench/results";
import { main } from "../../bench/run";
import type { CliIo } from "../../shared/cli";
import { directoryCase, results as recorded } from "./fixtures";

const TRACKED = ["bench/results.json", "bench/results.md", "docs/performance.md", "README.md"];

/** A new run: another day, and the 50-file case slower than the recorded one. */
const { targets: _targets, ...older } = recorded;
const fresh: Measurements = {
    ...older,
    machine: { ...older.machine, date: "2026-12-24" },
    sweep: [directoryCase("50 files × 100", 0, 100, 130)],
};

describe("npm run bench", () => {
    let root: string;
    let calls: BenchOptions[];
    let out: string[];
    let err: string[];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env: {}, cwd: "/", isTTY: false };
    const run = (...argv: string[]) => main(argv, io, { root, measure: async (o) => (calls.push(o), fresh) });
    const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
    const snapshot = () => Object.fromEntries(TRACKED.map((f) => [f, read(f)]));

    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-bench-cli-"));
        fs.writeFileSync(
            path.join(root, "README.md"),
            `# Lab\n\n## Performance\n\n${README_MARKERS.start}\n${README_MARKERS.end}\n\n## After\n`,
        );
        recordArtifacts(root, benchArtifacts(recorded));
        calls = [];
        out = [];
        err = [];
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("a plain run prints the tables and writes them to bench/out/, changing no tracked file", async () => {
        const before = snapshot();
        assert.equal(await run("--runs", "1"), 0);
        assert.deepEqual(calls, [{ runs: 1, delayMs: 20 }]);
        assert.deepEqual(snapshot(), before);
        const saved = JSON.parse(read("bench/out/results.json")) as BenchResults;
        assert.equal(saved.machine.date, "2026-12-24");
        assert.ok(
            saved.targets.some((t) => t.target === "50 files × 100 at 0 ms: ours cold within 1.15× of the floor" && !t.pass),
            "targets are checked on the new run",
        );
        assert.match(out.join("\n"), /^Measured 2026-12-24 /);
        assert.match(read("bench/out/results.md"), /\| 0 ms \| 100\.0 ms \| 130\.0 ms \| 1\.30× \|/);
        assert.match(
            err.join("\n"),
            /--record would also write bench\/results\.json, bench\/results\.md, docs\/performance\.md, README\.md/,
        );
    });

    it("--record writes the results, their tables, the docs page and the README's table together, from the same run", async () => {
        const before = snapshot();
        assert.equal(await run("--record"), 0);
        assert.deepEqual(calls, [{ runs: 5, delayMs: 20 }]);
        for (const file of TRACKED) assert.notEqual(read(file), before[file], `${file} changed`);
        const saved = JSON.parse(read("bench/results.json")) as BenchResults;
        assert.equal(saved.machine.date, "2026-12-24");
        assert.deepEqual(staleArtifacts(root, benchArtifacts(saved)), [], "every page agrees with the recorded results");
        assert.match(
            read("README.md"),
            /^# Lab\n\n## Performance\n\n<!-- bench:start [^\n]*\nMeasured 2026-12-24 [\s\S]*<!-- bench:end -->\n\n## After\n$/,
        );
        assert.match(read("docs/performance.md"), /\| 0 ms \| 100\.0 ms \| 130\.0 ms \| 1\.30× \|/);
    });

    it("--record changes no tracked file when the README has lost its markers", async () => {
        fs.writeFileSync(path.join(root, "README.md"), "# Lab\n");
        const before = snapshot();
        await assert.rejects(run("--record"), /README\.md lacks the markers <!-- bench:start/);
        assert.deepEqual(snapshot(), before);
    });

    it("--report-only renders the recorded results without measuring; with --record it rewrites stale pages", async () => {
        fs.writeFileSync(path.join(root, "docs/performance.md"), "stale\n");
        assert.equal(await run("--report-only"), 0);
        assert.equal(read("docs/performance.md"), "stale\n");
        assert.match(out.join("\n"), /^Measured 2026-11-28 /);
        assert.equal(await run("--report-only", "--record"), 0);
        assert.deepEqual(calls, []);
        assert.deepEqual(staleArtifacts(root, benchArtifacts(recorded)), []);
    });

    it("takes --flag value and --flag=value alike", async () => {
        assert.equal(await run("--runs", "3", "--delay", "0"), 0);
        assert.equal(await run("--runs=3", "--delay=0"), 0);
        assert.deepEqual(calls, [
            { runs: 3, delayMs: 0 },
            { runs: 3, delayMs: 0 },
        ]);
    });

    it("--help prints the usage on stdout and measures nothing", async () => {
        assert.equal(await run("--help"), 0);
        assert.match(out.join("\n"), /^Usage: npm run bench -- \[--runs N\] \[--delay MS\] \[--record\] \[--report-only\]/);
        assert.match(out.join("\n"), /--record {8}also record the run/);
        assert.deepEqual([calls, err], [[], []]);
    });

    for (const [argv, message] of [
        [["--runs", "0"], /--runs needs a whole number from 1 to 1,000; received "0"/],
        [["--runs", "1.5"], /--runs needs a whole number/],
        [["--delay=-1"], /--delay needs a number from 0 to 10,000/],
        [["--runs"], /--runs needs a value/],
        [["--readme"], /unknown option --readme/],
        [["--report-only", "--runs", "1"], /--report-only measures nothing: --runs and --delay do not go with it/],
        [["fast"], /unexpected argument "fast"/],
    ] as const) {
        it(`refuses ${argv.join(" ")} on stderr with the usage, exit 2`, async () => {
            assert.equal(await run(...argv), 2);
            assert.match(err.join("\n"), message);
            assert.match(err.join("\n"), /\n\nUsage: npm run bench/);
            assert.deepEqual([calls, out], [[], []]);
            assert.ok(!fs.existsSync(path.join(root, "bench/out")), "nothing written");
        });
    }
});
