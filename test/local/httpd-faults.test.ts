/**
 * The web-service lab's httpd under faults: the lab's Node killed with -9, httpd's parent killed, httpd stopped from
 * outside, a bad --apache. httpd never outlives the lab or holds its port, and the other labs run on.
 */
import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort, HttpdNotStartedError, resolveApache, startHttpd } from "../../local/httpd";
import { spawnLab, type LabProcess } from "../helpers/lab-process";
import { portIsFree, waitFor } from "../helpers/wait";
import { ROOT } from "../helpers/program";
import { TYPESCRIPT_HOOK } from "../../shared/cli";

const APACHE = "/usr/sbin/apache2";
const serviceOf = (out: string) => {
    const match = /Service\s+http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
    assert.ok(match, out);
    return { port: Number(match[1]), pid: Number(/Apache httpd, pid (\d+)/.exec(out)?.[1]) };
};
/** True while `pid` runs (a zombie no init has reaped yet does not count: it holds no port). */
function isRunning(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
        return false;
    }
}
/** Kills what a failed test leaves: httpd's process group, or the process where it leads none. */
function killGroup(pid: number): void {
    try {
        process.kill(-pid, "SIGKILL");
    } catch {
        process.kill(pid, "SIGKILL");
    }
}
const staged = (tmp: string) => fs.readdirSync(tmp).filter((f) => f.startsWith("cloud-labs-httpd-"));

describe("the web-service lab's httpd under faults", function () {
    this.timeout(180_000);
    const dirs: string[] = [];
    const labs: LabProcess[] = [];
    const others: ChildProcess[] = [];
    const tmp = () => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-httpd-faults-"));
        fs.chmodSync(d, 0o755); // a TMPDIR for the lab: www-data must enter it
        dirs.push(d);
        return d;
    };
    const start = (args: string[], env: Record<string, string> = {}) => {
        const lab = spawnLab(["--port", "0", "--labs", "hello,webService", ...args], env);
        labs.push(lab);
        return lab;
    };
    const stop = async (lab: LabProcess) => {
        lab.child.kill("SIGINT");
        return lab.exited;
    };
    before(() => {
        if (!fs.existsSync(APACHE)) throw new Error(`${APACHE} is missing: install it with 'apt-get install apache2'`);
    });
    afterEach(async () => {
        for (const lab of labs.splice(0)) {
            if (lab.child.exitCode === null && lab.child.signalCode === null) {
                lab.child.kill("SIGINT");
                await lab.exited;
            }
        }
        for (const child of others.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
    });
    after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it("kill -9 of the lab's Node stops httpd too; the next start removes its staging folder and serves on the same port", async () => {
        const labDir = tmp();
        const temp = tmp();
        const webPort = await freePort();
        const first = start(["--lab-dir", labDir, "--web-port", String(webPort)], { TMPDIR: temp });
        await first.ready;
        const { pid } = serviceOf(first.output());
        const [left] = staged(temp);
        assert.ok(left, "httpd's staging folder is in TMPDIR");
        first.child.kill("SIGKILL");
        await first.exited;
        try {
            await waitFor(`httpd (pid ${pid}) stops with the lab's Node`, () => !isRunning(pid), 15_000);
        } finally {
            if (isRunning(pid)) killGroup(pid);
        }
        assert.ok(await portIsFree(webPort), "nothing holds the web port");

        const second = start(["--lab-dir", labDir, "--web-port", String(webPort)], { TMPDIR: temp });
        await second.ready;
        assert.match(second.output(), new RegExp(`removed its staging folder ${temp}/${left}`));
        assert.equal((await fetch(`http://127.0.0.1:${webPort}/health`)).status, 200);
        assert.ok(!staged(temp).includes(left), "the old staging folder is gone");
        assert.equal(await stop(second), 0);
        assert.deepEqual(staged(temp), [], "Ctrl-C leaves nothing in TMPDIR");
    });

    it("the next start stops an httpd of its folder left running, and leaves alone another program named in the pid file", async () => {
        const labDir = tmp();
        const webPort = await freePort();
        // What a lab on a machine without setpriv leaves when its Node is killed: httpd re-parented to pid 1.
        const maker = spawn(
            process.execPath,
            [
                "-r",
                TYPESCRIPT_HOOK,
                "-e",
                `require("./local/httpd").startHttpd({ port: ${webPort}, logDir: ${JSON.stringify(path.join(labDir, "httpd"))}, dieWithParent: false })` +
                    `.then((h) => console.log("PID " + h.pid))`,
            ],
            { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
        );
        others.push(maker);
        let out = "";
        maker.stdout.on("data", (d) => (out += d));
        await waitFor("the orphan's httpd is ready", () => /PID \d+/.test(out) || maker.exitCode !== null, 60_000);
        const orphan = Number(/PID (\d+)/.exec(out)?.[1]);
        maker.kill("SIGKILL");
        await new Promise((resolve) => maker.once("exit", resolve));
        try {
            assert.ok(isRunning(orphan), "httpd outlived the Node that started it");
            assert.ok(!(await portIsFree(webPort)));

            const lab = start(["--lab-dir", labDir, "--web-port", String(webPort)]);
            await lab.ready;
            assert.match(
                lab.output(),
                new RegExp(`stopped the lab's own httpd left running by an earlier start \\(pid ${orphan} in ${labDir}/httpd/httpd\\.pid`),
            );
            assert.ok(!isRunning(orphan), "the leftover httpd is stopped");
            assert.equal(serviceOf(lab.output()).port, webPort);
            assert.equal((await fetch(`http://127.0.0.1:${webPort}/`)).status, 200);
            assert.equal(await stop(lab), 0);
        } finally {
            if (isRunning(orphan)) killGroup(orphan);
        }

        // A pid file naming a program that is not this folder's httpd: it is not touched.
        const stranger = spawn("sleep", ["120"], { stdio: "ignore" });
        others.push(stranger);
        fs.mkdirSync(path.join(labDir, "httpd"), { recursive: true });
        fs.writeFileSync(path.join(labDir, "httpd", "httpd.pid"), `${stranger.pid}\n`);
        const again = start(["--lab-dir", labDir, "--web-port", "0"]);
        await again.ready;
        assert.ok(isRunning(stranger.pid!), "another program is never stopped");
        assert.doesNotMatch(again.output(), /stopped the lab's own httpd/);
        assert.equal(await stop(again), 0);
    });

    it("kill -9 of httpd's parent: the lab says so, stops the workers holding the port, and the other labs run on", async () => {
        const lab = start(["--lab-dir", tmp(), "--web-port", "0"]);
        const url = await lab.ready;
        const { pid, port } = serviceOf(lab.output());
        process.kill(pid, "SIGKILL");
        await waitFor("the lab reports httpd's death", () => /Web service lab stopped/.test(lab.output()), 15_000);
        assert.match(
            lab.output(),
            new RegExp(
                `Web service lab stopped: httpd \\(pid ${pid}\\) was killed by SIGKILL \\(from outside httpd: kill -9, or the kernel's OOM killer, which dmesg names\\); http://127\\.0\\.0\\.1:${port}/ no longer answers`,
            ),
        );
        assert.match(lab.output(), /Its error log \(.*httpd-error\.log\) ends:\n {4}\[/);
        assert.match(lab.output(), /The other labs keep running/);
        await waitFor("httpd's workers free its port", () => portIsFree(port), 15_000);
        assert.equal((await fetch(`${url}/hello`)).status, 200);
        assert.equal(await stop(lab), 0);
        assert.ok(await portIsFree(port));
    });

    it("httpd stopped from outside is reported with the lines of this run's error log", async () => {
        const logDir = path.join(tmp(), "httpd");
        const httpd = await startHttpd({ port: 0, logDir });
        try {
            process.kill(httpd.pid, "SIGTERM");
            const why = await httpd.exitedUnexpectedly;
            assert.match(
                why,
                new RegExp(
                    `^httpd \\(pid ${httpd.pid}\\) exited with code 0; ${httpd.url}/ no longer answers\\. Its error log \\(${logDir}/httpd-error\\.log\\) ends:\\n`,
                ),
            );
            assert.match(why, /caught SIGTERM, shutting down/);
        } finally {
            await httpd.close();
        }
        assert.ok(!fs.existsSync(httpd.stageDir));
    });

    it("--apache naming a config file: a message naming the flag, the other labs run, nothing left in TMPDIR", async () => {
        const temp = tmp();
        const lab = start(["--lab-dir", tmp(), "--web-port", "0", "--apache", "/etc/apache2/apache2.conf"], { TMPDIR: temp });
        const url = await lab.ready;
        const out = lab.output();
        assert.match(
            out,
            /Web service lab not started: --apache \/etc\/apache2\/apache2\.conf is not an executable program \(a config file\?\): point --apache at the apache2 binary \(\/usr\/sbin\/apache2 on Debian\/Ubuntu\)/,
        );
        assert.match(out, /Local labs running: hello \(/);
        assert.doesNotMatch(out, /EACCES|spawn|\n\s+at /);
        assert.equal((await fetch(`${url}/hello`)).status, 200);
        assert.deepEqual(staged(temp), [], "nothing staged");
        assert.equal(await stop(lab), 0);
    });

    it("--apache: a folder is refused naming the flag, a bare name is looked up on PATH, nothing is staged", async () => {
        assert.throws(
            () => resolveApache("/etc/apache2"),
            (e: Error) => e instanceof HttpdNotStartedError && /^--apache \/etc\/apache2 is a folder, not a program/.test(e.message),
        );
        assert.equal(resolveApache("apache2", `/nonexistent${path.delimiter}/usr/sbin`), APACHE);
        assert.throws(
            () => resolveApache("no-such-apache", "/usr/sbin:/usr/bin"),
            /Apache httpd is not installed as no-such-apache on PATH \(\/usr\/sbin:\/usr\/bin\)/,
        );
        const temp = tmp();
        const saved = process.env.TMPDIR;
        process.env.TMPDIR = temp;
        try {
            for (const apache of ["/etc/apache2", "/etc/apache2/apache2.conf"]) {
                await assert.rejects(startHttpd({ apache, port: 0, logDir: path.join(temp, "logs") }), HttpdNotStartedError);
            }
            const httpd = await startHttpd({ apache: "apache2", path: "/usr/sbin", port: 0 });
            assert.equal((await fetch(`${httpd.url}/health`)).status, 200);
            await httpd.close();
        } finally {
            if (saved === undefined) delete process.env.TMPDIR;
            else process.env.TMPDIR = saved;
        }
        assert.deepEqual(staged(temp), []);
    });

    it("a failed httpd start shows this run's error log, not earlier runs'", async () => {
        const dir = tmp();
        const fake = path.join(dir, "fake-apache2");
        // An httpd that logs one line naming its run to the config's ErrorLog, then fails.
        fs.writeFileSync(
            fake,
            `#!/bin/sh\nlog=$(sed -n 's/^ErrorLog "\\(.*\\)"$/\\1/p' "$2")\necho "AH00015: run $FAKE_RUN could not bind" >> "$log"\nexit 1\n`,
            { mode: 0o755 },
        );
        const logDir = path.join(dir, "httpd");
        const messages: string[] = [];
        for (const run of ["one", "two"]) {
            process.env.FAKE_RUN = run;
            try {
                await assert.rejects(
                    startHttpd({ apache: fake, port: 0, logDir }),
                    (e: Error) => (messages.push(e.message), e instanceof HttpdNotStartedError),
                );
            } finally {
                delete process.env.FAKE_RUN;
            }
        }
        assert.match(messages[1], /httpd exited \(1\) before it answered[\s\S]*AH00015: run two could not bind/);
        assert.doesNotMatch(messages[1], /run one/);
    });
});
