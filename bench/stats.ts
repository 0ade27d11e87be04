/** The benchmark's arithmetic: medians and timings. */

export function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `fn` and returns how long it took in ms, with its value. */
export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
    const start = process.hrtime.bigint();
    const value = await fn();
    return [Number(process.hrtime.bigint() - start) / 1e6, value];
}
