import * as assert from "node:assert/strict";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { mockClient } from "aws-sdk-client-mock";
import { EXIT, leftoversMain } from "../../tools/leftovers/cli";
import { findLeftovers, logGroupPrefixes } from "../../shared/leftovers";

describe("npm run leftovers (AWS clients mocked)", () => {
    const tagging = mockClient(ResourceGroupsTaggingAPIClient);
    const logs = mockClient(CloudWatchLogsClient);
    // The class mocks must not outlive this file: other tests in the same run may use these clients for real.
    after(() => {
        tagging.restore();
        logs.restore();
    });
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

    describe("bad input (issue 18)", () => {
        const run = async (argv: string[]) => {
            const lines: string[] = [];
            const code = await leftoversMain(argv, clients, (l) => lines.push(l));
            return { code, out: lines.join("\n") };
        };

        it("says the stack file is missing, not that it sets no region, even with AWS_REGION set", async () => {
            const saved = process.env.AWS_REGION;
            process.env.AWS_REGION = "eu-west-1";
            try {
                const { code, out } = await run(["--stack", "nosuch"]);
                assert.equal(code, EXIT.usage);
                assert.match(out, /unknown stack "nosuch": there is no Pulumi\.nosuch\.yaml \(stacks: containers, dev, serverless\); for a stack whose file is gone, pass --region/);
                assert.doesNotMatch(out, /sets no aws:region/);
                assert.equal(tagging.commandCalls(GetResourcesCommand).length, 0, "AWS is not asked about a typo");
            } finally {
                if (saved === undefined) delete process.env.AWS_REGION;
                else process.env.AWS_REGION = saved;
            }
        });

        it("refuses --region or --stack without a value, and a region that is not one", async () => {
            for (const argv of [["--stack", "dev", "--region"], ["--stack", "dev", "--region", ""], ["--region", "--stack", "dev"], ["--stack"]]) {
                const { code, out } = await run(argv);
                assert.equal(code, EXIT.usage, argv.join(" "));
                assert.match(out, /^--(region|stack) needs a value/, argv.join(" "));
            }
            const bad = await run(["--stack", "dev", "--region", "Frankfurt"]);
            assert.equal(bad.code, EXIT.usage);
            assert.match(bad.out, /--region "Frankfurt" is not an AWS region name/);
            assert.equal(tagging.commandCalls(GetResourcesCommand).length, 0);
        });

        it("exits 3, not 2, when AWS fails, and says nothing is known", async () => {
            const denied = Object.assign(new Error("User is not authorized to perform: tag:GetResources"), { name: "AccessDeniedException" });
            tagging.on(GetResourcesCommand).rejects(denied);
            const { code, out } = await run(["--stack", "dev"]);
            assert.equal(code, 3);
            assert.equal(EXIT.aws, 3);
            assert.notEqual(EXIT.aws, EXIT.usage);
            assert.match(out, /asking AWS in us-east-1 failed, so nothing is known about what is left: AccessDeniedException: User is not authorized/);
        });
    });
});
