import type { MockedResource } from "./program";

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
    return (doc as { Statement: Statement[] }).Statement;
}

export const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Every action and resource an IAM policy resource grants, for least-privilege checks. */
export function grants(resource: MockedResource): Statement[] {
    return statementsOf(resource.inputs.policy);
}

/** Actions AWS offers no resource-level scoping for: the only ones that may use Resource "*". */
export const ACTIONS_WITHOUT_RESOURCES = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "polly:SynthesizeSpeech",
    "polly:StartSpeechSynthesisTask",
    "ecr:GetAuthorizationToken",
];
