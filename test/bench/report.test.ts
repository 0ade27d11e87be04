import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { benchArtifacts, markdown, performancePage, readmeSummary } from "../../bench/report";
import { staleArtifacts } from "../../bench/record";
import type { BenchResults } from "../../bench/results";
import { ROOT } from "../helpers/program";
import { results } from "./fixtures";

describe("benchmark report", () => {
    const table = markdown(results);

    it("shows the floor beside ours, and ours ÷ floor cold and warm, for every case", () => {
        assert.match(
            table,
            /\| case \| baseline \(reference solution\) \| floor, cold \| ours, cold \| ours ÷ floor, cold \| floor, warm \| ours, warm \| ours ÷ floor, warm \|/,
        );
        assert.match(
            table,
            /\| 1,500 files × 1 \| 1000\.0 ms \(5000 records\) \| 1000\.0 ms \| 1250\.0 ms \| 1\.25× \| 100\.0 ms \| 125\.0 ms \| 1\.25× \|/,
        );
    });

    it("gives the 50-file ratios at 0, 20 and 100 ms round trips, and the 1,500-file peak RSS", () => {
        assert.match(table, /\| 0 ms \| 100\.0 ms \| 108\.0 ms \| 1\.08× \| 10\.0 ms \| 10\.8 ms \| 1\.08× \|/);
        assert.match(table, /\| 20 ms \| 200\.0 ms \| 220\.0 ms \| 1\.10× \|/);
        assert.match(table, /\| 100 ms \| 400\.0 ms \| 412\.0 ms \| 1\.03× \|/);
        assert.match(table, /\| 1,500 files × 1 \|.*\| 187 MB \|/);
        assert.match(table, /- ✅ 1,500 files × 1 at 20 ms: ours cold within 1\.3× of the floor: 1\.25×/);
    });

    it("renders docs/performance.md whole: how to run it, the tables, what they mean", () => {
        const page = performancePage(results);
        assert.match(page, /^<!-- Recorded by `npm run bench -- --record`/);
        assert.match(page, /\n## Recording a run\n[\s\S]*```sh\nnpm run bench -- --record\n```/);
        assert.match(page, /\n# Performance\n/);
        assert.ok(page.includes(table), "the page holds the same tables as bench/results.md");
        assert.match(page, /\n## What the numbers mean\n/);
    });

    it("shows the offline labs' start-up time when the results have it", () => {
        assert.match(table, /\| every lab \| directory, hello, audio, webService \| 2500\.0 ms \| 2900\.0 ms \| 2400\.0 ms \|/);
        assert.doesNotMatch(markdown({ ...results, labStart: undefined }), /\| npm start \|/);
    });

    it("gives the README the ratios to the floor, and links the whole report", () => {
        const summary = readmeSummary(results);
        assert.match(summary, /\| 50 files × 100, 0 ms round trip \| 1\.08× \| 1\.08× \|/);
        assert.match(summary, /\| 1,500 files × 1, 20 ms round trip \| 1\.25× \| 1\.25× \|/);
        assert.match(summary, /\[docs\/performance\.md\]\(docs\/performance\.md\)/);
    });
});

describe("benchmark pages in the tree", () => {
    const saved = JSON.parse(fs.readFileSync(path.join(ROOT, "bench", "results.json"), "utf8")) as BenchResults;

    it("bench/results.md, docs/performance.md and the README's table are rendered from bench/results.json (npm run bench -- --report-only --record)", () => {
        assert.deepEqual(staleArtifacts(ROOT, benchArtifacts(saved)), [], "re-render them: npm run bench -- --report-only --record");
    });
});
