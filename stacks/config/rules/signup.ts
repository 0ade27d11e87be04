/** The sign-up lab's rules: each number within the limits AWS sets (SIGNUP_LIMITS in stacks/signup-settings.ts). */
import type { SignupSettings } from "../../signup-settings";
import { wholeNumberProblem, type RawReader } from "../reader";
import type { WholeNumberKey } from "../schema";

const KEYS = {
    throttleBurst: "signupThrottleBurst",
    throttleRate: "signupThrottleRate",
    batchSize: "signupBatchSize",
    maxConcurrency: "signupMaxConcurrency",
    maxReceiveCount: "signupMaxReceiveCount",
} as const satisfies Partial<Record<keyof SignupSettings, WholeNumberKey>>;

/** What is wrong with the settings a SignupLab is given (the component checks its args with this too). */
export function signupProblems(s: Partial<SignupSettings>): string[] {
    return Object.entries(KEYS).flatMap(([field, key]) => {
        const value = s[field as keyof typeof KEYS];
        const problem = value === undefined ? undefined : wholeNumberProblem(key, value);
        return problem ? [problem] : [];
    });
}

export function readSignup(r: RawReader): SignupSettings {
    return {
        throttleBurst: r.integer("signupThrottleBurst"),
        throttleRate: r.integer("signupThrottleRate"),
        batchSize: r.integer("signupBatchSize"),
        maxConcurrency: r.integer("signupMaxConcurrency"),
        maxReceiveCount: r.integer("signupMaxReceiveCount"),
        consumerCanWrite: r.boolean("signupConsumerCanWrite"),
    };
}
