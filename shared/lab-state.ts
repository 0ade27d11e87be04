/**
 * The running local lab's one state file, `<lab dir>/outputs.json`: the stack output names of the labs it runs
 * (so `npm run verify -- --local` checks it as it checks a deployed stack), plus what `npm run lab` needs to find
 * it (pid, S3 endpoint). Written once the lab is ready to serve, removed when it stops.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { LabOutputs as VerifiedOutputs } from "./outputs";

export const DEFAULT_LAB_DIR = path.resolve(__dirname, "..", ".labs");

/** What a running local lab writes: its stack outputs, named as `pulumi stack output` names them, and its process. */
export interface LabState extends LabOutputs {
    /** The lab's process id. */
    pid: number;
    /** The lab server's base URL (website, API and audio page share it). */
    url: string;
    /** The local S3 endpoint; a deployed stack has none (it is AWS's). */
    s3Endpoint: string;
}

/** The stack outputs of the labs that run; a lab that does not run has none of its outputs. */
export type LabOutputs = Omit<VerifiedOutputs, "s3Endpoint">;

/** The state file of the lab in `labDir`. */
export const labStateFile = (labDir: string): string => path.join(labDir, "outputs.json");

/** Writes the state file whole (aside, then renamed), so a reader never sees half of it. */
export function writeLabState(labDir: string, state: LabState): void {
    fs.mkdirSync(labDir, { recursive: true });
    const file = labStateFile(labDir);
    const aside = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(aside, JSON.stringify(state, null, 2) + "\n");
    fs.renameSync(aside, file);
}

export function removeLabState(labDir: string): void {
    fs.rmSync(labStateFile(labDir), { force: true });
}

/** The running lab's state, or undefined when no lab is running (no file, or its process is gone). */
export function readLabState(labDir: string): LabState | undefined {
    let state: LabState;
    try {
        state = JSON.parse(fs.readFileSync(labStateFile(labDir), "utf8")) as LabState;
    } catch {
        return undefined;
    }
    if (!isRunning(state.pid)) return undefined;
    return state;
}

/** True when a process with this id exists. */
export function isRunning(pid: unknown): boolean {
    if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return false;
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        // EPERM: it exists but belongs to another user.
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}
