/**
 * One lab per lab folder: `npm start` takes `<lab dir>/lab.lock`, created exclusively (so of two starts at the same
 * moment exactly one gets it), and gives it back when it stops. A lock left by a lab that is gone, or whose pid
 * now belongs to another program, does not block: a start takes over a lock unless its lab answers on its port, or
 * its owner is alive and still starting up.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { isRunning, readLabState } from "../shared/lab-state";

/** How long a live owner may take to start before its lock counts as stale (ts-node on a busy machine is slow). */
const STARTUP_GRACE_MS = 60_000;

interface LockOwner {
    pid: number;
    /** When the lock was taken (ms since the epoch). */
    since: number;
    /** Tells this lock from a later one taken by a process that got the same pid. */
    token: string;
}

export interface LabLock {
    /** The lock file. */
    file: string;
    /** Removes the lock file if it is still this lock. */
    release(): void;
}

/** Another lab holds the folder: the message says which, and how to recover. */
export class LabBusyError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "LabBusyError";
    }
}

export const labLockFile = (labDir: string) => path.join(labDir, "lab.lock");

export async function acquireLabLock(labDir: string): Promise<LabLock> {
    const file = labLockFile(labDir);
    fs.mkdirSync(labDir, { recursive: true });
    const mine: LockOwner = { pid: process.pid, since: Date.now(), token: crypto.randomBytes(8).toString("hex") };
    for (let attempt = 0; attempt < 5; attempt++) {
        if (create(file, mine)) {
            return {
                file,
                release: () => {
                    if (readOwner(file)?.token === mine.token) fs.rmSync(file, { force: true });
                },
            };
        }
        const owner = readOwner(file);
        const busy = await busyReason(labDir, file, owner);
        if (busy) throw new LabBusyError(busy);
        takeOver(file, owner);
    }
    throw new LabBusyError(`Could not take ${file}: other starts keep taking it. Start one lab at a time.`);
}

/** Creates the lock file with its content in one step: written aside, then hard-linked (fails if it exists). */
function create(file: string, owner: LockOwner): boolean {
    const temp = `${file}.${owner.token}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(owner));
    try {
        fs.linkSync(temp, file);
        return true;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw error;
    } finally {
        fs.rmSync(temp, { force: true });
    }
}

function readOwner(file: string): LockOwner | undefined {
    try {
        const owner = JSON.parse(fs.readFileSync(file, "utf8")) as LockOwner;
        return typeof owner.pid === "number" && typeof owner.token === "string" ? owner : undefined;
    } catch {
        return undefined;
    }
}

/** True when something answers HTTP at the recorded lab server's address. */
async function answers(url: string): Promise<boolean> {
    try {
        const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
        await res.arrayBuffer();
        return true;
    } catch {
        return false;
    }
}

/** Why the folder is taken, or undefined when the lock is stale. */
async function busyReason(labDir: string, file: string, owner: LockOwner | undefined): Promise<string | undefined> {
    const state = readLabState(labDir);
    if (state && (await answers(`${state.url}/`))) {
        return `A lab is already running in ${labDir} (pid ${state.pid}) at ${state.url}: stop it first (Ctrl-C in its terminal, or kill ${state.pid}).`;
    }
    if (owner && owner.pid !== process.pid && isRunning(owner.pid) && Date.now() - owner.since < STARTUP_GRACE_MS) {
        return (
            `Another lab is starting in ${labDir} (pid ${owner.pid}): wait for it, or stop it first. ` +
            `If no lab is running there, remove ${file} and start again.`
        );
    }
    return undefined;
}

/** Moves a stale lock away; if a fresh lock was taken meanwhile, puts that one back. */
function takeOver(file: string, stale: LockOwner | undefined): void {
    const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    try {
        fs.renameSync(file, aside);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
        throw error;
    }
    const moved = readOwner(aside);
    if (moved && moved.token !== stale?.token) {
        try {
            fs.linkSync(aside, file);
        } catch {
            // another start already took the folder: the next attempt sees its lock
        }
    }
    fs.rmSync(aside, { force: true });
}
