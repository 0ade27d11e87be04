import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { isRunning, readLabState, writeLabState } from "../../shared/lab-state";
import { localS3Client } from "../../shared/local-s3";
import { runLabCli, spawnLab, spawnNpmStart, type LabProcess } from "../helpers/lab-process";
import { portIsFree, waitFor } from "../helpers/wait";
import { ROOT } from "../helpers/program";

/** The lab folder's lock (local/lab-lock.ts), spelled out so this test also runs against a tree without it. */
const labLockFile = (labDir: string) => path.join(labDir, "lab.lock");
const total = async (url: string) => ((await (await fetch(`${url}/users`)).json()) as { total: number }).total;

/** Every file under `dir` (relative paths), leaving out the folders named in `skip`. */
function filesUnder(dir: string, skip: string[] = []): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, entry.name);
            if (skip.includes(p)) continue;
            if (entry.isDirectory()) walk(p);
            else out.push(path.relative(dir, p));
        }
    };
    walk(dir);
    return out.sort();
}

describe("the local lab under bad input and faults", function () {
    this.timeout(120_000);
    const dirs: string[] = [];
    const labs: LabProcess[] = [];
    const tmp = () => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-faults-"));
        dirs.push(d);
        return d;
    };
    // The faults here are the directory lab's and the lab folder's: the audio and web-service labs stay off.
    const directoryLabs = (args: string[]) => (args.includes("--labs") ? args : [...args, "--labs", "directory,hello"]);
    const start = (args: string[]) => {
        const lab = spawnLab(directoryLabs(args));
        labs.push(lab);
        return lab;
    };
    const stop = async (lab: LabProcess) => {
        lab.child.kill("SIGINT");
        return lab.exited;
    };
    afterEach(async () => {
        for (const lab of labs.splice(0)) {
            if (lab.child.exitCode === null && lab.child.signalCode === null) {
                lab.child.kill("SIGKILL");
                await lab.exited;
            }
        }
    });
    after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it("1, 7: keys with ., .. or empty segments, a leading / or nothing are refused; nothing is written outside the bucket", async () => {
        const root = tmp();
        const labDir = path.join(root, "a", "b", "c", "lab");
        const lab = start(["--port", "0", "--lab-dir", labDir]);
        await lab.ready;
        const { s3Endpoint } = readLabState(labDir)!;
        const bucketDir = path.join(labDir, "s3", "directory-data");
        const before = filesUnder(root, [bucketDir]);
        const file = path.join(tmp(), "users_probe.json");
        fs.writeFileSync(file, JSON.stringify([{ name: { first: "Probe", last: "Person" } }]));

        for (const key of ["../../../outside_probe", "./users_dot.json", "/abs_probe.json", "users//x.json", "a/./users_y.json"]) {
            const put = await runLabCli(["put", file, key], labDir);
            assert.equal(put.code, 1, `put ${key}: ${put.output}`);
            assert.match(put.output, new RegExp(`The key "${key.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" (has|starts)`));
            assert.doesNotMatch(put.output, /uploaded/);
        }
        const rm = await runLabCli(["rm", "../../x"], labDir);
        assert.equal(rm.code, 1, rm.output);
        assert.match(rm.output, /The key "\.\.\/\.\.\/x" has a \. or \.\. segment/);
        const empty = await runLabCli(["put", file, ""], labDir);
        assert.equal(empty.code, 1, empty.output);
        assert.match(empty.output, /The key "" is empty/);
        assert.doesNotMatch(empty.output, /bucket already exists/);

        // The S3 endpoint itself, for raw requests (anonymous requests are allowed by s3rver, as in the curl)
        for (const target of [
            "directory-data/..%2F..%2F..%2Fescaped.txt",
            "directory-data/%2Fescaped_abs.txt",
            "directory-data/a%2F%2Fescaped.txt",
            "directory-data/.%2Fescaped_dot.txt",
            "..%2F..%2Fescaped_bucket/escaped.txt",
        ]) {
            const res = await fetch(`${s3Endpoint}/${target}`, { method: "PUT", body: "escaped" });
            assert.equal(res.status, 400, `PUT ${target}: ${res.status} ${await res.text()}`);
        }
        const del = await fetch(`${s3Endpoint}/directory-data/..%2F..%2Flab.json`, { method: "DELETE" });
        assert.equal(del.status, 400);

        assert.deepEqual(filesUnder(root, [bucketDir]), before, "no file appeared or went outside the bucket");
        assert.deepEqual(
            filesUnder(bucketDir).filter((f) => /probe|escaped|dot/.test(f)),
            [],
            "no refused key was stored under another name",
        );
        const ls = await runLabCli(["ls"], labDir);
        assert.match(ls.output, /3 objects in s3:\/\/directory-data/);
        assert.equal(await stop(lab), 0);
    });

    it("2: a re-upload loop under parallel reads never shows a warning for a valid file", async () => {
        const labDir = tmp();
        const lab = start(["--port", "0", "--lab-dir", labDir]);
        const url = await lab.ready;
        const { s3Endpoint, dataBucket: bucket } = readLabState(labDir)!;
        const body = fs.readFileSync(path.join(ROOT, "data", "users_1.json"));
        const s3 = localS3Client(s3Endpoint);
        let reading = true;
        let uploads = 0;
        const uploader = (async () => {
            while (reading) {
                await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "users_1.json" }));
                await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "users_1.json", Body: body, ContentType: "application/json" }));
                uploads++;
            }
        })();
        const warnings: string[] = [];
        const totals = new Set<number>();
        try {
            let next = 0;
            await Promise.all(
                Array.from({ length: 20 }, async () => {
                    while (next < 200) {
                        next++;
                        const res = await fetch(`${url}/users?limit=1`);
                        assert.equal(res.status, 200);
                        const json = (await res.json()) as { total: number; warnings: { key: string; reason: string }[] };
                        totals.add(json.total);
                        for (const w of json.warnings) warnings.push(`${w.key}: ${w.reason}`);
                    }
                }),
            );
        } finally {
            reading = false;
            await uploader;
            s3.destroy();
        }
        assert.ok(uploads > 0, "the file was re-uploaded while the reads ran");
        assert.deepEqual(warnings, [], "no read saw a partial file");
        for (const t of totals) assert.ok(t === 1000 || t === 1500, `total ${t} is with or without users_1.json`);
        assert.equal(await total(url), 1500);
        assert.equal(await stop(lab), 0);
    });

    it("3: two starts at the same moment leave exactly one lab; a running lab refuses a third start and says how to stop it", async () => {
        const labDir = tmp();
        const pair = [start(["--port", "0", "--lab-dir", labDir]), start(["--port", "0", "--lab-dir", labDir])];
        const outcomes = await Promise.all(
            pair.map((lab) => Promise.race([lab.ready.then(() => "ready"), lab.exited.then((code) => `exited ${code}`)])),
        );
        assert.deepEqual([...outcomes].sort(), ["exited 1", "ready"], pair.map((l) => l.output()).join("\n---\n"));
        const running = pair[outcomes.indexOf("ready")];
        const refused = pair[outcomes.indexOf("exited 1")];
        assert.match(refused.output(), /(Another lab is starting|A lab is already running) in /);
        assert.ok(fs.existsSync(labLockFile(labDir)));

        const third = start(["--port", "0", "--lab-dir", labDir]);
        assert.equal(await third.exited, 1);
        const pid = running.child.pid!;
        assert.match(
            third.output(),
            new RegExp(`A lab is already running in .* \\(pid ${pid}\\) at http://127\\.0\\.0\\.1:\\d+: stop it first .*kill ${pid}`),
        );
        assert.equal(await total(await running.ready), 1500, "the running lab still serves");

        assert.equal(await stop(running), 0);
        assert.ok(!fs.existsSync(labLockFile(labDir)), "the lock is given back");
        const after = start(["--port", "0", "--lab-dir", labDir]);
        await after.ready;
        assert.equal(await stop(after), 0);
    });

    it("3: a state file or lock left with a pid that now belongs to another process does not block start", async () => {
        const labDir = tmp();
        // a pid that is alive but no lab: this test process; a URL where nothing listens
        const closed = net.createServer().listen(0, "127.0.0.1");
        await new Promise((r) => closed.once("listening", r));
        const port = (closed.address() as net.AddressInfo).port;
        await new Promise((r) => closed.close(r));
        const nowhere = `http://127.0.0.1:${port}`;
        const leftBehind = {
            pid: process.pid,
            url: nowhere,
            websiteUrl: nowhere,
            apiUrl: nowhere,
            helloWorldApi: `${nowhere}/hello`,
            dataBucket: "directory-data",
            s3Endpoint: nowhere,
        };
        writeLabState(labDir, leftBehind);
        const lab = start(["--port", "0", "--lab-dir", labDir]);
        await lab.ready;
        assert.equal(await stop(lab), 0);

        writeLabState(labDir, leftBehind);
        fs.writeFileSync(labLockFile(labDir), JSON.stringify({ pid: process.pid, since: Date.now() - 3_600_000, token: "left-behind" }));
        const again = start(["--port", "0", "--lab-dir", labDir]);
        await again.ready;
        assert.notEqual(JSON.parse(fs.readFileSync(labLockFile(labDir), "utf8")).token, "left-behind");
        // SIGHUP stops it cleanly too
        again.child.kill("SIGHUP");
        assert.equal(await again.exited, 0);
        assert.ok(!fs.existsSync(labLockFile(labDir)));
        assert.equal(readLabState(labDir), undefined);
    });

    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
        it(`4: killing npm start with ${signal} stops the lab, frees its ports and the folder`, async () => {
            const labDir = tmp();
            const npm = spawnNpmStart(directoryLabs(["--port", "0", "--lab-dir", labDir]));
            labs.push(npm);
            const url = await npm.ready;
            const state = readLabState(labDir)!;
            assert.notEqual(state.pid, npm.child.pid, "the lab runs in a process of its own under npm");
            assert.ok(isRunning(state.pid));
            npm.child.kill(signal);
            try {
                await waitFor(`the lab (pid ${state.pid}) exits`, () => !isRunning(state.pid), 60_000);
            } finally {
                if (isRunning(state.pid)) process.kill(state.pid, "SIGKILL"); // not left running when this fails
            }
            await npm.exited;
            assert.ok(await portIsFree(Number(new URL(url).port)));
            assert.ok(await portIsFree(Number(new URL(state.s3Endpoint).port)));
            assert.equal(readLabState(labDir), undefined);
            assert.ok(!fs.existsSync(labLockFile(labDir)));
        });
    }

    it("5, 6, 7, 8, 9: --lab-dir for npm run lab, the = form, paths from the caller's folder, seed and site messages", async () => {
        const labDir = tmp();
        const seeds = tmp();
        fs.copyFileSync(path.join(ROOT, "data", "users_1.json"), path.join(seeds, "users_1.json"));
        const lab = start([`--port=0`, `--lab-dir=${labDir}`, `--seed-dir=${seeds}`, "--s3-port=0"]);
        const url = await lab.ready;
        assert.match(lab.output(), new RegExp(`seeded with ${seeds.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}/users_\\*\\.json`));
        assert.ok(lab.output().includes(`npm run lab -- --lab-dir ${labDir} rm users_1.json`), lab.output());
        assert.equal(await total(url), 500);

        // 5: npm run lab finds it by --lab-dir (both forms)
        for (const args of [
            [`--lab-dir=${labDir}`, "ls"],
            ["ls", "--lab-dir", labDir],
        ]) {
            const ls = await runLabCli(args, undefined);
            assert.equal(ls.code, 0, ls.output);
            assert.match(ls.output, /1 object in s3:\/\/directory-data/);
        }
        const elsewhere = await runLabCli(["ls"], path.join(labDir, "elsewhere"));
        assert.equal(elsewhere.code, 1);
        assert.match(elsewhere.output, /No local lab is running in .*elsewhere: start one with npm start -- --lab-dir /);

        // 6: put FILE is read from the folder npm was run in (INIT_CWD)
        const callerDir = tmp();
        fs.writeFileSync(path.join(callerDir, "users_rel.json"), JSON.stringify([{ name: { first: "Rel", last: "Ative" } }]));
        const put = await runLabCli(["put", "users_rel.json"], labDir, { INIT_CWD: callerDir });
        assert.equal(put.code, 0, put.output);
        assert.equal(await total(url), 501);

        // 9: malformed escapes, HEAD, a doubled slash
        for (const bad of ["/%E0%A4%A", "/%"]) {
            const res = await fetch(`${url}${bad}`);
            assert.equal(res.status, 400, bad);
            await res.arrayBuffer();
        }
        assert.doesNotMatch(lab.output(), /URIError/);
        const get = await fetch(`${url}/users`);
        await get.arrayBuffer();
        const head = await fetch(`${url}/users`, { method: "HEAD" });
        assert.equal(head.status, 200);
        for (const header of ["content-type", "content-length", "content-encoding"]) {
            assert.equal(head.headers.get(header), get.headers.get(header), header);
        }
        assert.equal((await head.arrayBuffer()).byteLength, 0);
        const doubled = await fetch(`${url}//users`);
        assert.equal(doubled.status, 404);
        assert.doesNotMatch(await doubled.text(), /Employee Directory/);
        assert.equal(await stop(lab), 0);

        // 8: --seed-dir without --reset on a seeded folder is said to be unused
        const other = tmp();
        fs.copyFileSync(path.join(ROOT, "data", "users_2.json"), path.join(other, "users_2.json"));
        const again = start(["--port", "0", "--lab-dir", labDir, "--seed-dir", other]);
        const url2 = await again.ready;
        assert.match(again.output(), /--seed-dir .* was not used: .* already holds the lab's data \(add --reset/);
        assert.equal(await total(url2), 501);
        assert.equal(await stop(again), 0);
    });

    it("6: npm run lab -- put FILE reads FILE from the folder npm was run in", async () => {
        const labDir = tmp();
        const lab = start(["--port", "0", "--lab-dir", labDir]);
        const url = await lab.ready;
        const callerDir = tmp();
        fs.writeFileSync(path.join(callerDir, "users_npm.json"), JSON.stringify([{ name: { first: "Npm", last: "Caller" } }]));
        const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
            const child = spawn("npm", ["--prefix", ROOT, "run", "--silent", "lab", "--", "--lab-dir", labDir, "put", "users_npm.json"], {
                cwd: callerDir,
                env: { ...process.env, INIT_CWD: "" },
                stdio: ["ignore", "pipe", "pipe"],
            });
            let output = "";
            child.stdout.on("data", (d) => (output += d));
            child.stderr.on("data", (d) => (output += d));
            child.on("exit", (code) => resolve({ code, output }));
        });
        assert.equal(result.code, 0, result.output);
        assert.equal(await total(url), 1501);
        assert.equal(await stop(lab), 0);
    });

    it("7: an S3 port in use is named with --s3-port, without a stack trace", async () => {
        const blocker = net.createServer().listen(0, "127.0.0.1");
        await new Promise((r) => blocker.once("listening", r));
        const port = (blocker.address() as net.AddressInfo).port;
        try {
            const lab = start(["--port", "0", "--s3-port", String(port), "--lab-dir", tmp()]);
            assert.equal(await lab.exited, 1);
            assert.match(lab.output(), new RegExp(`Port ${port} is already in use.*--s3-port`));
            assert.doesNotMatch(lab.output(), /EADDRINUSE|\n\s+at /);
        } finally {
            blocker.close();
        }
    });

    it("8: a seed file over the function's 5 MB object limit stops start-up", async () => {
        const seeds = tmp();
        fs.copyFileSync(path.join(ROOT, "data", "users_1.json"), path.join(seeds, "users_1.json"));
        const big = [{ name: { first: "Big", last: "File" }, note: "x".repeat(5 * 1024 * 1024) }];
        fs.writeFileSync(path.join(seeds, "users_2.json"), JSON.stringify(big));
        const lab = start(["--port", "0", "--lab-dir", tmp(), "--seed-dir", seeds]);
        assert.equal(
            await Promise.race([lab.ready.then(() => "ready"), lab.exited.then((code) => `exited ${code}`)]),
            "exited 1",
            lab.output(),
        );
        assert.match(lab.output(), /users_2\.json is \d+ bytes, more than the directory function's 5242880-byte \(5 MB\) limit/);
    });
});
