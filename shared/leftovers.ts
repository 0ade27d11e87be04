/**
 * After `pulumi destroy`: what of one deployment is still in the account. Every resource the program makes carries
 * the tag `cloud-labs:deployment = <project>-<stack>-<suffix>` (the lab providers' default tags, shared/tags.ts), and
 * every log group it makes is named after that id, so both can be looked up without touching another deployment of
 * the same stack name. Clients are arguments: the CLI, the cohort tools and the tests pass their own.
 */
import { paginateDescribeLogGroups, type CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { paginateGetResources, type ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { TAG } from "./tags";

export interface Leftover {
    kind: "tagged resource" | "log group";
    /** The resource's ARN, or the log group's name. */
    id: string;
    /** The lab the resource belonged to (its `cloud-labs:lab` tag), when it has one. */
    lab?: string;
}

export interface LeftoverQuery {
    tagging: ResourceGroupsTaggingAPIClient;
    logs: CloudWatchLogsClient;
    /** The deployment id, `<project>-<stack>-<suffix>`: the stack's `deploymentId` output. */
    deployment: string;
}

/** The log group name prefixes of one deployment: functions, API access logs and containers (see logGroupNamePrefix). */
export function logGroupPrefixes(deployment: string): string[] {
    return [`/aws/lambda/${deployment}-`, `/aws/apigateway/${deployment}-`, `/ecs/${deployment}-`];
}

/** Everything tagged with the deployment, then its log groups (not already found by tag), in the order AWS lists them. */
export async function findLeftovers(q: LeftoverQuery): Promise<Leftover[]> {
    const found: Leftover[] = [];
    for await (const page of paginateGetResources(
        { client: q.tagging },
        { TagFilters: [{ Key: TAG.deployment, Values: [q.deployment] }] },
    )) {
        for (const r of page.ResourceTagMappingList ?? []) {
            if (!r.ResourceARN) continue;
            found.push({ kind: "tagged resource", id: r.ResourceARN, lab: r.Tags?.find((t) => t.Key === TAG.lab)?.Value });
        }
    }
    // A log group is also a tagged resource: list it once, by name, when the tag search already found it.
    const taggedGroups = new Set(found.map((f) => /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:(.+?)(?::\*)?$/.exec(f.id)?.[1]).filter(Boolean));
    for (const prefix of logGroupPrefixes(q.deployment)) {
        for await (const page of paginateDescribeLogGroups({ client: q.logs }, { logGroupNamePrefix: prefix })) {
            for (const g of page.logGroups ?? []) {
                if (g.logGroupName && !taggedGroups.has(g.logGroupName)) found.push({ kind: "log group", id: g.logGroupName });
            }
        }
    }
    return found;
}
