/** The sign-up lab's rules: each number within the limits AWS sets (SIGNUP_LIMITS in stacks/signup-settings.ts). */
import { SIGNUP_LIMITS, type SignupSettings } from "../../signup-settings";
import type { RawReader } from "../reader";

export function readSignup(r: RawReader): SignupSettings {
    const L = SIGNUP_LIMITS;
    return {
        throttleBurst: r.integer("signupThrottleBurst", ...L.throttleBurst),
        throttleRate: r.integer("signupThrottleRate", ...L.throttleRate),
        batchSize: r.integer("signupBatchSize", ...L.batchSize),
        maxConcurrency: r.integer("signupMaxConcurrency", ...L.maxConcurrency),
        maxReceiveCount: r.integer("signupMaxReceiveCount", ...L.maxReceiveCount),
        consumerCanWrite: r.boolean("signupConsumerCanWrite"),
    };
}
