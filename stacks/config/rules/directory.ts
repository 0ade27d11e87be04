/**
 * The employee directory's rules: the data prefix, the API's throttling and its extra CORS origins. The config
 * reader reports them at preview, and `new EmployeeDirectory(...)` checks its arguments with the same sentences.
 */
import { describe, wholeNumberProblem, type RawReader } from "../reader";
import type { LabConfig } from "../schema";

/** The directory's settings as the component takes them. */
export interface DirectorySettings {
    dataPrefix: string;
    memoryMb?: number;
    throttle?: { burst: number; rate: number };
    extraCorsOrigins?: readonly string[];
}

/** Every problem of these settings, one sentence each naming the config key; empty when they are usable. */
export function directoryProblems(s: DirectorySettings): string[] {
    const problems: string[] = [];
    if (!/^[A-Za-z0-9!_.*'()/-]{1,200}$/.test(s.dataPrefix) || s.dataPrefix.startsWith("/")) {
        problems.push(describe("directoryDataPrefix", s.dataPrefix, "must be 1-200 safe S3 key characters, not starting with /"));
    }
    if (s.memoryMb !== undefined) problems.push(...defined(wholeNumberProblem("lambdaMemoryMb", s.memoryMb)));
    if (s.throttle) {
        problems.push(
            ...defined(wholeNumberProblem("apiThrottleBurst", s.throttle.burst), wholeNumberProblem("apiThrottleRate", s.throttle.rate)),
        );
    }
    for (const origin of s.extraCorsOrigins ?? []) {
        if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin)) {
            problems.push(describe("apiCorsExtraOrigins", origin, "each entry must be an origin like http://localhost:3000 (no path)"));
        }
    }
    return problems;
}

export function readDirectory(
    r: RawReader,
    problems: string[],
): Pick<LabConfig, "directoryDataPrefix" | "apiThrottleBurst" | "apiThrottleRate" | "apiCorsExtraOrigins"> {
    const directoryDataPrefix = r.string("directoryDataPrefix");
    const apiThrottleBurst = r.integer("apiThrottleBurst");
    const apiThrottleRate = r.integer("apiThrottleRate");
    const apiCorsExtraOrigins = r.array("apiCorsExtraOrigins");
    // Ranges were reported by the reader with the value as written; the one-per-key rule drops the repeats.
    problems.push(...directoryProblems({ dataPrefix: directoryDataPrefix, extraCorsOrigins: apiCorsExtraOrigins }));
    return { directoryDataPrefix, apiThrottleBurst, apiThrottleRate, apiCorsExtraOrigins };
}

function defined(...problems: (string | undefined)[]): string[] {
    return problems.filter((p): p is string => p !== undefined);
}
