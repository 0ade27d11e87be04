/**
 * The web-service container's content, served by a real Apache httpd 2.4 (Debian's apache2) with the same
 * health.conf the image includes; and, where a Docker engine runs, the image itself.
 */
import * as assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../helpers/program";

const APACHE = "/usr/sbin/apache2";
const MODULES = "/usr/lib/apache2/modules";
const CONTEXT = path.join(ROOT, "containers", "httpd");

async function freePort(): Promise<number> {
    const server = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    return port;
}

async function waitForHttp(url: string, child: ChildProcess, log: () => string): Promise<void> {
    for (let i = 0; i < 100; i++) {
        if (child.exitCode !== null) throw new Error(`httpd exited with ${child.exitCode}:\n${log()}`);
        try {
            await fetch(url);
            return;
        } catch {
            await new Promise((r) => setTimeout(r, 100));
        }
    }
    throw new Error(`httpd did not answer at ${url}:\n${log()}`);
}

async function checkSite(base: string): Promise<void> {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    const html = await page.text();
    assert.match(html, /<title>Amazon ECS Sample App<\/title>/);
    assert.match(html, /Congratulations!/);
    assert.match(html, /Your application is now running on a container in Amazon ECS\./);
    assert.doesNotMatch(html, /(src|href)="https?:/, "no external assets");

    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    assert.match(health.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal((await health.text()).trim(), "ok");
}

describe("httpd container content", function () {
    this.timeout(60_000);

    it("a real Apache httpd 2.4 serves the sample page and /health with the right content types", async function () {
        if (!fs.existsSync(APACHE)) {
            throw new Error(`${APACHE} is missing: install Debian's apache2 ('apt-get install apache2'); .ci/run does`);
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-httpd-"));
        const port = await freePort();
        const runAsRoot = process.getuid?.() === 0;
        fs.writeFileSync(
            path.join(dir, "httpd.conf"),
            [
                `ServerRoot "${dir}"`,
                `Listen 127.0.0.1:${port}`,
                `ServerName localhost`,
                `PidFile "${dir}/httpd.pid"`,
                `LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so`,
                `LoadModule authz_core_module ${MODULES}/mod_authz_core.so`,
                `LoadModule mime_module ${MODULES}/mod_mime.so`,
                `LoadModule dir_module ${MODULES}/mod_dir.so`,
                ...(runAsRoot ? ["User www-data", "Group www-data"] : []),
                `TypesConfig /etc/mime.types`,
                `DocumentRoot "${CONTEXT}/htdocs"`,
                `<Directory "${CONTEXT}/htdocs">`,
                `    Require all granted`,
                `</Directory>`,
                `DirectoryIndex index.html`,
                `ErrorLog "${dir}/error.log"`,
                `Include "${CONTEXT}/health.conf"`,
            ].join("\n"),
        );
        const child = spawn(APACHE, ["-f", path.join(dir, "httpd.conf"), "-DFOREGROUND"], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        const log = () => out + (fs.existsSync(path.join(dir, "error.log")) ? fs.readFileSync(path.join(dir, "error.log"), "utf8") : "");
        try {
            await waitForHttp(`http://127.0.0.1:${port}/`, child, log);
            const version = await fetch(`http://127.0.0.1:${port}/`);
            assert.match(version.headers.get("server") ?? "", /Apache\/2\.4/);
            await checkSite(`http://127.0.0.1:${port}`);
        } finally {
            child.kill("SIGTERM");
            await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the Dockerfile pins an exact httpd 2.4 tag, drops root and listens where the service expects", () => {
        const dockerfile = fs.readFileSync(path.join(CONTEXT, "Dockerfile"), "utf8");
        assert.match(dockerfile, /^FROM \S*httpd:2\.4\.\d+(@sha256:[0-9a-f]{64})?$/m, "an exact 2.4.x tag (or digest)");
        assert.match(dockerfile, /^USER www-data$/m);
        assert.match(dockerfile, /Listen 8080/);
        assert.match(dockerfile, /^EXPOSE 8080$/m);
        assert.ok((dockerfile.match(/^RUN /gm) ?? []).length <= 1, "one RUN layer");
    });

    it("builds the image and serves the page when a Docker engine is available", async function () {
        const docker = promisify(execFile);
        try {
            await docker("docker", ["info"], { timeout: 10_000 });
        } catch {
            console.log("      skipped: no Docker engine on this machine (docker info failed); the Apache test above covers the content");
            return this.skip();
        }
        this.timeout(600_000);
        const tag = `cloud-labs-httpd-test:${process.pid}`;
        await docker("docker", ["build", "-t", tag, CONTEXT], { timeout: 540_000 });
        const port = await freePort();
        const { stdout } = await docker("docker", ["run", "-d", "--rm", "-p", `127.0.0.1:${port}:8080`, tag]);
        const id = stdout.trim();
        try {
            for (let i = 0; i < 50; i++) {
                try {
                    await fetch(`http://127.0.0.1:${port}/`);
                    break;
                } catch {
                    await new Promise((r) => setTimeout(r, 200));
                }
            }
            await checkSite(`http://127.0.0.1:${port}`);
        } finally {
            await docker("docker", ["rm", "-f", id]).catch(() => undefined);
            await docker("docker", ["rmi", tag]).catch(() => undefined);
        }
    });
});
