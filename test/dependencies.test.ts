/**
 * package.json against the code: every package a .ts file imports is declared, and what the user commands load
 * when they run is a dependency, so `npm ci --omit=dev && npm start` (or `npm run cost`, `pulumi up`) works.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { buildSync } from "esbuild";
import * as ts from "typescript";
import { ROOT } from "./helpers/program";
import { TYPESCRIPT_HOOK } from "../shared/cli";

interface PackageJson {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    scripts: Record<string, string>;
}
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as PackageJson;

/** Scripts for working on the project itself; every other npm script is a user command. */
const DEVELOPMENT_SCRIPTS = ["test", "typecheck", "lint", "format"];
/** Programs run without an npm script: the Pulumi program (`pulumi up`) and the policy pack (`--policy-pack policy`). */
const PULUMI_ENTRIES = ["index.ts", "policy/index.ts"];
/** A string require, also inside code kept as text (local/synthesizer.ts runs its worker's code with eval). */
const STRING_REQUIRE = /\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g;

/** The package a bare specifier names (`@aws-sdk/client-s3/dist` → `@aws-sdk/client-s3`), or undefined for Node's own. */
function packageOf(specifier: string): string | undefined {
    if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) return undefined;
    const parts = specifier.split("/");
    const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
    return builtinModules.includes(name) ? undefined : name;
}

function tsFiles(dir = ROOT, out: string[] = []): string[] {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (["node_modules", ".git", ".labs", "bin", "dist"].includes(entry.name)) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) tsFiles(full, out);
        else if (entry.name.endsWith(".ts")) out.push(full);
    }
    return out;
}

/** Every package `text` imports, requires or imports dynamically, types included. */
function importedPackages(text: string): string[] {
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
    for (const match of text.matchAll(STRING_REQUIRE)) specifiers.push(match[1]);
    return specifiers.map(packageOf).filter((p): p is string => p !== undefined);
}

/** Packages used without being declared; `@types/x` declares the types-only package `x` (e.g. aws-lambda). */
function undeclared(imports: Map<string, Set<string>>, declared: Record<string, string>): string[] {
    return [...imports]
        .filter(([name]) => !(name in declared) && !(`@types/${name}` in declared))
        .map(([name, files]) => `${name} (${[...files].sort().join(", ")})`);
}

/** The packages a command loads when it runs: its entry's import closure (types erased), and the loader it runs under. */
function runTimePackages(entry: string, runner: string): Map<string, Set<string>> {
    const found = new Map<string, Set<string>>();
    const add = (name: string | undefined, from: string) => name && (found.get(name) ?? found.set(name, new Set()).get(name)!).add(from);
    const { metafile } = buildSync({
        absWorkingDir: ROOT,
        entryPoints: [entry],
        bundle: true,
        packages: "external",
        platform: "node",
        write: false,
        metafile: true,
        logLevel: "silent",
    });
    for (const [file, input] of Object.entries(metafile.inputs)) {
        for (const i of input.imports) if (i.external) add(packageOf(i.path), file);
        for (const match of fs.readFileSync(path.join(ROOT, file), "utf8").matchAll(STRING_REQUIRE)) add(packageOf(match[1]), file);
    }
    // The runner of the TypeScript is loaded too: for the npm scripts, what shared/typescript-hook.js requires; for
    // the Pulumi CLI, ts-node and the compiler, which it loads from the project.
    if (runner.includes("typescript-hook.js"))
        for (const match of fs.readFileSync(TYPESCRIPT_HOOK, "utf8").matchAll(STRING_REQUIRE)) add(packageOf(match[1]), runner);
    if (/\bts-node\b/.test(runner)) ["ts-node", "typescript"].forEach((name) => add(name, runner));
    return found;
}

/** Each user command's entry file and how it is run. */
function userCommands(): { name: string; entry: string; runner: string }[] {
    const commands = Object.entries(pkg.scripts)
        .filter(([name]) => !DEVELOPMENT_SCRIPTS.includes(name))
        .map(([name, script]) => {
            const entry = /(\S+\.ts)\b/.exec(script)?.[1];
            assert.ok(entry, `npm run ${name} names no .ts entry: ${script}`);
            return { name: `npm run ${name}`, entry, runner: script };
        });
    return [...commands, ...PULUMI_ENTRIES.map((entry) => ({ name: entry, entry, runner: "ts-node (Pulumi CLI)" }))];
}

describe("package.json against the code", function () {
    this.timeout(60_000);

    it("declares every package any .ts file imports, tests included", () => {
        const imports = new Map<string, Set<string>>();
        for (const file of tsFiles()) {
            for (const name of importedPackages(fs.readFileSync(file, "utf8"))) {
                (imports.get(name) ?? imports.set(name, new Set()).get(name)!).add(path.relative(ROOT, file));
            }
        }
        assert.ok(
            imports.has("@pulumi/pulumi") && imports.has("@grpc/grpc-js"),
            "the scan sees the program's and the analyzer test's imports",
        );
        assert.deepEqual(undeclared(imports, { ...pkg.dependencies, ...pkg.devDependencies }), []);
    });

    it("lists what npm start, npm run cost, the other user commands and pulumi up load at run time in dependencies", () => {
        const commands = userCommands();
        assert.ok(commands.some((c) => c.name === "npm run start" && c.entry === "local/start.ts"));
        const problems: string[] = [];
        for (const command of commands) {
            for (const missing of undeclared(runTimePackages(command.entry, command.runner), pkg.dependencies)) {
                problems.push(
                    `${command.name}: ${missing} is ${missing.split(" ")[0] in pkg.devDependencies ? "a devDependency" : "not declared"}`,
                );
            }
        }
        assert.deepEqual(problems, []);
    });

    it("the checks catch an undeclared package, a string require, and a dev-only package npm start loads", () => {
        assert.deepEqual(
            undeclared(
                new Map([
                    ["left-pad", new Set(["a.ts"])],
                    ["aws-lambda", new Set(["b.ts"])],
                ]),
                { "@types/aws-lambda": "1" },
            ),
            ["left-pad (a.ts)"],
        );
        assert.deepEqual(
            importedPackages('import x from "@scope/pkg/deep"; const y = require("fs"); const code = `require("espeak-ng")`;'),
            ["@scope/pkg", "espeak-ng"],
        );
        const start = runTimePackages("local/start.ts", pkg.scripts.start);
        assert.ok(pkg.scripts.start.includes("-r ./shared/typescript-hook.js"), pkg.scripts.start);
        assert.ok(start.has("s3rver") && start.has("esbuild"), [...start.keys()].join(", "));
        const program = runTimePackages("index.ts", "ts-node (Pulumi CLI)");
        assert.ok(program.has("ts-node") && program.has("typescript"), [...program.keys()].join(", "));
        const withoutS3rver = Object.fromEntries(Object.entries(pkg.dependencies).filter(([name]) => name !== "s3rver"));
        assert.ok(
            undeclared(start, withoutS3rver).some((p) => p.startsWith("s3rver (")),
            "s3rver as a devDependency would be caught",
        );
    });

    it("gives every @aws-sdk client one version", () => {
        const versions = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }).filter(([name]) => name.startsWith("@aws-sdk/"));
        assert.ok(versions.length >= 4, versions.join(", "));
        assert.equal(new Set(versions.map(([, v]) => v)).size, 1, versions.map(([n, v]) => `${n}@${v}`).join(", "));
    });
});
