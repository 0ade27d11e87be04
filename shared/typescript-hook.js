/**
 * How every npm script, test and spawned lab runs the project's TypeScript: `node -r ./shared/typescript-hook.js`.
 * Each .ts file is compiled by esbuild as it is required: no type checking (`npm run typecheck` does that), CommonJS
 * as tsc emits it for this tsconfig (`import()` included, so the lazy imports of local/ and tools/ load TypeScript
 * too), and an inline source map so stack traces name the .ts lines. Starting a command takes a fraction of what
 * ts-node takes. A file is compiled once: the offline resource graph re-requires the program's modules on every
 * run and gets the same code back while the file is unchanged, and other processes read it from the disk cache.
 *
 * `pulumi up` still runs index.ts with ts-node and typescript, which the Pulumi CLI loads from the project.
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const { threadId } = require("node:worker_threads");

const ROOT = path.join(__dirname, "..");
const tsconfig = readTsconfig(path.join(ROOT, "tsconfig.json"));
const OPTIONS = {
    loader: "ts",
    format: "cjs",
    target: `node${process.versions.node}`,
    sourcemap: "inline",
    supported: { "dynamic-import": false },
    tsconfigRaw: { compilerOptions: tsconfig.compilerOptions },
    logLevel: "silent",
};
/**
 * Compiled files are also kept on disk, keyed by the options, esbuild's version, the file's path and its content:
 * the suite and the labs start dozens of processes, and each would otherwise compile the same files again.
 */
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "cloud-labs-typescript");
const ESBUILD_VERSION = JSON.parse(fs.readFileSync(require.resolve("esbuild/package.json"), "utf8")).version;
const OPTIONS_KEY = JSON.stringify({ ESBUILD_VERSION, OPTIONS });
/** filename → the source it was compiled from and the code. */
const compiled = new Map();

/** The disk cache's file for this source at this path. */
function cacheFileOf(filename, source) {
    const key = crypto.createHash("sha256").update(OPTIONS_KEY).update("\0").update(filename).update("\0").update(source).digest("hex");
    return path.join(CACHE_DIR, `${key}.js`);
}

function compile(source, filename) {
    const hit = compiled.get(filename);
    if (hit && hit.source === source) return hit.code;
    const file = cacheFileOf(filename, source);
    let code;
    try {
        code = fs.readFileSync(file, "utf8");
        // Every compiled file ends with its source map: one that does not was cut short (a crash mid-write).
        if (!code.trimEnd().split("\n").pop().startsWith("//# sourceMappingURL=")) throw new Error("incomplete");
    } catch {
        code = require("esbuild").transformSync(source, { ...OPTIONS, sourcefile: filename }).code;
        try {
            fs.mkdirSync(CACHE_DIR, { recursive: true });
            // Written aside (a name of this thread's own) and renamed: a reader sees all of it or nothing.
            const aside = `${file}.${process.pid}-${threadId}.tmp`;
            fs.writeFileSync(aside, code);
            fs.renameSync(aside, file);
        } catch {
            // A read-only checkout still runs; it only compiles again in the next process.
        }
    }
    compiled.set(filename, { source, code });
    return code;
}

/** tsconfig.json as plain JSON (esbuild reads only its compilerOptions); says which file when it is not. */
function readTsconfig(file) {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
        throw new Error(`${file}: shared/typescript-hook.js reads it as plain JSON (no comments): ${error.message}`);
    }
}

Module._extensions[".ts"] = function (module, filename) {
    module._compile(compile(fs.readFileSync(filename, "utf8"), filename), filename);
};
process.setSourceMapsEnabled(true);

module.exports = { cacheFileOf };
