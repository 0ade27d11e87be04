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

export function labTags(lab: LabName): Record<string, string> {
    return { "cloud-labs:project": pulumi.getProject(), "cloud-labs:stack": pulumi.getStack(), "cloud-labs:lab": lab };
}
