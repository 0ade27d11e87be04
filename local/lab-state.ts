/**
 * The running local lab writes where it listens to .labs/lab.json, so `npm run lab -- ls` in a second terminal
 * can find it. The file is removed when the lab stops.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const DEFAULT_LAB_DIR = path.resolve(__dirname, "..", ".labs");

export interface LabState {
    pid: number;
    url: string;
    s3Endpoint: string;
    bucket: string;
}

const file = (labDir: string) => path.join(labDir, "lab.json");

export function writeLabState(labDir: string, state: LabState): void {
    fs.mkdirSync(labDir, { recursive: true });
    fs.writeFileSync(file(labDir), JSON.stringify(state, null, 2));
}

export function removeLabState(labDir: string): void {
    fs.rmSync(file(labDir), { force: true });
}

/** The running lab's state, or undefined when no lab is running (no file, or its process is gone). */
export function readLabState(labDir: string): LabState | undefined {
    let state: LabState;
    try {
        state = JSON.parse(fs.readFileSync(file(labDir), "utf8")) as LabState;
    } catch {
        return undefined;
    }
    try {
        process.kill(state.pid, 0);
    } catch {
        return undefined;
    }
    return state;
}
