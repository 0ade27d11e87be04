/**
 * The benchmark's targets, checked against one run's measurements: pure, so a test can feed it made-up figures.
 * A missed target is reported (❌ in the tables), not an error: the benchmark measures, it does not gate.
 */
import type { DirectoryCase, Measurements, Target } from "./results";

/** Within this factor of the floor, the handler's own overhead is small enough (issue 14's targets). */
export const FLOOR_TARGET = 1.15;
export const FLOOR_TARGET_1500 = 1.3;
export const FUNCTION_MEMORY_MB = 256;
export const BUNDLE_LIMIT_KB = 600;
export const LAB_START_LIMIT_MS = 5000;

function within(c: DirectoryCase, which: "cold" | "warm", limit: number): Target {
    const value = which === "cold" ? c.coldVsFloor : c.warmVsFloor;
    return {
        target: `${c.name} at ${c.delayMs} ms: ours ${which} within ${limit}× of the floor`,
        measured: `${value.toFixed(2)}×`,
        pass: value <= limit,
    };
}

export function targets(m: Measurements): Target[] {
    const [seedCase, fifty, many] = m.directory;
    return [
        ...m.directory.map((c) => ({
            target: `${c.name}: warm unchanged = one LIST per 1,000 keys, no GET`,
            measured: `${c.warm.lists} LIST, ${c.warm.gets} GET`,
            pass: c.warm.lists === Math.max(1, Math.ceil(c.files / 1000)) && c.warm.gets === 0,
        })),
        ...m.sweep.flatMap((c) => [within(c, "cold", FLOOR_TARGET), within(c, "warm", FLOOR_TARGET)]),
        within(many, "cold", FLOOR_TARGET_1500),
        {
            target: `1,500 files × 1: peak RSS of the function's own process under ${FUNCTION_MEMORY_MB} MB`,
            measured: `${many.peakRssMb.toFixed(0)} MB`,
            pass: many.peakRssMb < FUNCTION_MEMORY_MB,
        },
        {
            ...within(seedCase, "cold", FLOOR_TARGET),
            target: `seed: no regression (3 files were already one wave): ours cold within ${FLOOR_TARGET}× of the floor`,
        },
        {
            target: "cold with 50 files at least 8× faster than the baseline",
            measured: `${fifty.coldSpeedup.toFixed(1)}×`,
            pass: fifty.coldSpeedup >= 8,
        },
        {
            target: "gzip at most a quarter of the raw bytes on the seed data",
            measured: `${((100 * seedCase.gzipBytes) / seedCase.rawBytes).toFixed(1)}%`,
            pass: seedCase.gzipBytes * 4 <= seedCase.rawBytes,
        },
        {
            target: "1,500 files: every record returned (the baseline stops at 1,000 keys)",
            measured: `ours ${many.cold.records}, baseline ${many.baseline.records}`,
            pass: many.cold.records === many.records,
        },
        ...m.bundles.map((b) => ({
            target: `${b.fn} bundle under ${BUNDLE_LIMIT_KB} KB`,
            measured: `${b.bundleKb.toFixed(0)} KB`,
            pass: b.bundleKb < BUNDLE_LIMIT_KB,
        })),
        ...(m.labStart
            ? [
                  {
                      target: `npm start with every lab ready in under ${LAB_START_LIMIT_MS / 1000} s`,
                      measured: `${(m.labStart.medianMs / 1000).toFixed(1)} s`,
                      pass: m.labStart.medianMs < LAB_START_LIMIT_MS,
                  },
              ]
            : []),
    ];
}
