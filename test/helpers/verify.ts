import type { S3Client } from "@aws-sdk/client-s3";
import type { VerifyContext } from "../../shared/verify/core";

/** A verify context as the CLI builds it, with the given S3 client, short waits and no output. */
export function verifyContext(s3: S3Client, extra: Partial<VerifyContext> = {}): VerifyContext {
    return {
        fetch,
        s3,
        timeoutMs: 10_000,
        signal: new AbortController().signal,
        dataPrefix: "users",
        healthPath: "/health",
        audioWaitMs: 10_000,
        pollMs: 20,
        report: () => {},
        ...extra,
    };
}
