/**
 * How every npm script, test and spawned lab runs the project's TypeScript: `node -r ./shared/typescript-hook.js`.
 * Each .ts file is compiled by esbuild as it is required: no type checking (`npm run typecheck` does that), CommonJS
 * as tsc emits it for this tsconfig (`import()` included, so the lazy imports of local/ and tools/ load TypeScript
 * too), and an inline source map so stack traces name the .ts lines. Starting a command takes a fraction of what
 * ts-node takes. A file is compiled once per process: the offline resource graph re-requires the program's
 * modules on every run, and gets the same code back while the file is unchanged.
 *
 * `pulumi up` still runs index.ts with ts-node and typescript, which the Pulumi CLI loads from the project.
 */
"use strict";
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const { transformSync } = require("esbuild");

const tsconfig = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "tsconfig.json"), "utf8"));
/** filename → the source it was compiled from and the code. */
const compiled = new Map();

function compile(source, filename) {
    const hit = compiled.get(filename);
    if (hit && hit.source === source) return hit.code;
    const { code } = transformSync(source, {
        loader: "ts",
        format: "cjs",
        target: `node${process.versions.node}`,
        sourcefile: filename,
        sourcemap: "inline",
        supported: { "dynamic-import": false },
        tsconfigRaw: { compilerOptions: tsconfig.compilerOptions },
        logLevel: "silent",
    });
    compiled.set(filename, { source, code });
    return code;
}

Module._extensions[".ts"] = function (module, filename) {
    module._compile(compile(fs.readFileSync(filename, "utf8"), filename), filename);
};
process.setSourceMapsEnabled(true);
