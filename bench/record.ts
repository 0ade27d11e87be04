/**
 * How a benchmark writes what it measured, so that measuring never leaves the work tree half-updated. Every
 * benchmark CLI (`npm run bench`, and any other under bench/) follows it:
 *
 * - every run prints its tables and writes its results to bench/out/ (ignored by git): `NAME.json`, `NAME.md`;
 *   a plain run changes no tracked file;
 * - `--record` also writes every tracked artifact rendered from the results, all of them or none: the results
 *   themselves, their tables, whole doc pages, and blocks between markers in pages that hold more (the README);
 * - a test renders the artifacts from the recorded results and checks the tree with `staleArtifacts`, so a page
 *   that does not match its recorded results fails `npm test`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CliIo } from "../shared/cli";

/** Where every run writes its results, relative to the repository root (ignored by git). */
export const OUT_DIR = "bench/out";

/** The `--record` flag, in `util.parseArgs` form, to spread into a benchmark's options. */
export const RECORD_OPTION = { record: { type: "boolean" } } as const;

/** The two markers around a block a run records into a page that holds more than the block. */
export interface Markers {
    start: string;
    end: string;
}

/** `<!-- NAME:start (COMMAND) -->` … `<!-- NAME:end -->`: the start marker says which command rewrites the block. */
export function markers(name: string, command: string): Markers {
    return { start: `<!-- ${name}:start (${command}) -->`, end: `<!-- ${name}:end -->` };
}

/** One tracked file a run records, relative to the root: the whole file, or the block between `markers` in it. */
export interface Artifact {
    file: string;
    text: string;
    markers?: Markers;
}

/** Results as a results file holds them: indented JSON and a final line break. */
export function resultsJson(results: unknown): string {
    return `${JSON.stringify(results, null, 2)}\n`;
}

/**
 * The content each file has once `artifacts` are written into the tree at `root` (blocks in the same file applied
 * in turn). Throws, naming the file, when a block's markers are missing, so nothing is written half.
 */
export function renderArtifacts(root: string, artifacts: Artifact[]): Map<string, string> {
    const files = new Map<string, string>();
    for (const a of artifacts) {
        if (!a.markers) {
            files.set(a.file, a.text);
            continue;
        }
        const current = files.get(a.file) ?? fs.readFileSync(path.join(root, a.file), "utf8");
        const start = current.indexOf(a.markers.start);
        const end = current.indexOf(a.markers.end, start);
        if (start < 0 || end < 0) throw new Error(`${a.file} lacks the markers ${a.markers.start} … ${a.markers.end}`);
        files.set(a.file, `${current.slice(0, start)}${a.markers.start}\n${a.text}\n${current.slice(end)}`);
    }
    return files;
}

/** The files of `artifacts` whose content in the tree at `root` is not what the artifacts render (empty when current). */
export function staleArtifacts(root: string, artifacts: Artifact[]): string[] {
    const read = (file: string) => (fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file), "utf8") : undefined);
    return [...renderArtifacts(root, artifacts)].filter(([file, text]) => read(file) !== text).map(([file]) => file);
}

/** Writes a file whole or not at all: to a temporary file beside it, then renamed over it. */
function writeWhole(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
}

/** Writes every artifact once all of them have rendered; returns the files that changed. */
export function recordArtifacts(root: string, artifacts: Artifact[]): string[] {
    const changed = staleArtifacts(root, artifacts);
    const files = renderArtifacts(root, artifacts);
    for (const file of changed) writeWhole(path.join(root, file), files.get(file)!);
    return changed;
}

export interface Run {
    /** The name of the files under bench/out/: `NAME.json` and `NAME.md`. */
    name: string;
    results: unknown;
    /** The tables, as printed. */
    markdown: string;
    /** What `--record` writes (the tracked results file among them). */
    tracked: Artifact[];
    record: boolean;
}

/**
 * The convention in one call: prints the tables on stdout, writes bench/out/NAME.json and NAME.md, and with
 * `record` every tracked artifact; says on stderr what it wrote. Returns the files written, relative to `root`.
 */
export function writeRun(root: string, run: Run, io: Pick<CliIo, "out" | "err">): string[] {
    io.out(run.markdown);
    const out = [`${OUT_DIR}/${run.name}.json`, `${OUT_DIR}/${run.name}.md`];
    writeWhole(path.join(root, out[0]), resultsJson(run.results));
    writeWhole(path.join(root, out[1]), `${run.markdown}\n`);
    io.err(`wrote ${out.join(" and ")} (not tracked by git)`);
    if (!run.record) {
        io.err(`--record would also write ${[...new Set(run.tracked.map((a) => a.file))].join(", ")}`);
        return out;
    }
    const changed = recordArtifacts(root, run.tracked);
    io.err(changed.length ? `recorded ${changed.join(", ")}` : "recorded: every tracked file already held these results");
    return [...out, ...changed];
}
