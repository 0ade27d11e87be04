/**
 * The local labs' stand-ins for other machines (DynamoDB, the sign-up consumer) run in worker threads of the lab's
 * process. On AWS they never take CPU from the API that answers visitors; on one small machine they do, unless they
 * yield to it. `npm run surge` starts its labs with CLOUD_LABS_BACKGROUND_NICE=19 so that the accept path and the
 * load generator run first, as on separate machines; a lab started by hand keeps every thread at normal priority.
 */
import * as fs from "node:fs";
import * as os from "node:os";

export const BACKGROUND_NICE_ENV = "CLOUD_LABS_BACKGROUND_NICE";

/** The niceness the environment asks for background threads: a whole number from 0 to 19, 0 when unset. */
export function backgroundNice(env: NodeJS.ProcessEnv = process.env): number {
    const raw = env[BACKGROUND_NICE_ENV];
    if (raw === undefined || raw === "") return 0;
    const nice = Number(raw);
    if (!Number.isInteger(nice) || nice < 0 || nice > 19) {
        throw new Error(`${BACKGROUND_NICE_ENV}=${raw}: give a whole number from 0 (normal priority) to 19 (lowest)`);
    }
    return nice;
}

/**
 * Lowers the CPU priority of the calling thread only (Linux gives each thread its own niceness; the kernel's id of
 * the thread is the last segment of /proc/thread-self). Returns false where that cannot be done (another OS), and
 * then changes nothing: a lab there still runs, with every thread at one priority.
 */
export function niceThisThread(nice: number): boolean {
    if (nice === 0) return true;
    try {
        // Only ever lower the priority: raising it back needs privileges a user may not have.
        if (os.getPriority(0) >= nice) return true;
        const tid = Number(fs.readlinkSync("/proc/thread-self").split("/").pop());
        os.setPriority(tid, nice);
        return os.getPriority(0) === nice;
    } catch {
        return false;
    }
}

/**
 * Creates libuv's thread pool (file system, DNS, crypto) from the calling thread, if nothing has yet. A new thread
 * inherits its creator's niceness and the pool is created at its first use: called on the main thread before a
 * niced worker starts, it keeps that worker's first `fs.promises` call from creating the whole pool at nice 19.
 */
export async function startThreadPoolHere(): Promise<void> {
    await fs.promises.access(__filename);
}
