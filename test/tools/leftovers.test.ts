import * as assert from "node:assert/strict";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { mockClient } from "aws-sdk-client-mock";
import { leftoversMain } from "../../tools/leftovers/cli";
import { findLeftovers, logGroupPrefixes } from "../../tools/leftovers/core";

describe("npm run leftovers (AWS clients mocked)", () => {
    const tagging = mockClient(ResourceGroupsTaggingAPIClient);
    const logs = mockClient(CloudWatchLogsClient);
    const clients = () => ({ tagging: new ResourceGroupsTaggingAPIClient({ region: "us-east-1" }), logs: new CloudWatchLogsClient({ region: "us-east-1" }) });
    beforeEach(() => {
        tagging.reset();
        logs.reset();
        tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [], PaginationToken: "" });
        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    });

    it("asks for the stack's tags and its log group prefixes, and exits 0 when nothing is left", async () => {
        const lines: string[] = [];
        const code = await leftoversMain(["--stack", "serverless"], clients, (l) => lines.push(l));
        assert.equal(code, 0);
        assert.match(lines.join("\n"), /Nothing of stack serverless is left in us-east-1/);
        assert.deepEqual(tagging.commandCalls(GetResourcesCommand)[0].args[0].input.TagFilters, [
            { Key: "cloud-labs:project", Values: ["cloud-labs"] },
            { Key: "cloud-labs:stack", Values: ["serverless"] },
        ]);
        assert.deepEqual(
            logs.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input.logGroupNamePrefix),
            logGroupPrefixes("cloud-labs", "serverless"),
        );
        assert.ok(logGroupPrefixes("cloud-labs", "dev").includes("/aws/lambda/cloud-labs-dev-"));
    });

    it("lists tagged resources across pages and left-over log groups, and exits 1", async () => {
        tagging
            .on(GetResourcesCommand)
            .resolvesOnce({
                ResourceTagMappingList: [{ ResourceARN: "arn:aws:s3:::directory-databucket-1", Tags: [{ Key: "cloud-labs:lab", Value: "directory" }] }],
                PaginationToken: "page-2",
            })
            .resolvesOnce({ ResourceTagMappingList: [{ ResourceARN: "arn:aws:ecr:us-east-1:1:repository/web-repo", Tags: [] }], PaginationToken: "" });
        logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: "/aws/lambda/cloud-labs-dev-" }).resolves({
            logGroups: [{ logGroupName: "/aws/lambda/cloud-labs-dev-directory-users" }],
        });
        const found = await findLeftovers({ ...clients(), project: "cloud-labs", stack: "dev" });
        assert.deepEqual(found, [
            { kind: "tagged resource", id: "arn:aws:s3:::directory-databucket-1", lab: "directory" },
            { kind: "tagged resource", id: "arn:aws:ecr:us-east-1:1:repository/web-repo", lab: undefined },
            { kind: "log group", id: "/aws/lambda/cloud-labs-dev-directory-users" },
        ]);
        assert.equal(tagging.commandCalls(GetResourcesCommand)[1].args[0].input.PaginationToken, "page-2");
    });

    it("exits 1 and names what is left", async () => {
        logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: "/ecs/cloud-labs-containers-" }).resolves({ logGroups: [{ logGroupName: "/ecs/cloud-labs-containers-web" }] });
        const lines: string[] = [];
        assert.equal(await leftoversMain(["--stack", "containers"], clients, (l) => lines.push(l)), 1);
        assert.match(lines.join("\n"), /1 thing of stack containers left in us-east-1:\n\s+log group\s+\/ecs\/cloud-labs-containers-web/);
    });

    it("exits 2 without --stack, on an unknown option, or with no region to ask", async () => {
        const quiet = () => undefined;
        assert.equal(await leftoversMain([], clients, quiet), 2);
        assert.equal(await leftoversMain(["--stack", "dev", "--force"], clients, quiet), 2);
        const saved = process.env.AWS_REGION;
        delete process.env.AWS_REGION;
        try {
            assert.equal(await leftoversMain(["--stack", "not-a-stack"], clients, quiet), 2);
        } finally {
            if (saved !== undefined) process.env.AWS_REGION = saved;
        }
        assert.equal(await leftoversMain(["--stack", "not-a-stack", "--region", "eu-west-1"], clients, quiet), 0);
    });
});
