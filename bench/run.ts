/**
 * `npm run bench`: measures, in one run, ratios against references measured in the same run (bench/measure.ts),
 * checks them against the targets (bench/targets.ts) and writes them by the benchmarks' convention
 * (bench/record.ts): printed, and saved to bench/out/; with --record also every tracked page rendered from them
 * (bench/report.ts). Not part of `npm test`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type CliIo, EXIT, numberFlag, parseOrUsage, runMain, UsageError } from "../shared/cli";
import { ROOT } from "../shared/resource-graph";
import { measureAll } from "./measure";
import { RECORD_OPTION, writeRun } from "./record";
import { benchArtifacts, markdown, RECORDED_RESULTS } from "./report";
import type { BenchOptions, BenchResults, Measurements } from "./results";
import { targets } from "./targets";

export const USAGE = `Usage: npm run bench -- [--runs N] [--delay MS] [--record] [--report-only]

Measures the directory function against the floor and the lab's reference solution, the functions' bundles, the
program under mocks and npm start (docs/performance.md explains each), prints the tables and writes them with
every figure to bench/out/, which git ignores.

  --runs N        measurements per figure, the median kept (default 5; 1 for a quick look)
  --delay MS      the simulated S3 round trip in ms (default 20)
  --record        also record the run: bench/results.json, bench/results.md, docs/performance.md and the
                  README's table, all together
  --report-only   measure nothing: render the recorded bench/results.json (with --record, rewrite the recorded
                  pages after changing bench/report.ts)
  -h, --help      show this text

Exit codes: 0 measured (a missed target shows as ❌ in the tables; it does not fail the run), 1 the run broke,
2 usage error.`;

const OPTIONS = {
    runs: { type: "string" },
    delay: { type: "string" },
    "report-only": { type: "boolean" },
    ...RECORD_OPTION,
} as const;

export const DEFAULT_OPTIONS: BenchOptions = { delayMs: 20, runs: 5 };

/** What main measures with and writes into; tests pass a temporary tree and made-up measurements. */
export interface BenchDeps {
    root: string;
    measure(options: BenchOptions, progress: (text: string) => void): Promise<Measurements>;
}

export async function main(argv: string[], io: CliIo, deps: BenchDeps = { root: ROOT, measure: measureAll }): Promise<number> {
    const parsed = parseOrUsage(argv, io, OPTIONS, USAGE);
    if (typeof parsed === "number") return parsed;
    const { values } = parsed;
    let options: BenchOptions;
    try {
        if (values["report-only"] && (values.runs !== undefined || values.delay !== undefined)) {
            throw new UsageError("--report-only measures nothing: --runs and --delay do not go with it");
        }
        options = {
            delayMs: values.delay === undefined ? DEFAULT_OPTIONS.delayMs : numberFlag("--delay", values.delay, 0, 10_000),
            runs: values.runs === undefined ? DEFAULT_OPTIONS.runs : numberFlag("--runs", values.runs, 1, 1000, true),
        };
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.err(`${error.message}\n\n${USAGE}`);
        return EXIT.usage;
    }
    let results: BenchResults;
    if (values["report-only"]) {
        results = JSON.parse(fs.readFileSync(path.join(deps.root, RECORDED_RESULTS), "utf8")) as BenchResults;
    } else {
        const measured = await deps.measure(options, (text) => io.err(text));
        results = { ...measured, targets: targets(measured) };
    }
    writeRun(
        deps.root,
        { name: "results", results, markdown: markdown(results), tracked: benchArtifacts(results), record: Boolean(values.record) },
        io,
    );
    return EXIT.ok;
}

if (require.main === module) runMain(main, USAGE);
