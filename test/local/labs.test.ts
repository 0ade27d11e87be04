/**
 * `npm start` with every lab: the banner, the web-service lab's real Apache httpd, the audio bucket from the lab
 * command, Ctrl-C stopping every child; a missing apache2 leaving the other labs running; `--labs` choosing.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { runLabCli, spawnLab } from "../helpers/lab-process";
import { portIsFree } from "../helpers/wait";
import { main as verifyMain } from "../../tools/verify/cli";

const APACHE = "/usr/sbin/apache2";

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

describe("npm start: every lab", function () {
    this.timeout(120_000);
    const dirs: string[] = [];
    after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
    const labDir = () => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-labs-"));
        dirs.push(d);
        return d;
    };

    it("runs all five labs: httpd serves the sample page and /health, the audio bucket takes lab commands, Ctrl-C stops every child", async function () {
        if (!fs.existsSync(APACHE)) throw new Error(`${APACHE} is missing: install it with 'apt-get install apache2'`);
        const dir = labDir();
        const lab = spawnLab(["--port", "0", "--web-port", "0", "--lab-dir", dir]);
        const url = await lab.ready;
        const out = lab.output();
        assert.match(out, /Local labs running: directory, hello, audio, webService, signup \(ready in [\d.]+ s\)/);
        assert.match(out, /Website\s+http:\/\/127\.0\.0\.1:\d+\//);
        assert.match(out, /API\s+http:\/\/127\.0\.0\.1:\d+\/hello/);
        assert.match(out, new RegExp(`Page\\s+${url}/audio\\.html`));
        assert.match(out, new RegExp(`MP3 URLs\\s+${url}/audio-lab/audio/<name>\\.mp3`));
        assert.match(out, /npm run lab -- --lab-dir \S+ put my-text\.txt text\/my-text\.txt --bucket audio-lab/);
        const service = /Service\s+(http:\/\/127\.0\.0\.1:(\d+))\//.exec(out);
        assert.ok(service, out);
        const pid = Number(/Apache httpd, pid (\d+)/.exec(out)?.[1]);
        assert.ok(alive(pid), "httpd runs");

        const page = await fetch(`${service[1]}/`);
        assert.equal(page.status, 200);
        assert.match(page.headers.get("server") ?? "", /Apache\/2\.4/);
        assert.match(await page.text(), /<title>Amazon ECS Sample App<\/title>/);
        const health = await fetch(`${service[1]}/health`);
        assert.equal(health.status, 200);
        assert.match(health.headers.get("content-type") ?? "", /^text\/plain/);
        const state = JSON.parse(fs.readFileSync(path.join(dir, "outputs.json"), "utf8"));
        assert.equal(state.serviceUrl, service[1]);
        assert.equal(state.audioBucket, "audio-lab");
        assert.equal(state.audioUrlPattern, `${url}/audio-lab/audio/<name>.mp3`);

        // The same checks as after a deploy pass on all four local labs (the seed MP3 is waited for).
        const checks: string[] = [];
        const verified = await verifyMain(["--local", "--lab-dir", dir, "--json"], {
            out: (l) => checks.push(l),
            err: (l) => checks.push(l),
            env: process.env,
            cwd: process.cwd(),
            isTTY: false,
        });
        assert.equal(verified, 0, checks.join("\n"));
        const report = JSON.parse(checks.join("\n")) as { checks: { lab: string; ok: boolean }[]; failed: number };
        assert.deepEqual([...new Set(report.checks.map((c) => c.lab))], ["directory", "hello", "audio", "webService", "signup"]);
        assert.equal(report.failed, 0);

        const text = path.join(labDir(), "hi.txt");
        fs.writeFileSync(text, "Hi from the lab command.");
        const putText = await runLabCli(["put", text, "text/hi.txt", "--bucket", "audio-lab"], dir);
        assert.equal(putText.code, 0, putText.output);
        assert.match(putText.output, /uploaded .*hi\.txt to s3:\/\/audio-lab\/text\/hi\.txt/);
        const ls = await runLabCli(["ls", "--bucket=audio-lab"], dir);
        assert.match(ls.output, /text\/hi\.txt[\s\S]*objects? in s3:\/\/audio-lab/);
        const wrong = await runLabCli(["ls", "--bucket", "nope"], dir);
        assert.equal(wrong.code, 1);
        assert.match(
            wrong.output,
            /No bucket nope in the local lab: its buckets are .*audio-lab.*directory-data|directory-data.*audio-lab/,
        );

        lab.child.kill("SIGINT");
        assert.equal(await lab.exited, 0);
        assert.ok(!alive(pid), "httpd is gone");
        assert.ok(await portIsFree(Number(service[2])), "httpd's port is released");
        assert.ok(await portIsFree(Number(new URL(url).port)), "the lab server's port is released");
        assert.ok(!fs.existsSync(path.join(dir, "outputs.json")), "the state file is removed");
        const staged = fs.readdirSync(os.tmpdir()).filter((f) => {
            try {
                return (
                    f.startsWith("cloud-labs-httpd-") &&
                    fs.readFileSync(path.join(os.tmpdir(), f, "httpd.conf"), "utf8").includes(`127.0.0.1:${service[2]}\n`)
                );
            } catch {
                return false; // another test's folder, going away
            }
        });
        assert.deepEqual(staged, [], "httpd's staging folder is removed");
    });

    it("Ctrl-C while the labs are still starting stops httpd too", async function () {
        if (!fs.existsSync(APACHE)) throw new Error(`${APACHE} is missing: install it with 'apt-get install apache2'`);
        const dir = labDir();
        const lab = spawnLab(["--port", "0", "--web-port", "0", "--lab-dir", dir]);
        lab.ready.catch(() => undefined);
        const pidFile = path.join(dir, "httpd", "httpd.pid");
        // httpd writes its pid file as soon as it runs, before the lab is ready.
        const deadline = Date.now() + 60_000;
        while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, "utf8").trim() === "") {
            if (Date.now() > deadline || lab.child.exitCode !== null) throw new Error(`no httpd pid file:\n${lab.output()}`);
            await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
        try {
            lab.child.kill("SIGINT");
            assert.equal(await lab.exited, 0, lab.output());
            assert.ok(!alive(pid), "httpd is gone");
        } finally {
            if (alive(pid)) process.kill(pid, "SIGTERM"); // what the lab failed to do
        }
    });

    it("without apache2 (a bad --apache path) prints the install command and runs the other labs", async () => {
        const lab = spawnLab(["--port", "0", "--web-port", "0", "--lab-dir", labDir(), "--apache", "/nonexistent/apache2"]);
        const url = await lab.ready;
        try {
            const out = lab.output();
            assert.match(
                out,
                /Web service lab not started: Apache httpd is not installed at \/nonexistent\/apache2: install it with 'sudo apt-get install apache2'/,
            );
            assert.match(out, /Local labs running: directory, hello, audio, signup \(/);
            assert.doesNotMatch(out, /Service\s+http/);
            assert.equal((await fetch(`${url}/hello`)).status, 200);
            assert.equal((await fetch(`${url}/audio.html`)).status, 200);
        } finally {
            lab.child.kill("SIGINT");
            assert.equal(await lab.exited, 0);
        }
    });

    it("--labs runs only the labs named; unknown labs, a taken --web-port and a port used twice are refused", async () => {
        const lab = spawnLab(["--port", "0", "--lab-dir", labDir(), "--labs", "audio"]);
        const url = await lab.ready;
        try {
            assert.match(lab.output(), /Local labs running: audio \(/);
            assert.doesNotMatch(lab.output(), /Employee directory|Web service/);
            assert.equal((await fetch(`${url}/users`)).status, 404);
            assert.equal((await fetch(`${url}/`)).status, 404);
            assert.equal((await fetch(`${url}/audio.html`)).status, 200);
        } finally {
            lab.child.kill("SIGINT");
            assert.equal(await lab.exited, 0);
        }
        const bad = spawnLab(["--labs", "directory,ftp"]);
        assert.equal(await bad.exited, 2);
        assert.match(bad.output(), /--labs directory,ftp: unknown lab ftp; choose from directory, hello, audio, webService, signup/);
        const blocker = net.createServer().listen(0, "127.0.0.1");
        await new Promise((resolve) => blocker.once("listening", resolve));
        const taken = (blocker.address() as net.AddressInfo).port;
        try {
            const busy = spawnLab(["--port", "0", "--web-port", String(taken), "--lab-dir", labDir(), "--labs", "hello,webService"]);
            assert.equal(await busy.exited, 1);
            assert.match(busy.output(), new RegExp(`Port ${taken} is already in use.*--web-port`));
        } finally {
            blocker.close();
        }
        const same = spawnLab(["--port", "8090", "--web-port", "8090"]);
        assert.equal(await same.exited, 2);
        assert.match(same.output(), /--port and --web-port are both 8090/);
    });
});

describe("web-service lab's httpd staging", function () {
    this.timeout(60_000);

    it("serves from a world-readable copy, and says why when the temp folder sits under a folder www-data cannot enter", async () => {
        if (!fs.existsSync(APACHE)) throw new Error(`${APACHE} is missing: install it with 'apt-get install apache2'`);
        const { HTTPD_CONTEXT, startHttpd } = await import("../../local/httpd");
        // The content in a checkout under a private (0700) folder, as in /root or a home folder.
        const checkout = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-checkout-"));
        fs.chmodSync(checkout, 0o700);
        fs.cpSync(HTTPD_CONTEXT, path.join(checkout, "containers", "httpd"), { recursive: true });
        const httpd = await startHttpd({ port: 0, context: path.join(checkout, "containers", "httpd") }).finally(() =>
            fs.rmSync(checkout, { recursive: true, force: true }),
        );
        try {
            assert.equal((fs.statSync(httpd.stageDir).mode & 0o777).toString(8), "755");
            assert.equal((await fetch(`${httpd.url}/`)).status, 200);
        } finally {
            await httpd.close();
        }
        assert.ok(!fs.existsSync(httpd.stageDir), "the staging folder is removed on close");

        const closed = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-closed-"));
        fs.chmodSync(closed, 0o700);
        const saved = process.env.TMPDIR;
        process.env.TMPDIR = closed;
        try {
            const started = startHttpd({ port: 0 });
            if (process.getuid?.() === 0) {
                // Root's httpd serves as www-data, which cannot enter `closed`.
                await assert.rejects(
                    started,
                    new RegExp(`httpd serves as www-data, which cannot enter ${closed} \\(mode 0700\\?\\).*set TMPDIR`),
                );
                assert.deepEqual(fs.readdirSync(closed), [], "nothing is left staged");
            } else {
                // Anyone else's httpd serves as that user, who can read their own folder.
                await (await started).close();
            }
        } finally {
            if (saved === undefined) delete process.env.TMPDIR;
            else process.env.TMPDIR = saved;
            fs.rmSync(closed, { recursive: true, force: true });
        }
    });
});
