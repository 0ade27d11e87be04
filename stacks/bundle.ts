import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";

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

/**
 * Bundles one Lambda entry file with esbuild, in process, for Node 22: minified, no source map, no absolute
 * paths in the output, so an unchanged function yields byte-identical code and `pulumi preview` shows no diff.
 * Results are cached per process, keyed by the entry and the content of every file esbuild read for it: a
 * program run reuses the bundle of an unchanged function, and a changed source file is bundled again.
 */
export function bundle(entry: string): Bundle {
    const relative = path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, entry));
    const cached = cache.bundles.get(relative);
    if (cached && unchanged(cached.inputs)) return cached.bundle;
    const result = buildSync({
        absWorkingDir: PROJECT_ROOT,
        entryPoints: [relative],
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
    });
    cache.builds++;
    const inputs = new Map<string, string>();
    for (const input of Object.keys(result.metafile.inputs)) {
        const file = path.resolve(PROJECT_ROOT, input);
        inputs.set(file, contentHash(file) ?? "");
    }
    const built: Bundle = { code: result.outputFiles[0].text, entry: relative };
    cache.bundles.set(relative, { bundle: built, inputs });
    return built;
}

/** How many times this process has run esbuild for bundle(): what the cache saved shows in its not growing. */
export function bundleBuilds(): number {
    return cache.builds;
}

function unchanged(inputs: Map<string, string>): boolean {
    for (const [file, hash] of inputs) if (contentHash(file) !== hash) return false;
    return true;
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
