import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { LabName } from "./lab-names";

/**
 * An AWS provider for one lab whose default tags (given by index.ts: project, stack, deployment and lab) every
 * resource the lab makes carries, so the budget can count them and leftovers can find them after `pulumi destroy`.
 */
export function labProvider(lab: LabName, tags: pulumi.Input<Record<string, pulumi.Input<string>>>): aws.Provider {
    return new aws.Provider(`${lab}-aws`, {
        region: aws.config.region,
        defaultTags: { tags },
    });
}
