import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { TYPESCRIPT_HOOK } from "../../shared/cli";
import { ROOT } from "../helpers/program";

const { cacheFileOf } = require(TYPESCRIPT_HOOK) as { cacheFileOf(filename: string, source: string): string };

describe("shared/typescript-hook.js (how npm scripts and tests run TypeScript)", function () {
    this.timeout(30_000);

    /** Requires `file` in a new process through the hook, as an npm script does, and returns what it printed. */
    const runInNewProcess = async (file: string) =>
        (await promisify(execFile)(process.execPath, ["-r", TYPESCRIPT_HOOK, file], { cwd: ROOT })).stdout.trim();

    it("runs a changed file's new code, and compiles again a cache file cut short instead of running it empty", async () => {
        fs.mkdirSync(path.join(ROOT, "dist"), { recursive: true });
        const dir = fs.mkdtempSync(path.join(ROOT, "dist", "hook-"));
        try {
            const file = path.join(dir, "answer.ts");
            const write = (answer: number) => {
                const source = `const answer: number = ${answer};\nconsole.log(await0(answer));\nfunction await0(n: number): string { return String(n); }\n`;
                fs.writeFileSync(file, source);
                return source;
            };
            const first = write(1);
            assert.equal(await runInNewProcess(file), "1");
            assert.ok(fs.statSync(cacheFileOf(file, first)).size > 0, "kept on disk");
            write(2);
            assert.equal(await runInNewProcess(file), "2", "the changed file, not the cached code");
            const again = write(1);
            fs.writeFileSync(cacheFileOf(file, again), ""); // as if a crash cut the write short
            assert.equal(await runInNewProcess(file), "1");
            assert.match(fs.readFileSync(cacheFileOf(file, again), "utf8"), /\/\/# sourceMappingURL=/, "and written whole again");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
