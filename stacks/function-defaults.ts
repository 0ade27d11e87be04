import type * as pulumi from "@pulumi/pulumi";
import type { LabConfig } from "./config";
import type { NodeFunctionArgs } from "./node-function";

/** The stack-wide Lambda settings every lab passes on to its functions (and to its API's access logs). */
export type FunctionDefaults = Pick<NodeFunctionArgs, "architecture" | "logRetentionDays" | "tracing" | "deploymentId">;

export function functionDefaults(config: LabConfig, deploymentId: pulumi.Input<string>): FunctionDefaults {
    return { architecture: config.lambdaArchitecture, logRetentionDays: config.logRetentionDays, tracing: config.tracing, deploymentId };
}
