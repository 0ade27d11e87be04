/** The employee directory's rules: the data prefix, the API's throttling and its extra CORS origins. */
import { describe, type RawReader } from "../reader";
import type { LabConfig } from "../schema";

export function readDirectory(
    r: RawReader,
    problems: string[],
): Pick<LabConfig, "directoryDataPrefix" | "apiThrottleBurst" | "apiThrottleRate" | "apiCorsExtraOrigins"> {
    const directoryDataPrefix = r.string("directoryDataPrefix");
    if (!/^[A-Za-z0-9!_.*'()/-]{1,200}$/.test(directoryDataPrefix) || directoryDataPrefix.startsWith("/")) {
        problems.push(
            describe("directoryDataPrefix", directoryDataPrefix, "must be 1-200 safe S3 key characters, not starting with /"),
        );
    }
    const apiThrottleBurst = r.integer("apiThrottleBurst", 1, 5000);
    const apiThrottleRate = r.integer("apiThrottleRate", 1, 10000);
    const apiCorsExtraOrigins = r.array("apiCorsExtraOrigins");
    for (const origin of apiCorsExtraOrigins) {
        if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin)) {
            problems.push(
                describe("apiCorsExtraOrigins", origin, "each entry must be an origin like http://localhost:3000 (no path)"),
            );
        }
    }
    return { directoryDataPrefix, apiThrottleBurst, apiThrottleRate, apiCorsExtraOrigins };
}
