/** Reading IAM policy documents: shared by the policy pack and the tests' least-privilege checks. SDK-free. */

export interface Statement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    Principal?: unknown;
    Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy input (a JSON string or an object). */
export function statementsOf(policy: unknown): Statement[] {
    const doc = typeof policy === "string" ? JSON.parse(policy) : policy;
    const statements = (doc as { Statement?: Statement | Statement[] } | undefined)?.Statement ?? [];
    return Array.isArray(statements) ? statements : [statements];
}

export const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Actions AWS offers no resource-level scoping for: the only ones that may use Resource "*". */
export const ACTIONS_WITHOUT_RESOURCES = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "polly:SynthesizeSpeech",
    "polly:StartSpeechSynthesisTask",
    "ecr:GetAuthorizationToken",
];

/** Does a statement's principal include everyone (`"*"` or `{ AWS: "*" }`)? */
export function isAnonymous(principal: unknown): boolean {
    if (principal === "*") return true;
    const aws = (principal as { AWS?: string | string[] } | undefined)?.AWS;
    return list(aws).includes("*");
}
