import * as net from "node:net";

/**
 * Polls `check` until it returns something other than `false` or `undefined`, and returns that: a boolean
 * condition (`() => !isRunning(pid)`) or a value to wait for (`async () => (res.ok ? res : undefined)`). Backs off
 * from 50 ms to 400 ms between tries; rejects naming `what` after `timeoutMs`.
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000): Promise<Exclude<T, false | undefined>> {
    const deadline = Date.now() + timeoutMs;
    let delay = 50;
    for (;;) {
        const value = await check();
        if (value !== false && value !== undefined) return value as Exclude<T, false | undefined>;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 400);
    }
}

/** True when nothing accepts connections on the loopback port. */
export function portIsFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => (socket.destroy(), resolve(false)));
        socket.once("error", () => resolve(true));
    });
}
