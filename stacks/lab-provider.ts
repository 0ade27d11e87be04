import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { LabName } from "./config";

/**
 * An AWS provider for one lab whose default tags name the project, stack and lab, so every resource the lab makes
 * carries them and leftovers can be found by tag after `pulumi destroy`.
 */
export function labProvider(lab: LabName): aws.Provider {
    return new aws.Provider(`${lab}-aws`, {
        region: aws.config.region,
        defaultTags: { tags: labTags(lab) },
    });
}

/** The tag that names the stack: budgets filter on it and leftovers are found by it. */
export const STACK_TAG = "cloud-labs:stack";

export function labTags(lab: LabName): Record<string, string> {
    return { ...stackTags(), "cloud-labs:lab": lab };
}

/** The tags every resource of the stack carries, whatever its lab. */
export function stackTags(): Record<string, string> {
    return { "cloud-labs:project": pulumi.getProject(), [STACK_TAG]: pulumi.getStack() };
}
