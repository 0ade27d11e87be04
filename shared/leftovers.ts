/**
 * After `pulumi destroy`: what of a stack is still in the account. Every resource the program makes carries the
 * tags cloud-labs:project and cloud-labs:stack (the lab providers' default tags), and every log group it makes is
 * named after the project and stack, so both can be looked up.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";

export interface Leftover {
    kind: "tagged resource" | "log group";
    id: string;
    lab?: string;
}

export interface LeftoverQuery {
    tagging: ResourceGroupsTaggingAPIClient;
    logs: CloudWatchLogsClient;
    project: string;
    stack: string;
}

/** The log group name prefixes the program uses: functions, API access logs and containers. */
export function logGroupPrefixes(project: string, stack: string): string[] {
    return [`/aws/lambda/${project}-${stack}-`, `/aws/apigateway/${project}-${stack}-`, `/ecs/${project}-${stack}-`];
}

export async function findLeftovers(q: LeftoverQuery): Promise<Leftover[]> {
    const found: Leftover[] = [];
    let token: string | undefined;
    do {
        const page = await q.tagging.send(
            new GetResourcesCommand({
                TagFilters: [
                    { Key: "cloud-labs:project", Values: [q.project] },
                    { Key: "cloud-labs:stack", Values: [q.stack] },
                ],
                PaginationToken: token,
            }),
        );
        for (const r of page.ResourceTagMappingList ?? []) {
            if (!r.ResourceARN) continue;
            found.push({ kind: "tagged resource", id: r.ResourceARN, lab: r.Tags?.find((t) => t.Key === "cloud-labs:lab")?.Value });
        }
        token = page.PaginationToken || undefined;
    } while (token);

    for (const prefix of logGroupPrefixes(q.project, q.stack)) {
        let next: string | undefined;
        do {
            const page = await q.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken: next }));
            for (const g of page.logGroups ?? []) if (g.logGroupName) found.push({ kind: "log group", id: g.logGroupName });
            next = page.nextToken;
        } while (next);
    }
    return found;
}
