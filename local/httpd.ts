/**
 * The web-service container's content (containers/httpd: htdocs/ and health.conf) served by a real Apache httpd
 * 2.4, Debian's `apache2`, as a child process on loopback. Used by the local lab and the container test.
 *
 * Debian's apache2 started as root serves as www-data, which cannot read a checkout under a 0700 parent (a home
 * folder, /root). So the document root, health.conf and the generated config are staged into a fresh folder under
 * the OS temp folder that www-data can read (0755, files 0644), removed when httpd stops.
 *
 * httpd must not outlive the lab: it runs in a process group of its own (its workers with it), stopped as a group;
 * where util-linux's `setpriv` exists it is started with a parent-death signal, so a `kill -9` of Node stops it
 * too; and a start with a `logDir` first stops an httpd of that folder left running by an earlier start (its pid
 * file and staging record are in `logDir`) and removes the staging folder it left.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** containers/httpd: the image's build context. */
export const HTTPD_CONTEXT = path.resolve(__dirname, "..", "containers", "httpd");
export const DEFAULT_APACHE = "/usr/sbin/apache2";
export const DEFAULT_APACHE_MODULES = "/usr/lib/apache2/modules";
/** What to run where `apache2` is missing (.ci/run does the same). */
export const APACHE_INSTALL_COMMAND = "sudo apt-get install apache2";

export interface HttpdOptions {
    /** The apache2 binary: a path, or a name without a slash looked up on PATH. @default "/usr/sbin/apache2" */
    apache?: string;
    /** Folder of Apache's modules (mod_mpm_event.so …). @default "/usr/lib/apache2/modules" */
    modulesDir?: string;
    /** Folder holding htdocs/ and health.conf. @default containers/httpd */
    context?: string;
    /** Loopback port. @default 0 (a free port) */
    port?: number;
    /** Where httpd's pid file and error log go. @default the staging folder (removed on stop) */
    logDir?: string;
    /** How long to wait for httpd to answer /health, in ms. @default 15000 */
    readyTimeoutMs?: number;
    /**
     * Start httpd with a parent-death signal (SIGTERM when this process dies, even by `kill -9`), where util-linux's
     * `setpriv` is installed. @default true
     */
    dieWithParent?: boolean;
    /** PATH to look a bare `apache` name up on. @default process.env.PATH */
    path?: string;
}

export interface RunningHttpd {
    /** `http://127.0.0.1:<port>` */
    url: string;
    port: number;
    /** The httpd parent process's pid. */
    pid: number;
    /** The staged document root and config (removed on stop). */
    stageDir: string;
    /** The error log's text so far (this run's only). */
    log(): string;
    /**
     * Resolves, once, with what happened (exit status and the error log's last lines) when httpd exits while it
     * should run; its workers are stopped with it. Stays pending when close() stops it.
     */
    exitedUnexpectedly: Promise<string>;
    /** What the start cleaned up first: an httpd of the same log folder left running by an earlier start, its folder. */
    reaped: string[];
    /** Stops httpd's whole process group, waits for it to exit, removes the staging folder. */
    close(): Promise<void>;
}

/** httpd could not be started, for a reason of its own: the other labs can run without it. */
export class HttpdNotStartedError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "HttpdNotStartedError";
    }
}

/** apache2 is not installed (or not where the option points). */
export class ApacheMissingError extends HttpdNotStartedError {
    constructor(apache: string, where = `at ${apache}`) {
        super(
            `Apache httpd is not installed ${where}: install it with '${APACHE_INSTALL_COMMAND}' (Debian/Ubuntu), or point --apache at the binary`,
        );
        this.name = "ApacheMissingError";
    }
}

/**
 * The apache2 binary `apache` names: a name without a slash is looked up on `searchPath` (as a shell would), a
 * path must be an executable file. Throws naming --apache when it is missing, a folder or not executable (a
 * config file such as /etc/apache2/apache2.conf).
 */
export function resolveApache(apache: string, searchPath = process.env.PATH ?? ""): string {
    if (!apache.includes("/")) {
        const dirs = searchPath.split(path.delimiter).filter(Boolean);
        const found = dirs.map((dir) => path.join(dir, apache)).find((p) => isExecutableFile(p));
        if (!found) throw new ApacheMissingError(apache, `as ${apache} on PATH (${dirs.join(path.delimiter) || "empty"})`);
        return found;
    }
    let stat: fs.Stats;
    try {
        stat = fs.statSync(apache);
    } catch {
        throw new ApacheMissingError(apache);
    }
    const example = `point --apache at the apache2 binary (${DEFAULT_APACHE} on Debian/Ubuntu)`;
    if (stat.isDirectory()) throw new HttpdNotStartedError(`--apache ${apache} is a folder, not a program: ${example}`);
    if (!isExecutableFile(apache)) {
        throw new HttpdNotStartedError(
            `--apache ${apache} is not an executable program (a config file?): ${example}, not at its configuration`,
        );
    }
    return apache;
}

function isExecutableFile(p: string): boolean {
    try {
        if (!fs.statSync(p).isFile()) return false;
        fs.accessSync(p, fs.constants.X_OK);
        return true;
    } catch {
        return false;
    }
}

/** Copies htdocs/ and health.conf into a fresh world-readable temp folder and writes the httpd config there. */
export function stageHttpd(options: { context: string; port: number; modulesDir: string; logDir?: string }): {
    dir: string;
    config: string;
    pidFile: string;
    errorLog: string;
} {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-httpd-"));
    try {
        const htdocs = path.join(dir, "htdocs");
        fs.cpSync(path.join(options.context, "htdocs"), htdocs, { recursive: true });
        fs.copyFileSync(path.join(options.context, "health.conf"), path.join(dir, "health.conf"));
        const logDir = options.logDir ?? dir;
        fs.mkdirSync(logDir, { recursive: true });
        const pidFile = path.join(logDir, "httpd.pid");
        const errorLog = path.join(logDir, "httpd-error.log");
        // httpd appends to its log: start it empty, so what is shown of it is this run's.
        fs.writeFileSync(errorLog, "");
        // Where the next start finds this folder if this process dies without removing it.
        if (options.logDir) fs.writeFileSync(stageRecordFile(options.logDir), `${dir}\n`);
        const runAsRoot = process.getuid?.() === 0;
        const config = path.join(dir, "httpd.conf");
        fs.writeFileSync(
            config,
            [
                `# Generated by cloud-labs (local/httpd.ts): the container's httpd.conf essentials, on loopback.`,
                `ServerRoot "${dir}"`,
                `DefaultRuntimeDir "${dir}"`,
                `Listen 127.0.0.1:${options.port}`,
                `ServerName localhost`,
                `PidFile "${pidFile}"`,
                `LoadModule mpm_event_module ${options.modulesDir}/mod_mpm_event.so`,
                `LoadModule authz_core_module ${options.modulesDir}/mod_authz_core.so`,
                `LoadModule mime_module ${options.modulesDir}/mod_mime.so`,
                `LoadModule dir_module ${options.modulesDir}/mod_dir.so`,
                // Started as root, httpd serves as www-data, as the image's USER does.
                ...(runAsRoot ? ["User www-data", "Group www-data"] : []),
                `TypesConfig /etc/mime.types`,
                `DocumentRoot "${htdocs}"`,
                `<Directory "${htdocs}">`,
                `    Require all granted`,
                `</Directory>`,
                `DirectoryIndex index.html`,
                `ErrorLog "${errorLog}"`,
                `Include "${dir}/health.conf"`,
                ``,
            ].join("\n"),
        );
        // Readable by www-data whatever the checkout's modes and the umask.
        const open = (p: string) => {
            const stat = fs.statSync(p);
            fs.chmodSync(p, stat.isDirectory() ? 0o755 : 0o644);
            if (stat.isDirectory()) for (const entry of fs.readdirSync(p)) open(path.join(p, entry));
        };
        open(dir);
        return { dir, config, pidFile, errorLog };
    } catch (error) {
        fs.rmSync(dir, { recursive: true, force: true });
        if (options.logDir) fs.rmSync(stageRecordFile(options.logDir), { force: true });
        throw error;
    }
}

/** The file in the log folder that names the staging folder of the httpd started with that log folder. */
const stageRecordFile = (logDir: string) => path.join(logDir, "httpd.stage");

/** The first folder above `dir` that others may not enter (so www-data cannot reach `dir`), if any. */
export function closedAncestor(dir: string): string | undefined {
    for (let p = path.dirname(dir); ; p = path.dirname(p)) {
        if ((fs.statSync(p).mode & 0o001) === 0) return p;
        if (path.dirname(p) === p) return undefined;
    }
}

/** A port nothing listens on now, from the OS. */
export async function freePort(): Promise<number> {
    const server = net.createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    return port;
}

/** Fails with a message naming the port when something else listens there (httpd's own message is cryptic). */
async function assertPortFree(port: number): Promise<void> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
        server.once("error", (error: NodeJS.ErrnoException) =>
            reject(
                error.code === "EADDRINUSE"
                    ? new Error(`Port ${port} is already in use: stop what is using it, or pick another with --web-port <port>`)
                    : error,
            ),
        );
        server.listen(port, "127.0.0.1", () => resolve());
    });
    await new Promise((resolve) => server.close(resolve));
}

/** A live process: its pid, process group and command line (zombies, which hold no port, are left out). */
interface ProcessInfo {
    pid: number;
    pgid: number;
    args: string[];
}

/** The live processes of process group `pgid`, from /proc (Linux); undefined where there is no /proc. */
function groupMembers(pgid: number): ProcessInfo[] | undefined {
    let pids: string[];
    try {
        pids = fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name));
    } catch {
        return undefined;
    }
    const members: ProcessInfo[] = [];
    for (const name of pids) {
        try {
            const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
            // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses
            const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            if (Number(pgrp) !== pgid || state === "Z") continue;
            const args = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").filter(Boolean);
            members.push({ pid: Number(name), pgid, args });
        } catch {
            // gone meanwhile
        }
    }
    return members;
}

/** True while any process of group `pgid` runs. */
function groupAlive(pgid: number): boolean {
    const members = groupMembers(pgid);
    if (members) return members.length > 0;
    try {
        process.kill(-pgid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Sends `signal` to every process of group `pgid`; false when none is left. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
    try {
        process.kill(-pgid, signal);
        return true;
    } catch {
        return false;
    }
}

/** Stops process group `pgid`: SIGTERM (httpd stops its workers gracefully), SIGKILL after `graceMs`. */
async function stopGroup(pgid: number, graceMs = 5_000): Promise<void> {
    if (!signalGroup(pgid, "SIGTERM")) return;
    const deadline = Date.now() + graceMs;
    while (groupAlive(pgid)) {
        if (Date.now() > deadline) {
            signalGroup(pgid, "SIGKILL");
            if (Date.now() > deadline + graceMs) return;
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
}

/** True when `args` is an httpd started by this module with a config under `stageDir` or naming `pidFile`. */
function isOurHttpd(args: string[], pidFile: string, stageDir: string | undefined): boolean {
    const config = args[args.indexOf("-f") + 1];
    if (!args.includes("-f") || !config || !/cloud-labs-httpd-[^/]+\/httpd\.conf$/.test(config)) return false;
    if (stageDir && config === path.join(stageDir, "httpd.conf")) return true;
    try {
        return fs.readFileSync(config, "utf8").includes(`PidFile "${pidFile}"`);
    } catch {
        return false;
    }
}

/**
 * Stops the httpd of `logDir` that an earlier start left running (its Node process was killed: a crash, `kill -9`,
 * the OOM killer) and removes the staging folder it left. Only processes of the pid file's process group whose
 * command line is this module's httpd with this folder's config are stopped. Returns what it did, for the output.
 */
export async function reapLeftoverHttpd(logDir: string): Promise<string[]> {
    const pidFile = path.join(logDir, "httpd.pid");
    const recordFile = stageRecordFile(logDir);
    const done: string[] = [];
    let stageDir: string | undefined;
    try {
        stageDir = fs.readFileSync(recordFile, "utf8").trim() || undefined;
    } catch {
        // no record: nothing was left staged by a start of this folder
    }
    let pid: number | undefined;
    try {
        pid = Number(fs.readFileSync(pidFile, "utf8").trim()) || undefined;
    } catch {
        // no pid file
    }
    if (pid !== undefined && pid !== process.pid) {
        // The workers keep the parent's process group (its pid) even when the parent itself is gone.
        const ours = (groupMembers(pid) ?? []).filter((p) => isOurHttpd(p.args, pidFile, stageDir));
        if (ours.length > 0) {
            await stopGroup(pid);
            done.push(
                `stopped the lab's own httpd left running by an earlier start (pid ${pid} in ${pidFile}${ours.length > 1 ? `, with ${ours.length - 1} worker${ours.length > 2 ? "s" : ""}` : ""})`,
            );
        }
    }
    fs.rmSync(pidFile, { force: true });
    if (stageDir && /cloud-labs-httpd-[^/]+$/.test(stageDir) && fs.existsSync(stageDir)) {
        fs.rmSync(stageDir, { recursive: true, force: true });
        done.push(`removed its staging folder ${stageDir}`);
    }
    fs.rmSync(recordFile, { force: true });
    return done;
}

/** Where util-linux's setpriv is, if installed (for the parent-death signal). */
function setprivPath(searchPath: string): string | undefined {
    for (const dir of searchPath.split(path.delimiter).concat(["/usr/bin", "/bin"])) {
        if (dir && isExecutableFile(path.join(dir, "setpriv"))) {
            const probe = spawnSync(path.join(dir, "setpriv"), ["--pdeathsig", "TERM", "--", "true"], { stdio: "ignore" });
            return probe.status === 0 ? path.join(dir, "setpriv") : undefined;
        }
    }
    return undefined;
}

/** The last `count` non-empty lines of `text`, indented, or undefined when there are none. */
function lastLines(text: string, count = 15): string | undefined {
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    return lines.length
        ? lines
              .slice(-count)
              .map((line) => `    ${line}`)
              .join("\n")
        : undefined;
}

/** Stages the content, starts httpd in the foreground, and resolves once `/health` answers 200. */
export async function startHttpd(options: HttpdOptions = {}): Promise<RunningHttpd> {
    const searchPath = options.path ?? process.env.PATH ?? "";
    const apache = resolveApache(options.apache ?? DEFAULT_APACHE, searchPath);
    const reaped = options.logDir ? await reapLeftoverHttpd(options.logDir) : [];
    const port = options.port ? options.port : await freePort();
    if (options.port) await assertPortFree(port);
    const stage = stageHttpd({
        context: options.context ?? HTTPD_CONTEXT,
        port,
        modulesDir: options.modulesDir ?? DEFAULT_APACHE_MODULES,
        logDir: options.logDir,
    });
    const removeStage = () => {
        fs.rmSync(stage.pidFile, { force: true });
        fs.rmSync(stage.dir, { recursive: true, force: true });
        if (options.logDir) fs.rmSync(stageRecordFile(options.logDir), { force: true });
    };
    const closed = process.getuid?.() === 0 ? closedAncestor(stage.dir) : undefined;
    if (closed) {
        removeStage();
        throw new Error(
            `httpd serves as www-data, which cannot enter ${closed} (mode 0700?), a parent of the temp folder ${stage.dir}: set TMPDIR to a folder others can read`,
        );
    }
    const setpriv = options.dieWithParent === false ? undefined : setprivPath(searchPath);
    const httpdArgs = ["-f", stage.config, "-DFOREGROUND"];
    let child: ChildProcess;
    try {
        // A process group of its own (detached): its workers are stopped with it, and Ctrl-C in the terminal reaches
        // only the lab, which stops httpd itself.
        child = setpriv
            ? spawn(setpriv, ["--pdeathsig", "TERM", "--", apache, ...httpdArgs], { stdio: ["ignore", "pipe", "pipe"], detached: true })
            : spawn(apache, httpdArgs, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    } catch (error) {
        removeStage();
        throw new HttpdNotStartedError(`--apache ${apache} could not be run: ${(error as Error).message}`);
    }
    let out = "";
    let spawnError: Error | undefined;
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const ended = new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.once("error", (error) => {
            spawnError = error; // e.g. EACCES: not a program
            resolve();
        });
    });
    const hasEnded = () => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;
    const log = () => out + (fs.existsSync(stage.errorLog) ? fs.readFileSync(stage.errorLog, "utf8") : "");
    const url = `http://127.0.0.1:${port}`;
    const pgid = child.pid;
    // If Node exits without close() (process.exit, an uncaught error), httpd and its workers must not outlive it.
    const killOnExit = () => {
        if (pgid !== undefined) signalGroup(pgid, "SIGTERM");
    };
    process.once("exit", killOnExit);
    let closing = false;
    const close = async () => {
        closing = true;
        process.off("exit", killOnExit);
        // The whole group: workers keep the port after their parent was killed.
        if (pgid !== undefined) await stopGroup(pgid);
        await ended;
        removeStage();
    };
    try {
        await waitForHealth(
            url,
            hasEnded,
            () => (spawnError ? `--apache ${apache} could not be run: ${spawnError.message}` : undefined),
            log,
            options.readyTimeoutMs ?? 15_000,
            stage.dir,
            child,
        );
        if ((await status(`${url}/`)) === 403) throw new HttpdNotStartedError(forbidden(stage.dir, log()));
    } catch (error) {
        await close();
        throw error;
    }
    const exitedUnexpectedly = ended.then(async () => {
        if (closing) return new Promise<string>(() => undefined);
        if (pgid !== undefined) await stopGroup(pgid); // its workers, still holding the port
        const how = child.signalCode
            ? `was killed by ${child.signalCode}${child.signalCode === "SIGKILL" ? " (from outside httpd: kill -9, or the kernel's OOM killer, which dmesg names)" : ""}`
            : `exited with code ${child.exitCode}`;
        const lines = lastLines(log());
        return (
            `httpd (pid ${pgid}) ${how}; ${url}/ no longer answers. ` +
            (lines
                ? `Its error log (${stage.errorLog}) ends:\n${lines}`
                : `Its error log (${stage.errorLog}) says nothing for this run: it was stopped from outside (kill, the OOM killer).`)
        );
    });
    void exitedUnexpectedly.catch(() => undefined);
    return { url, port, pid: pgid!, stageDir: stage.dir, log, exitedUnexpectedly, reaped, close };
}

function forbidden(dir: string, log: string): string {
    return (
        `httpd answers 403 for a file that exists: the user it serves as (www-data when started as root) cannot read ${dir} ` +
        `or a folder above it (a 0700 parent?). httpd's log:\n${log}`
    );
}

/** The status code of a GET (node:http: lighter at start-up than loading fetch). */
function status(url: string): Promise<number> {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
        }).on("error", reject);
    });
}

async function waitForHealth(
    url: string,
    hasEnded: () => boolean,
    spawnFailure: () => string | undefined,
    log: () => string,
    timeoutMs: number,
    stageDir: string,
    child: ChildProcess,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let delay = 20;
    for (;;) {
        if (hasEnded()) {
            throw new HttpdNotStartedError(
                spawnFailure() ??
                    `httpd exited (${child.exitCode ?? child.signalCode}) before it answered. Its output and error log:\n${lastLines(log(), 40) ?? "    (empty)"}`,
            );
        }
        const code = await status(`${url}/health`).catch(() => undefined); // not listening yet
        if (code === 200) return;
        if (code === 403) throw new HttpdNotStartedError(forbidden(stageDir, log()));
        if (code !== undefined) throw new HttpdNotStartedError(`httpd answered ${code} for /health:\n${log()}`);
        if (Date.now() > deadline) throw new HttpdNotStartedError(`httpd did not answer ${url}/health within ${timeoutMs} ms:\n${log()}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 200);
    }
}
