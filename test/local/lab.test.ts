import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { runLabCli, spawnLab } from "../helpers/lab-process";
import { portIsFree } from "../helpers/wait";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-lab-"));
const total = async (url: string) => ((await (await fetch(`${url}/users`)).json()) as { total: number }).total;

describe("npm start: the local lab", function () {
    this.timeout(90_000);
    const dirs: string[] = [];
    after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
    const labDir = () => {
        const d = tmp();
        dirs.push(d);
        return d;
    };

    it("serves the site and API, takes lab commands from a second terminal, keeps data across restarts, stops cleanly", async () => {
        const dir = labDir();
        const lab = spawnLab(["--port", "0", "--lab-dir", dir, "--labs", "directory,hello"]);
        const url = await lab.ready;
        const port = Number(new URL(url).port);
        assert.match(lab.output(), /S3 endpoint\s+http:\/\/127\.0\.0\.1:\d+\s+bucket: directory-data/);
        assert.match(lab.output(), /aws --endpoint-url http:\/\/127\.0\.0\.1:\d+ s3 rm s3:\/\/directory-data\/users_1\.json/);

        const page = await fetch(`${url}/`);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /Employee Directory/);
        assert.equal(await (await fetch(`${url}/config.js`)).text(), `window.LAB_CONFIG = {"apiUrl":"${url}"};\n`);
        assert.deepEqual(await (await fetch(`${url}/hello`)).json(), { message: "hello world" });
        assert.equal((await fetch(`${url}/nope.html`)).status, 404);
        assert.equal(await total(url), 1500);

        const gz = await fetch(`${url}/users`, { headers: { "accept-encoding": "gzip" } });
        assert.equal(gz.headers.get("content-encoding"), "gzip");
        assert.equal(((await gz.json()) as { total: number }).total, 1500, "fetch decodes the gzip body");
        const bad = await fetch(`${url}/users?limit=0`);
        assert.equal(bad.status, 400);

        const ls = await runLabCli(["ls"], dir);
        assert.equal(ls.code, 0, ls.output);
        assert.match(ls.output, /users_1\.json[\s\S]*3 objects in s3:\/\/directory-data/);
        const rm = await runLabCli(["rm", "users_1.json"], dir);
        assert.equal(rm.code, 0, rm.output);
        assert.equal(await total(url), 1000);
        const missing = await runLabCli(["rm", "users_9.json"], dir);
        assert.equal(missing.code, 1);
        assert.match(missing.output, /No object users_9\.json/);

        const extra = path.join(labDir(), "users_extra.json");
        fs.writeFileSync(extra, JSON.stringify([{ name: { first: "Extra", last: "Person" } }]));
        const put = await runLabCli(["put", extra], dir);
        assert.equal(put.code, 0, put.output);
        assert.equal(await total(url), 1001);

        assert.match(lab.output(), /GET \/users 200 \d+ms/);
        assert.match(lab.output(), /GET \/users 400 \d+ms/);

        lab.child.kill("SIGINT");
        assert.equal(await lab.exited, 0);
        assert.ok(await portIsFree(port), "the HTTP port is released");
        assert.ok(!fs.existsSync(path.join(dir, "outputs.json")), "the state file is removed");
        const after = await runLabCli(["ls"], dir);
        assert.equal(after.code, 1);
        assert.match(after.output, /No local lab is running/);

        const again = spawnLab(["--port", "0", "--lab-dir", dir, "--labs", "directory,hello"]);
        const url2 = await again.ready;
        assert.equal(await total(url2), 1001, "files added and deleted survive a restart");
        again.child.kill("SIGTERM");
        assert.equal(await again.exited, 0);

        const reset = spawnLab(["--port", "0", "--lab-dir", dir, "--reset", "--labs", "directory,hello"]);
        assert.equal(await total(await reset.ready), 1500, "--reset starts from the seed");
        reset.child.kill("SIGINT");
        await reset.exited;
    });

    it("prints usage and exits 2 on an unknown flag", async () => {
        const lab = spawnLab(["--colour"]);
        assert.equal(await lab.exited, 2);
        assert.match(lab.output(), /unknown option --colour/);
        assert.match(lab.output(), /Usage: npm start/);
    });

    it("stops start-up naming a malformed seed file and the reason", async () => {
        const seeds = labDir();
        fs.writeFileSync(path.join(seeds, "users_1.json"), "[]");
        fs.writeFileSync(path.join(seeds, "users_2.json"), '{"results": 5}');
        const lab = spawnLab(["--port", "0", "--lab-dir", labDir(), "--seed-dir", seeds]);
        assert.equal(await lab.exited, 1);
        assert.match(lab.output(), /users_2\.json is not a JSON array of users/);
    });

    it("says which port is taken and how to pick another", async () => {
        const blocker = net.createServer().listen(0, "127.0.0.1");
        await new Promise((r) => blocker.once("listening", r));
        const port = (blocker.address() as net.AddressInfo).port;
        try {
            const lab = spawnLab(["--port", String(port), "--lab-dir", labDir(), "--labs", "directory,hello"]);
            assert.equal(await lab.exited, 1);
            assert.match(lab.output(), new RegExp(`Port ${port} is already in use.*--port`));
        } finally {
            blocker.close();
        }
    });
});

describe("local lab seed files", () => {
    it("stop start-up naming an unreadable file, an empty folder, or a malformed file, with the reason", async () => {
        const { readSeedFiles, SeedError } = await import("../../local/lab-server");
        const dir = tmp();
        try {
            assert.throws(
                () => readSeedFiles(dir),
                (e: Error) => e instanceof SeedError && /holds no users_\*\.json file/.test(e.message),
            );
            fs.mkdirSync(path.join(dir, "users_1.json")); // a folder where a file should be: unreadable
            assert.throws(
                () => readSeedFiles(dir),
                (e: Error) => e instanceof SeedError && /users_1\.json cannot be read: EISDIR/.test(e.message),
            );
            fs.rmSync(path.join(dir, "users_1.json"), { recursive: true });
            fs.writeFileSync(path.join(dir, "users_1.json"), "[{");
            assert.throws(() => readSeedFiles(dir), /users_1\.json is not valid JSON/);
            assert.throws(() => readSeedFiles(path.join(dir, "missing")), /cannot be read: ENOENT/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
