import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { mockClient } from "aws-sdk-client-mock";
import type { CliIo } from "../../shared/cli";
import { findLeftovers, logGroupPrefixes } from "../../shared/leftovers";
import { EXIT, main } from "../../tools/leftovers/cli";

const MINE = "cloud-labs-dev-ab12cd";
import { runProgram, shippedStacks } from "../helpers/program";

describe("npm run leftovers (AWS clients mocked)", () => {
    const tagging = mockClient(ResourceGroupsTaggingAPIClient);
    const logs = mockClient(CloudWatchLogsClient);
    // The class mocks must not outlive this file: other tests in the same run may use these clients for real.
    after(() => {
        tagging.restore();
        logs.restore();
    });
    const clients = () => ({
        tagging: new ResourceGroupsTaggingAPIClient({ region: "us-east-1" }),
        logs: new CloudWatchLogsClient({ region: "us-east-1" }),
    });
    beforeEach(() => {
        tagging.reset();
        logs.reset();
        tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [], PaginationToken: "" });
        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    });
    const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
        const out: string[] = [];
        const err: string[] = [];
        const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env, cwd: process.cwd(), isTTY: false };
        const code = await main(argv, io);
        return { code, out: out.join("\n"), err: err.join("\n") };
    };

    it("asks for the deployment's tag and its log group prefixes, and exits 0 when nothing is left", async () => {
        const { code, out } = await run(["--deployment", MINE]);
        assert.equal(code, 0);
        for (const stack of shippedStacks()) {
            it(`finds every log group the ${stack} stack creates, by the names the program gives them`, async () => {
                const run = await runProgram(stack);
                const groups = run.ofType("aws:cloudwatch/logGroup:LogGroup");
                assert.ok(groups.length > 0, `the ${stack} stack creates log groups`);
                // What AWS names each group: its namePrefix and a unique suffix (the mocks add one as AWS does).
                const names = groups.map((g) => String(g.state.name));
                for (const g of groups)
                    assert.ok(g.inputs.namePrefix ? g.state.name.startsWith(g.inputs.namePrefix) : g.inputs.name === g.state.name, g.name);
                logs.on(DescribeLogGroupsCommand).callsFake((input: { logGroupNamePrefix?: string }) => ({
                    logGroups: names.filter((n) => n.startsWith(input.logGroupNamePrefix ?? "")).map((logGroupName) => ({ logGroupName })),
                }));
                const found = await findLeftovers({ ...clients(), deployment: String(run.outputs.deploymentId) });
                assert.deepEqual(
                    found
                        .filter((f) => f.kind === "log group")
                        .map((f) => f.id)
                        .sort(),
                    [...names].sort(),
                    "each group found once",
                );
            });
        }

        assert.match(
            out,
            /Nothing of deployment cloud-labs-dev-ab12cd is left in us-east-1/,
            "the region of Pulumi.dev.yaml, the stack inside the id",
        );
        assert.deepEqual(tagging.commandCalls(GetResourcesCommand)[0].args[0].input.TagFilters, [
            { Key: "cloud-labs:deployment", Values: [MINE] },
        ]);
        assert.deepEqual(
            logs.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input.logGroupNamePrefix),
            ["/aws/lambda/cloud-labs-dev-ab12cd-", "/aws/apigateway/cloud-labs-dev-ab12cd-", "/ecs/cloud-labs-dev-ab12cd-"],
        );
    });

    it("never lists another deployment of the same stack name: its tag and its log group names differ", async () => {
        const theirs = "cloud-labs-dev-zz99yy";
        for (const prefix of logGroupPrefixes(MINE)) assert.ok(!`${prefix.replace(MINE, theirs)}web-1`.startsWith(prefix));
        await findLeftovers({ ...clients(), deployment: MINE });
        const filters = tagging.commandCalls(GetResourcesCommand)[0].args[0].input.TagFilters!;
        assert.ok(!filters.some((f) => f.Key === "cloud-labs:stack"), "the stack tag is shared by every student's dev");
    });

    it("lists tagged resources across pages (the SDK's paginator) and left-over log groups once each, and exits 1", async () => {
        tagging
            .on(GetResourcesCommand)
            .resolvesOnce({
                ResourceTagMappingList: [
                    { ResourceARN: "arn:aws:s3:::directory-databucket-1", Tags: [{ Key: "cloud-labs:lab", Value: "directory" }] },
                ],
                PaginationToken: "page-2",
            })
            .resolvesOnce({
                ResourceTagMappingList: [
                    { ResourceARN: "arn:aws:ecr:us-east-1:1:repository/web-repo", Tags: [] },
                    {
                        ResourceARN: "arn:aws:logs:us-east-1:1:log-group:/ecs/cloud-labs-dev-ab12cd-web-1",
                        Tags: [{ Key: "cloud-labs:lab", Value: "webService" }],
                    },
                ],
                PaginationToken: "",
            });
        logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: "/aws/lambda/cloud-labs-dev-ab12cd-" })
            .resolvesOnce({ logGroups: [{ logGroupName: "/aws/lambda/cloud-labs-dev-ab12cd-directory-users" }], nextToken: "more" })
            .resolvesOnce({ logGroups: [{ logGroupName: "/aws/lambda/cloud-labs-dev-ab12cd-hello-1" }] });
        logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: "/ecs/cloud-labs-dev-ab12cd-" }).resolves({
            logGroups: [{ logGroupName: "/ecs/cloud-labs-dev-ab12cd-web-1" }],
        });
        const found = await findLeftovers({ ...clients(), deployment: MINE });
        assert.deepEqual(found, [
            { kind: "tagged resource", id: "arn:aws:s3:::directory-databucket-1", lab: "directory" },
            { kind: "tagged resource", id: "arn:aws:ecr:us-east-1:1:repository/web-repo", lab: undefined },
            { kind: "tagged resource", id: "arn:aws:logs:us-east-1:1:log-group:/ecs/cloud-labs-dev-ab12cd-web-1", lab: "webService" },
            { kind: "log group", id: "/aws/lambda/cloud-labs-dev-ab12cd-directory-users" },
            { kind: "log group", id: "/aws/lambda/cloud-labs-dev-ab12cd-hello-1" },
        ]);
        assert.equal(tagging.commandCalls(GetResourcesCommand)[1].args[0].input.PaginationToken, "page-2");
        assert.equal(logs.commandCalls(DescribeLogGroupsCommand)[1].args[0].input.nextToken, "more");
    });

    it("reads the deployment id from a saved `pulumi stack output --json`, and names what is left", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "leftovers-")), "outputs.json");
        fs.writeFileSync(
            file,
            JSON.stringify({ serviceUrl: "http://web-1.elb.amazonaws.com", deploymentId: "cloud-labs-containers-x1y2z3" }),
        );
        logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: "/ecs/cloud-labs-containers-x1y2z3-" }).resolves({
            logGroups: [{ logGroupName: "/ecs/cloud-labs-containers-x1y2z3-web-1" }],
        });
        const { code, out } = await run([`--outputs=${file}`]);
        assert.equal(code, EXIT.leftovers);
        assert.match(
            out,
            /1 thing of deployment cloud-labs-containers-x1y2z3 left in us-east-1:\n\s+log group\s+\/ecs\/cloud-labs-containers-x1y2z3-web-1/,
        );
        fs.writeFileSync(file, JSON.stringify({ serviceUrl: "http://web-1.elb.amazonaws.com" }));
        const old = await run(["--outputs", file]);
        assert.equal(old.code, EXIT.usage);
        assert.match(old.err, /has no deploymentId/);
        const missing = await run(["--outputs", `${file}.nope`]);
        assert.equal(missing.code, EXIT.usage);
        assert.match(missing.err, /it does not exist/);
    });

    describe("bad input", () => {
        it("prints --help on stdout with exit 0, and says which source to give on stderr with exit 2", async () => {
            const help = await run(["--help"]);
            assert.equal(help.code, 0);
            assert.match(help.out, /--deployment ID[\s\S]*--outputs FILE/);
            for (const argv of [[], ["--deployment", MINE, "--outputs", "x.json"]]) {
                const r = await run(argv);
                assert.equal(r.code, EXIT.usage, argv.join(" "));
                assert.match(r.err, /give exactly one of --deployment ID or --outputs FILE/);
                assert.equal(r.out, "");
            }
            assert.equal(tagging.commandCalls(GetResourcesCommand).length, 0, "AWS is not asked");
        });

        it("refuses --stack, saying a stack name is shared and what to pass instead", async () => {
            const r = await run(["--stack", "dev"]);
            assert.equal(r.code, EXIT.usage);
            assert.match(r.err, /--stack is gone: a stack name is shared by every deployment of it[\s\S]*--deployment ID/);
        });

        it("refuses an id that is not one, an unknown option, a missing value and a region that is not one", async () => {
            const cases: [string[], RegExp][] = [
                [["--deployment", "dev"], /--deployment "dev" is not a deployment id like cloud-labs-dev-ab12cd/],
                [["--deployment", MINE, "--force"], /unknown option --force/],
                [["--deployment"], /--deployment needs a value/],
                [["--deployment", MINE, "--region", "Frankfurt"], /--region "Frankfurt" is not an AWS region name/],
            ];
            for (const [argv, message] of cases) {
                const r = await run(argv);
                assert.equal(r.code, EXIT.usage, argv.join(" "));
                assert.match(r.err, message, argv.join(" "));
            }
            assert.equal(tagging.commandCalls(GetResourcesCommand).length, 0);
        });

        it("takes the region from --region, the stack file, then AWS_REGION, and exits 2 with none", async () => {
            const gone = "cloud-labs-removed-ab12cd";
            assert.equal((await run(["--deployment", gone])).code, EXIT.usage);
            assert.match((await run(["--deployment", gone])).err, /no region: no Pulumi\.removed\.yaml sets aws:region/);
            assert.match((await run(["--deployment", gone], { AWS_REGION: "eu-west-1" })).out, /left in eu-west-1|is left in eu-west-1/);
            assert.match(
                (await run(["--deployment", gone, "--region=eu-central-1"], { AWS_REGION: "eu-west-1" })).out,
                /is left in eu-central-1/,
            );
        });

        it("exits 3, not 2, when AWS fails, and says nothing is known", async () => {
            const denied = Object.assign(new Error("User is not authorized to perform: tag:GetResources"), {
                name: "AccessDeniedException",
            });
            tagging.on(GetResourcesCommand).rejects(denied);
            const { code, err } = await run(["--deployment", MINE]);
            assert.equal(code, 3);
            assert.notEqual(EXIT.aws, EXIT.usage);
            assert.match(
                err,
                /asking AWS in us-east-1 failed, so nothing is known about what is left: AccessDeniedException: User is not authorized/,
            );
        });
    });
});
