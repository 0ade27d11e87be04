/** `npm run verify -- --local` against the sign-up lab: stored end to end, and the write-denied exercise named. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { verifyMain } from "../../tools/verify/cli";
import { spawnLab, type LabProcess } from "../helpers/lab-process";

async function runVerify(args: string[]): Promise<{ code: number; stdout: string }> {
    const out: string[] = [];
    const code = await verifyMain(args, { stdout: (l) => out.push(l), stderr: (l) => out.push(l), env: process.env, signal: new AbortController().signal });
    return { code, stdout: out.join("\n") };
}

describe("npm run verify --local: the sign-up lab", function () {
    this.timeout(120_000);
    const running: { lab: LabProcess; dir: string }[] = [];
    after(async () => {
        for (const { lab, dir } of running) {
            lab.child.kill("SIGINT");
            await lab.exited;
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    async function start(...extra: string[]): Promise<string> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-verify-signup-"));
        const lab = spawnLab(["--port", "0", "--lab-dir", dir, "--labs", "signup", ...extra]);
        running.push({ lab, dir });
        await lab.ready;
        return dir;
    }

    it("passes: the page, the 202 with an id, and the sign-up stored", async () => {
        const dir = await start();
        const run = await runVerify(["--local", "--lab-dir", dir]);
        assert.equal(run.code, 0, run.stdout);
        assert.match(run.stdout, /✔ signup · sign-up page/);
        assert.match(run.stdout, /✔ signup · POST \/signup: .*202, id [0-9a-f-]{36}/);
        assert.match(run.stdout, /✔ signup · sign-up stored/);
    });

    it("with --signup-consumer-can-write=false, fails naming the permission the consumer's role lacks", async () => {
        const dir = await start("--signup-consumer-can-write=false");
        const run = await runVerify(["--local", "--lab-dir", dir]);
        assert.equal(run.code, 1, run.stdout);
        assert.match(run.stdout, /✖ signup · sign-up stored: .*the consumer's role lacks dynamodb:PutItem on signups/);
    });
});
