/** The sign-up lab's rules: each number within the limits AWS sets (SIGNUP_LIMITS in stacks/signup-settings.ts). */
import type { SignupSettings } from "../../signup-settings";
import type { RawReader } from "../reader";

export function readSignup(r: RawReader): SignupSettings {
    // The ranges are SIGNUP_LIMITS', entered in WHOLE_NUMBER_RANGES (stacks/config/schema.ts).
    return {
        throttleBurst: r.integer("signupThrottleBurst"),
        throttleRate: r.integer("signupThrottleRate"),
        batchSize: r.integer("signupBatchSize"),
        maxConcurrency: r.integer("signupMaxConcurrency"),
        maxReceiveCount: r.integer("signupMaxReceiveCount"),
        consumerCanWrite: r.boolean("signupConsumerCanWrite"),
    };
}
