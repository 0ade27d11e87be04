/**
 * `npm start` and `npm run lab` as command-line tools: main(argv, io) called directly, the shared idiom (strict
 * parsing, both flag spellings, --help on stdout, usage errors on stderr with exit 2), and the lab's supervisor.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CliIo } from "../../shared/cli";

function memoryIo(env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): CliIo & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env, cwd, isTTY: false };
}

describe("npm start -- flags (local/start.ts main)", function () {
    this.timeout(60_000);

    it("--help lists every flag the command takes, in the synopsis and with a line of its own", async () => {
        const { main, OPTIONS } = await import("../../local/start");
        const io = memoryIo();
        assert.equal(await main(["--help"], io), 0);
        assert.deepEqual(io.stderr, []);
        const help = io.stdout.join("\n");
        const [synopsis, described] = help.split("\n\n");
        for (const flag of [...Object.keys(OPTIONS), "help"]) {
            assert.ok(synopsis.includes(`[--${flag}`), `--${flag} is in the synopsis:\n${synopsis}`);
            assert.match(help.slice(synopsis.length), new RegExp(`\\n  --${flag}\\b`), `--${flag} has a line of its own`);
        }
        assert.ok(described !== undefined);
        for (const flag of ["--apache", "--voice", "--web-port", "--s3-port"]) assert.ok(synopsis.includes(flag), flag);
    });

    it("refuses two servers on one port, naming both flags (and which one is a default)", async () => {
        const { main } = await import("../../local/start");
        const cases: [string[], RegExp][] = [
            [["--port", "8090", "--web-port", "8090"], /^--port and --web-port are both 8090/],
            [["--port=8091", "--s3-port=8091"], /^--port and --s3-port are both 8091/],
            [["--s3-port", "8092", "--web-port", "8092"], /^--s3-port and --web-port are both 8092/],
            [["--s3-port", "3000"], /^--port \(by default\) and --s3-port are both 3000/],
            [["--s3-port", "8081"], /^--s3-port and --web-port \(by default\) are both 8081/],
        ];
        for (const [argv, message] of cases) {
            const io = memoryIo();
            assert.equal(await main(argv, io), 2, argv.join(" "));
            assert.match(io.stderr.join("\n"), message, argv.join(" "));
            assert.match(io.stderr.join("\n"), /Usage: npm start/);
            assert.deepEqual(io.stdout, []);
        }
        // without the web-service lab, --web-port is not a server's port
        const io = memoryIo();
        const { startArgs } = await import("../../local/start");
        assert.equal(startArgs({ "s3-port": "8081", labs: "hello" }, io).s3Port, 8081);
    });

    it("usage errors go to stderr with exit 2: unknown flags, bad numbers, unknown labs and voices, missing values", async () => {
        const { main } = await import("../../local/start");
        const cases: [string[], RegExp][] = [
            [["--colour"], /^unknown option --colour/],
            [["--port", "http"], /^--port needs a whole number from 0 to 65,535; received "http"/],
            [["--web-port=70000"], /^--web-port needs a whole number/],
            [["--labs", "directory,ftp"], /^--labs directory,ftp: unknown lab ftp; choose from directory, hello, audio, webService/],
            [["--voice", "Robot"], /^--voice Robot: choose one of .*Joanna/],
            [["--lab-dir"], /^--lab-dir needs a value/],
            [["extra"], /^unexpected argument "extra"/],
        ];
        for (const [argv, message] of cases) {
            const io = memoryIo();
            assert.equal(await main(argv, io), 2, argv.join(" "));
            assert.match(io.stderr[0], message, argv.join(" "));
        }
    });

    it("reads folders from the caller's folder and --apache NAME as a name to look up on PATH", async () => {
        const { startArgs } = await import("../../local/start");
        const io = { cwd: "/home/me/course" };
        const args = startArgs({ "lab-dir": "labs", "seed-dir": "../seed", apache: "apache2" }, io);
        assert.equal(args.labDir, "/home/me/course/labs");
        assert.equal(args.seedDir, "/home/me/seed");
        assert.equal(args.apache, "apache2", "a bare name is kept for the PATH look-up");
        assert.equal(startArgs({ apache: "bin/apache2" }, io).apache, "/home/me/course/bin/apache2");
        assert.equal(startArgs({ apache: "/usr/sbin/apache2" }, io).apache, "/usr/sbin/apache2");
    });
});

describe("npm run lab -- (local/lab-cli.ts main)", function () {
    this.timeout(60_000);

    it("takes both flag spellings anywhere, answers --help on stdout, and refuses bad command lines with exit 2", async () => {
        const { main } = await import("../../local/lab-cli");
        const help = memoryIo();
        assert.equal(await main(["--help"], help), 0);
        assert.match(help.stdout.join("\n"), /^Usage: npm run lab -- .*\n[\s\S]*--bucket NAME[\s\S]*--help/);

        const cases: [string[], RegExp][] = [
            [[], /^a command is missing: ls, rm or put/],
            [["mv", "a", "b"], /^unknown command mv/],
            [["ls", "--colour"], /^unknown option --colour/],
            [["ls", "--bucket"], /^--bucket needs a value/],
            [["rm"], /^rm takes one KEY/],
            [["put", "a", "b", "c"], /^unexpected argument "c"/],
        ];
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-cli-"));
        fs.writeFileSync(
            path.join(dir, "outputs.json"),
            JSON.stringify({ pid: process.pid, url: "http://127.0.0.1:9", s3Endpoint: "http://127.0.0.1:9", dataBucket: "d" }),
        );
        try {
            for (const [argv, message] of cases) {
                const io = memoryIo({}, dir);
                assert.equal(await main(["--lab-dir", dir, ...argv], io), 2, argv.join(" "));
                assert.match(io.stderr[0], message, argv.join(" "));
                assert.match(io.stderr.join("\n"), /Usage: npm run lab/);
            }
            // --lab-dir=DIR after the command, relative to the caller's folder; CLOUD_LABS_DIR when no flag
            for (const [argv, env, cwd] of [
                [["ls", "--lab-dir=."], {}, dir],
                [["ls"], { CLOUD_LABS_DIR: dir }, os.tmpdir()],
            ] as const) {
                const io = memoryIo(env, cwd);
                assert.equal(await main([...argv], io), 1, argv.join(" "));
                assert.match(io.stderr.join("\n"), /The lab's S3 server at http:\/\/127\.0\.0\.1:9 did not answer/);
            }
            const none = memoryIo({}, dir);
            assert.equal(await main(["ls", "--lab-dir", "elsewhere"], none), 1);
            assert.match(none.stderr[0], new RegExp(`No local lab is running in ${dir}/elsewhere: start one with npm start -- --lab-dir`));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("the local lab's supervisor", () => {
    it("stops every part once, last started first, even when one fails, and reports a part that ends by itself", async () => {
        const { Supervisor } = await import("../../local/supervisor");
        const supervisor = new Supervisor();
        const stopped: string[] = [];
        supervisor.add("s3", () => void stopped.push("s3"));
        supervisor.add("httpd", async () => {
            stopped.push("httpd");
            throw new Error("still running");
        });
        supervisor.add("server", async () => void stopped.push("server"));
        const reports: string[] = [];
        let end!: (why: string) => void;
        supervisor.watch(new Promise<string>((resolve) => (end = resolve)), (why) => reports.push(why));
        end("httpd was killed");
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(reports, ["httpd was killed"]);

        let endLater!: (why: string) => void;
        supervisor.watch(new Promise<string>((resolve) => (endLater = resolve)), (why) => reports.push(why));
        const first = supervisor.close();
        const second = supervisor.close();
        await assert.rejects(first, /Could not stop everything: httpd: still running/);
        await assert.rejects(second);
        assert.deepEqual(stopped, ["server", "httpd", "s3"], "each part stopped once, in reverse order");
        endLater("stopped by close");
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(reports, ["httpd was killed"], "an end while closing is not reported");
        assert.throws(() => supervisor.add("late", () => undefined), /after the lab began to close/);
    });
});
