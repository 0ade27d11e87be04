/**
 * Tells when the process that started the local lab goes away.
 * npm runs a script through `sh -c`: killing npm (with a signal it does not forward) leaves node behind under pid 1,
 * so the lab watches its parent and, when that parent is a shell, the shell's parent (npm) too.
 */
import * as fs from "node:fs";
import { isRunning } from "../shared/lab-state";

const SHELLS = new Set(["sh", "dash", "bash", "zsh", "ash", "ksh"]);

/** The parent pid of `pid` and its command name, where /proc tells them (Linux); undefined elsewhere. */
function procInfo(pid: number): { ppid: number; comm: string } | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ")"
        const close = stat.lastIndexOf(")");
        const comm = stat.slice(stat.indexOf("(") + 1, close);
        const ppid = Number(stat.slice(close + 2).split(" ")[1]);
        return Number.isInteger(ppid) ? { ppid, comm } : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Calls `onGone` once when this process's parent exits (this process is re-parented), or when the parent is a shell
 * and the shell's own parent exits. Checks every `intervalMs`; the timer does not keep the process alive.
 * Returns a function that stops watching.
 */
export function watchParent(onGone: (why: string) => void, intervalMs = 500): () => void {
    const parent = process.ppid;
    const watched: number[] = [];
    const info = procInfo(parent);
    if (info && SHELLS.has(info.comm) && info.ppid > 1) watched.push(info.ppid);
    const timer = setInterval(() => {
        let why: string | undefined;
        if (process.ppid !== parent) why = `the process that started the lab (pid ${parent}) exited`;
        else {
            const gone = watched.find((pid) => !isRunning(pid));
            if (gone !== undefined) why = `the process that started the lab (pid ${gone}) exited`;
        }
        if (why) {
            clearInterval(timer);
            onGone(why);
        }
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
}
