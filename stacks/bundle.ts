import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { threadId } from "node:worker_threads";
import { buildSync, version as esbuildVersion, type BuildOptions } from "esbuild";

/** The project root: entries are given relative to it so bundles do not depend on where a user cloned it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

export interface Bundle {
    /** The minified CommonJS code of the handler and everything it imports. */
    code: string;
    /** The entry file relative to the project root. */
    entry: string;
}

interface CachedBundle {
    bundle: Bundle;
    /** Every file esbuild read for it (absolute path) and the SHA-256 of its content then. */
    inputs: Map<string, string>;
}

interface BundleCache {
    bundles: Map<string, CachedBundle>;
    /** esbuild builds run in this process, for the tests that prove the cache is used and invalidated. */
    builds: number;
}

/**
 * Kept on the process, not in this module: the offline resource graph loads the program's modules (stacks/
 * included) afresh for every run, and a module-level cache would go with them, re-bundling every function on
 * every run.
 */
const CACHE_KEY = Symbol.for("cloud-labs.stacks.bundle-cache");
const cache: BundleCache = ((globalThis as Record<symbol, BundleCache | undefined>)[CACHE_KEY] ??= { bundles: new Map(), builds: 0 });

/** esbuild's options for every function: part of the disk cache's key, so a change to them bundles again. */
const BUILD_OPTIONS = {
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    minify: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    // ES module builds first: the AWS SDK's are tree-shakable, which cuts the directory bundle by about a quarter.
    mainFields: ["module", "main"],
    legalComments: "none",
    sourcemap: false,
    charset: "utf8",
    write: false,
    metafile: true,
    logLevel: "silent",
} satisfies BuildOptions;

/**
 * Where bundles of the functions/ entries are kept between processes (npm's conventional cache folder): every
 * test worker, `npm run cost`, `npm run policy` and `pulumi preview` would otherwise bundle every function again.
 */
export const BUNDLE_CACHE_DIR = path.join(PROJECT_ROOT, "node_modules", ".cache", "cloud-labs-bundles");
/**
 * What every disk-cached bundle depends on besides its own inputs: esbuild and its options, and the files that steer
 * how esbuild reads them without being inputs (tsconfig.json; package-lock.json, which changes with every install).
 */
const CACHE_FORMAT = (() => {
    const hash = crypto.createHash("sha256").update(JSON.stringify({ esbuildVersion, BUILD_OPTIONS }));
    for (const file of ["tsconfig.json", "package-lock.json"])
        hash.update("\0").update(contentHash(path.join(PROJECT_ROOT, file)) ?? "none");
    return hash.digest("hex");
})();

/**
 * The Pulumi CLI's language host sets this for a real preview or update: then every bundle is built afresh, so what
 * deploys never depends on a cache file (tests, `npm run cost` and `npm run policy` run under mocks and use it).
 */
const UNDER_PULUMI_ENGINE = () => Boolean(process.env.PULUMI_NODEJS_MONITOR);

/**
 * Bundles one Lambda entry file with esbuild, in process, for Node 22: minified, no source map, no absolute
 * paths in the output, so an unchanged function yields byte-identical code and `pulumi preview` shows no diff.
 * Results are cached, keyed by the entry and the content of every file esbuild read for it: in the process, and
 * for the functions/ entries also on disk (BUNDLE_CACHE_DIR). A bundle is reused only while every one of those files
 * has the content it had when it was built; a changed source file is bundled again.
 */
export function bundle(entry: string): Bundle {
    const relative = path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, entry));
    const cached = cache.bundles.get(relative) ?? readDiskCache(relative);
    if (cached && unchanged(cached.inputs)) {
        cache.bundles.set(relative, cached);
        return cached.bundle;
    }
    const startedAt = Date.now();
    const result = buildSync({ ...BUILD_OPTIONS, entryPoints: [relative] });
    cache.builds++;
    const inputs = new Map<string, string>();
    for (const input of Object.keys(result.metafile.inputs)) {
        const file = path.resolve(PROJECT_ROOT, input);
        inputs.set(file, contentHash(file) ?? "");
    }
    const built: CachedBundle = { bundle: { code: result.outputFiles[0].text, entry: relative }, inputs };
    // A file saved while esbuild ran may have been read before the save and hashed after it: such a bundle is
    // returned but not kept, so the next call builds again.
    // (Date.now() counts whole milliseconds: a file written in the millisecond the build started is not a later save.)
    if (![...inputs.keys()].some((file) => modifiedSince(file, startedAt + 1))) {
        cache.bundles.set(relative, built);
        writeDiskCache(relative, built);
    }
    return built.bundle;
}

/** The cache file of a functions/ entry; none for other entries (a test's scratch entry would only pile up). */
function diskCacheFile(relative: string): string | undefined {
    if (!relative.startsWith(`functions${path.sep}`)) return undefined;
    return path.join(BUNDLE_CACHE_DIR, `${relative.replace(/[\\/]/g, "__")}.json`);
}

interface DiskCacheEntry {
    format: string;
    entry: string;
    /** Input files relative to the project root, with their SHA-256 when bundled. */
    inputs: [string, string][];
    code: string;
}

function readDiskCache(relative: string): CachedBundle | undefined {
    const file = UNDER_PULUMI_ENGINE() ? undefined : diskCacheFile(relative);
    if (!file) return undefined;
    try {
        const saved = JSON.parse(fs.readFileSync(file, "utf8")) as DiskCacheEntry;
        if (saved.format !== CACHE_FORMAT || saved.entry !== relative || typeof saved.code !== "string") return undefined;
        return {
            bundle: { code: saved.code, entry: relative },
            inputs: new Map(saved.inputs.map(([input, hash]) => [path.resolve(PROJECT_ROOT, input), hash])),
        };
    } catch {
        return undefined; // missing or unreadable: bundle afresh
    }
}

function writeDiskCache(relative: string, built: CachedBundle): void {
    const file = UNDER_PULUMI_ENGINE() ? undefined : diskCacheFile(relative);
    if (!file) return;
    const saved: DiskCacheEntry = {
        format: CACHE_FORMAT,
        entry: relative,
        inputs: [...built.inputs].map(([input, hash]) => [path.relative(PROJECT_ROOT, input), hash]),
        code: built.bundle.code,
    };
    try {
        fs.mkdirSync(BUNDLE_CACHE_DIR, { recursive: true });
        // Written aside and renamed: a process reading it at the same moment sees the old file or the new one.
        const aside = `${file}.${process.pid}-${threadId}.tmp`;
        fs.writeFileSync(aside, JSON.stringify(saved));
        fs.renameSync(aside, file);
    } catch {
        // A read-only checkout still bundles; it only cannot keep the result for the next process.
    }
}

/** How many times this process has run esbuild for bundle(): what the cache saved shows in its not growing. */
export function bundleBuilds(): number {
    return cache.builds;
}

function unchanged(inputs: Map<string, string>): boolean {
    for (const [file, hash] of inputs) if (contentHash(file) !== hash) return false;
    return true;
}

function modifiedSince(file: string, since: number): boolean {
    try {
        return fs.statSync(file).mtimeMs >= since;
    } catch {
        return true; // gone since esbuild read it
    }
}

function contentHash(file: string): string | undefined {
    try {
        return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
    } catch {
        return undefined; // gone: the next bundle() builds again and reports the missing import
    }
}

/** Every function entry: functions/<name>/index.ts (functions/shared holds helpers, not a function). */
export function functionEntries(): string[] {
    const dir = path.join(PROJECT_ROOT, "functions");
    return fs
        .readdirSync(dir)
        .filter((name) => fs.existsSync(path.join(dir, name, "index.ts")))
        .sort()
        .map((name) => `functions/${name}/index.ts`);
}
