import type { LabConfig } from "./config";
import type { NodeFunctionArgs } from "./node-function";

/** The stack-wide Lambda settings every lab passes on to its functions. */
export type FunctionDefaults = Pick<NodeFunctionArgs, "architecture" | "logRetentionDays" | "tracing">;

export function functionDefaults(config: LabConfig): FunctionDefaults {
    return { architecture: config.lambdaArchitecture, logRetentionDays: config.logRetentionDays, tracing: config.tracing };
}
