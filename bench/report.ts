/**
 * Renders `npm run bench` results: the tables (bench/results.md, and the README's Performance section between
 * its markers) and the whole docs/performance.md page, and names the tracked files `--record` writes them to.
 * Pure functions of the results, so `--report-only` re-renders from bench/results.json without measuring.
 */
import { type Artifact, markers, resultsJson } from "./record";
import type { BenchResults } from "./results";

/** Warm medians are taken over this many times the runs: warm calls are short, so a moment's load weighs more. */
export const WARM_SAMPLES_FACTOR = 3;

/** Load-time differences below this are within the noise of starting a process. */
const NOISE_MS = 10;

const f1 = (n: number) => n.toFixed(1);
const runsOf = (n: number) => `${n} run${n === 1 ? "" : "s"}`;
const ratio = (n: number) => `${n.toFixed(2)}×`;
const requests = (m: { lists: number; gets: number }) => `${m.lists}L+${m.gets}G`;

/** The measured tables and the targets, as Markdown. */
export function markdown(results: BenchResults): string {
    const m = results.machine;
    const lines = [
        `Measured ${m.date} on ${m.cpus} × ${m.cpu}, ${m.memoryGb} GB, Node ${m.node}; S3 round trip simulated as ${results.options.delayMs} ms, median of ${runsOf(results.options.runs)} (warm: ${WARM_SAMPLES_FACTOR * results.options.runs}), the handler and the floor interleaved in the same run.`,
        "",
        "| case | baseline (reference solution) | floor, cold | ours, cold | ours ÷ floor, cold | floor, warm | ours, warm | ours ÷ floor, warm | ours, warm after 1 file changed | cold speedup over baseline | peak RSS, cold, own process | S3 requests: baseline / cold / warm / changed | body raw → gzip |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ...results.directory.map(
            (c) =>
                `| ${c.name} | ${f1(c.baseline.medianMs)} ms (${c.baseline.records} records) | ${f1(c.floorCold.medianMs)} ms | ${f1(c.cold.medianMs)} ms | ${ratio(c.coldVsFloor)} | ` +
                `${f1(c.floorWarm.medianMs)} ms | ${f1(c.warm.medianMs)} ms | ${ratio(c.warmVsFloor)} | ${f1(c.warmAfterChange.medianMs)} ms | ${c.coldSpeedup.toFixed(1)}× | ${c.peakRssMb.toFixed(0)} MB | ` +
                `${requests(c.baseline)} / ${requests(c.cold)} / ${requests(c.warm)} / ${requests(c.warmAfterChange)} | ` +
                `${(c.rawBytes / 1024).toFixed(0)} KB → ${(c.gzipBytes / 1024).toFixed(0)} KB (${((100 * c.gzipBytes) / c.rawBytes).toFixed(0)}%) |`,
        ),
        "",
        "50 files × 100 by simulated round trip. The floor (`bench/floor.ts`) lists, then fetches every changed file of a listing page in one parallel wave, and merges: ours ÷ floor is what the handler costs beyond that.",
        "",
        "| round trip | floor, cold | ours, cold | ours ÷ floor, cold | floor, warm | ours, warm | ours ÷ floor, warm | baseline | cold speedup over baseline |",
        "|---|---|---|---|---|---|---|---|---|",
        ...results.sweep.map(
            (c) =>
                `| ${c.delayMs} ms | ${f1(c.floorCold.medianMs)} ms | ${f1(c.cold.medianMs)} ms | ${ratio(c.coldVsFloor)} | ${f1(c.floorWarm.medianMs)} ms | ${f1(c.warm.medianMs)} ms | ${ratio(c.warmVsFloor)} | ` +
                `${f1(c.baseline.medianMs)} ms | ${c.coldSpeedup.toFixed(1)}× |`,
        ),
        "",
        `Load times are a fresh \`node -e 'require(…)'\` less Node's own start (${f1(results.bundles[0]?.nodeStartMs ?? 0)} ms here), median of ${Math.max(9, results.options.runs * 3)}.`,
        "",
        "| function | bundle | load bundled | load unbundled from node_modules | unbundled ÷ bundled |",
        "|---|---|---|---|---|",
        ...results.bundles.map((b) => {
            // Below a few ms the difference of two process start-ups is noise: say so instead of a ratio.
            const noise = Math.min(b.bundledLoadMs, b.unbundledLoadMs) < NOISE_MS;
            const ms = (v: number) => (v < NOISE_MS ? `< ${NOISE_MS} ms` : `${f1(v)} ms`);
            return `| ${b.fn} | ${b.bundleKb.toFixed(0)} KB | ${ms(b.bundledLoadMs)} | ${ms(b.unbundledLoadMs)} | ${noise ? "within noise" : `${b.loadSpeedup.toFixed(2)}×`} |`;
        }),
        "",
        "| stack | program under mocks | resources |",
        "|---|---|---|",
        ...results.program.map((p) => `| ${p.stack} | ${f1(p.medianMs)} ms | ${p.resources} |`),
        "",
        // Older results.json files (--report-only) have no start-up figures.
        ...(results.labStart
            ? [
                  "| npm start | labs | start to ready (median) | slowest | the lab's own figure |",
                  "|---|---|---|---|---|",
                  `| every lab | ${results.labStart.labs} | ${f1(results.labStart.medianMs)} ms | ${f1(results.labStart.maxMs)} ms | ${f1(results.labStart.reportedMs)} ms |`,
                  "",
              ]
            : []),
        "Targets:",
        ...results.targets.map((t) => `- ${t.pass ? "✅" : "❌"} ${t.target}: ${t.measured}`),
    ];
    return lines.join("\n");
}

/** The README's short table: the directory function's cost beyond the floor, cold and warm, per case. */
export function readmeSummary(results: BenchResults): string {
    const rows = [
        ...results.sweep.map((c) => `| 50 files × 100, ${c.delayMs} ms round trip | ${ratio(c.coldVsFloor)} | ${ratio(c.warmVsFloor)} |`),
        ...results.directory
            .filter((c) => !c.name.startsWith("50 files"))
            .map((c) => `| ${c.name}, ${results.options.delayMs} ms round trip | ${ratio(c.coldVsFloor)} | ${ratio(c.warmVsFloor)} |`),
    ];
    return [
        `Measured ${results.machine.date} on ${results.machine.cpus} cores (median of ${runsOf(results.options.runs)}); the whole report is [docs/performance.md](docs/performance.md).`,
        "",
        "| directory function, `GET /users` | ours ÷ floor, cold | ours ÷ floor, warm |",
        "|---|---|---|",
        ...rows,
    ].join("\n");
}

/** The README's block, between these markers. */
export const README_MARKERS = markers("bench", "npm run bench -- --record");
/** The page `--record` writes, whole. */
export const PERFORMANCE_PAGE = "docs/performance.md";
/** The recorded results, relative to the root. */
export const RECORDED_RESULTS = "bench/results.json";

/** Every tracked file `npm run bench -- --record` writes, rendered from `results`. */
export function benchArtifacts(results: BenchResults): Artifact[] {
    return [
        { file: RECORDED_RESULTS, text: resultsJson(results) },
        { file: "bench/results.md", text: `${markdown(results)}\n` },
        { file: PERFORMANCE_PAGE, text: performancePage(results) },
        { file: "README.md", text: readmeSummary(results), markers: README_MARKERS },
    ];
}

/** docs/performance.md: how to run the benchmark, the tables, and what they mean. */
export function performancePage(results: BenchResults): string {
    return `<!-- Recorded by \`npm run bench -- --record\` from bench/results.json (rendered by bench/report.ts); edit the renderer, not this page. -->
# Performance

\`npm run bench\` (not part of \`npm test\`) measures, in one run, the directory function against two references,
both against s3rver behind a loopback proxy that adds a fixed delay to every request to stand for S3's round trip
(s3rver and the proxy run in their own process):

- the **floor** (\`bench/floor.ts\`): the least work a strongly fresh merge can do — list, fetch every new or
  changed file of each listing page in one parallel wave, merge. *Ours ÷ floor* is what the function costs beyond
  that, measured with the same client, server and delay, the two interleaved run by run so the machine's load
  falls on both alike;
- the **baseline**: a faithful port of the lab's reference solution (\`bench/reference-solution.ts\`: one
  ListObjectsV2, then one GetObject per file in sequence).

It also runs the deployed bundle of the directory function in a fresh Node process, as Lambda does, for its peak
memory (max RSS) over a cold invocation; measures each function's bundle (size, and load time in a fresh Node
process against the same code unbundled from \`node_modules\`); and runs the whole program under mocks per stack.
\`--delay MS\` and \`--runs N\` change the setup (\`--runs 1\` for a quick look).

## Recording a run

A plain \`npm run bench\` prints the tables and writes them, with every figure, to \`bench/out/\`, which git
ignores: measuring never changes a tracked file. To record a run, so that it becomes the one this page shows:

\`\`\`sh
npm run bench -- --record
\`\`\`

\`--record\` writes \`bench/results.json\`, \`bench/results.md\`, this page and the table in the README together,
all from the same run, and a docs test checks that they agree. Record on a quiet machine with the default five
runs. After changing how results are rendered (\`bench/report.ts\`), re-render the recorded pages from
\`bench/results.json\` without measuring:

\`\`\`sh
npm run bench -- --report-only --record
\`\`\`

## The last recorded run

${markdown(results)}

## What the numbers mean

Cold, the function lists the data files a page (up to 1,000 keys) at a time and, as each page arrives, fetches
all of its files in one wave while the listing goes on; its S3 client keeps up to 1,001 connections open (one
wave and the listing), so the wave is not queued behind the SDK's default pool of 50. At most one page of GETs is
in flight, so at most one page of bodies is held unparsed. A cold request therefore costs about two round trips
(one LIST, one wave of GETs) whatever the number of files, like the floor; the reference solution costs one round
trip per file and stops at the first 1,000 keys. Warm, with nothing changed, the function makes one LIST per
1,000 keys and no GET; a changed file costs one GET.

Against s3rver, part of every measurement is the emulator's own service time: it serves requests one at a time
at a few milliseconds of CPU each, which no client parallelism removes, so with little or no added delay the
floor, the function and even the baseline are close, and the gaps open as the round trip grows. S3 serves
thousands of GETs a second per prefix, so there the round trip dominates. The 1,500-file case is the one where a
wave is 1,000 GETs; its peak RSS is the whole function process (Node, the SDK, 1,000 sockets and the parsed data)
against the 256 MB the function is given.

\`npm start\` with every lab is timed from spawning the process to its banner. The audio lab does not slow the
start: the speech function's code and Polly's SDK load on the first upload, the synthesizer's worker starts on
the first text, and the seed text is spoken in the background after the lab is ready; httpd starts alongside the
other servers.

Gzip cuts the seed response to under a fifth. The bundles are single minified files with the AWS SDK tree-shaken
from its ES modules: a cold start reads and compiles one file of a few hundred KB instead of hundreds of files
from \`node_modules\`; the load table shows what that saved in this run (a fresh process's own start-up,
subtracted there, is most of a Node cold start).
`;
}
