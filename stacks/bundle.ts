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

const cache = new Map<string, Bundle>();

/**
 * Bundles one Lambda entry file with esbuild, in process, for Node 22: minified, no source map, no absolute
 * paths in the output, so an unchanged function yields byte-identical code and `pulumi preview` shows no diff.
 * Results are memoized per process (the program, the build script and the tests bundle each entry once).
 */
export function bundle(entry: string): Bundle {
    const relative = path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, entry));
    const cached = cache.get(relative);
    if (cached) return cached;
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
        logLevel: "silent",
    });
    const built: Bundle = { code: result.outputFiles[0].text, entry: relative };
    cache.set(relative, built);
    return built;
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
