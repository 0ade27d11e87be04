/**
 * The web-service container's content, served by a real Apache httpd 2.4 (Debian's apache2) with the same
 * health.conf the image includes; and, where a Docker engine runs, the image itself.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { DEFAULT_APACHE, freePort, HTTPD_CONTEXT, startHttpd } from "../../local/httpd";

const CONTEXT = HTTPD_CONTEXT;

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
        if (!fs.existsSync(DEFAULT_APACHE)) {
            throw new Error(`${DEFAULT_APACHE} is missing: install Debian's apache2 ('apt-get install apache2'); .ci/run does`);
        }
        // The same httpd the local lab runs: content staged where httpd's user can read it, wherever the checkout is.
        const httpd = await startHttpd({ port: 0 });
        try {
            const version = await fetch(`${httpd.url}/`);
            assert.match(version.headers.get("server") ?? "", /Apache\/2\.4/);
            await checkSite(httpd.url);
        } finally {
            await httpd.close();
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
