/**
 * The sign-up lab's settings, their defaults and limits: one place for the config schema, its rules and the
 * component. No Pulumi imports.
 */
export interface SignupSettings {
    /** Burst limit of each sign-up route, in requests. */
    throttleBurst: number;
    /** Steady-state limit of each sign-up route, in requests per second. */
    throttleRate: number;
    /** Messages the consumer receives per invocation. */
    batchSize: number;
    /** Most consumer instances the event source mapping runs at once. */
    maxConcurrency: number;
    /** Receives before SQS moves a message to the dead-letter queue. */
    maxReceiveCount: number;
    /** Whether the consumer's role may write to the table (the permission exercise sets false). */
    consumerCanWrite: boolean;
}

/**
 * Sized for the lab: a class clicking the page and `npm run surge`-like bursts stay well inside, and a leaked URL
 * costs at most 10 requests a second a route (price it: `npm run cost -- --stack dev --signups-per-day 864000`).
 */
export const SIGNUP_DEFAULTS: SignupSettings = {
    throttleBurst: 20,
    throttleRate: 10,
    batchSize: 10,
    maxConcurrency: 2,
    maxReceiveCount: 3,
    consumerCanWrite: true,
};

/** Inclusive limits AWS sets (or this lab chooses, said why). */
export const SIGNUP_LIMITS = {
    throttleBurst: [1, 5000],
    throttleRate: [1, 10000],
    // Above 10 a standard queue's batch needs a batching window; the lab keeps batches immediate.
    batchSize: [1, 10],
    // The event source mapping's scalingConfig: at least 2; above 1,000 needs a quota increase.
    maxConcurrency: [2, 1000],
    // SQS's redrive policy allows 1 to 1,000.
    maxReceiveCount: [1, 1000],
} as const satisfies Record<string, readonly [number, number]>;

/** The consumer's timeout; the queue's visibility timeout is six times it (AWS's advice for Lambda consumers). */
export const CONSUMER_TIMEOUT_SECONDS = 10;
export const VISIBILITY_TIMEOUT_SECONDS = 6 * CONSUMER_TIMEOUT_SECONDS;
