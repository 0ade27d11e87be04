/**
 * Two deployments of the same stack name (every student's `dev` in one training account, each with a local backend)
 * must not share a physical name: run `dev` twice under mocks, as two fresh stacks would be, and compare.
 */
import * as assert from "node:assert/strict";
import { SUFFIX_LENGTH } from "../../stacks/physical-name";
import { DEPLOYMENT_ID, DEPLOYMENT_SUFFIX_LENGTH } from "../../shared/tags";
import { runProgram, type ProgramResource, type ProgramRun } from "../helpers/program";

/** The inputs that are a resource's own physical name, by type (the rest: `name`). */
const NAME_INPUTS: Record<string, string[]> = {
    "aws:s3/bucket:Bucket": ["bucket"],
    "aws:ecs/taskDefinition:TaskDefinition": ["family"],
};
/** Types whose `name` is unique only inside their parent resource, not in the account. */
const SCOPED_NAMES = new Set(["aws:apigatewayv2/stage:Stage"]);

/** Every fixed physical name a run asks AWS for (auto-named and prefix-named resources have none). */
function fixedNames(run: ProgramRun): { resource: ProgramResource; name: string }[] {
    return run.resources
        .filter((r) => r.type.startsWith("aws:") && !SCOPED_NAMES.has(r.type))
        .flatMap((resource) => (NAME_INPUTS[resource.type] ?? ["name"]).map((key) => ({ resource, name: resource.inputs[key] })))
        .filter((n): n is { resource: ProgramResource; name: string } => typeof n.name === "string");
}

describe("physical names of two deployments of one stack name", () => {
    let first: ProgramRun;
    let second: ProgramRun;
    before(async () => {
        const everything = { alexaFactSkill: "true", alexaFactSkillVersion: "1.0.7" };
        first = await runProgram("dev", everything);
        second = await runProgram("dev", everything);
    });

    it("share no fixed name on any resource", () => {
        const taken = new Map(fixedNames(first).map((n) => [n.name, n.resource]));
        assert.ok(taken.size > 0, "the check sees the fixed names there are");
        const shared = fixedNames(second)
            .filter((n) => taken.has(n.name))
            .map((n) => `${n.resource.type} ${n.resource.name}: ${n.name}`);
        assert.deepEqual(shared, []);
    });

    it("leave the names of functions, log groups, the SAR stack and the load balancer to Pulumi or AWS", () => {
        for (const type of [
            "aws:lambda/function:Function",
            "aws:cloudwatch/logGroup:LogGroup",
            "aws:serverlessrepository/cloudFormationStack:CloudFormationStack",
            "aws:lb/loadBalancer:LoadBalancer",
            "aws:lb/targetGroup:TargetGroup",
            "aws:ecr/repository:Repository",
            "aws:iam/role:Role",
        ]) {
            const resources = first.ofType(type);
            assert.ok(resources.length > 0, `dev makes a ${type}`);
            for (const r of resources) assert.equal(r.inputs.name, undefined, `${r.name} has no fixed name`);
        }
        for (const group of first.ofType("aws:cloudwatch/logGroup:LogGroup")) {
            assert.match(
                group.inputs.namePrefix,
                /^\/(aws\/lambda|aws\/apigateway|ecs)\/cloud-labs-dev-[\w-]+-$/,
                `${group.name}: readable prefix`,
            );
        }
    });

    it("leave room in every auto-name (logical name, a hyphen, 7 random characters) within the service's limit", () => {
        const limits: Record<string, number> = {
            "aws:lambda/function:Function": 64,
            "aws:iam/role:Role": 64,
            "aws:lb/loadBalancer:LoadBalancer": 32,
            "aws:lb/targetGroup:TargetGroup": 32,
            // SAR prefixes the CloudFormation stack name with "serverlessrepo-".
            "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": 128 - "serverlessrepo-".length,
        };
        for (const [type, limit] of Object.entries(limits)) {
            for (const r of first.ofType(type)) assert.ok(`${r.name}-abcdef1`.length <= limit, `${r.name}: ${limit} characters at most`);
        }
        for (const r of first.ofType("aws:serverlessrepository/cloudFormationStack:CloudFormationStack")) {
            assert.match(r.name, /^[A-Za-z][A-Za-z0-9-]*$/, "CloudFormation stack names hold letters, digits and hyphens");
        }
    });

    it("keep the one required name readable and within ECS's limit", () => {
        const family = first.named("web-task").inputs.family as string;
        assert.match(family, /^cloud-labs-dev-web-[a-z0-9]{6}$/);
        assert.ok(family.length <= 255);
        assert.notEqual(family, second.named("web-task").inputs.family);
    });

    it("use one random suffix per stack, kept in its state", () => {
        const suffixes = first.ofType("random:index/randomString:RandomString");
        assert.equal(suffixes.length, 1);
        assert.deepEqual([suffixes[0].inputs.length, suffixes[0].inputs.upper, suffixes[0].inputs.special], [6, false, false]);
        assert.ok(first.named("web-task").inputs.family.endsWith(`-${suffixes[0].state.result}`));
        assert.equal(first.outputs.deploymentId, `cloud-labs-dev-${suffixes[0].state.result}`, "the deployment id ends in the same suffix");
        assert.equal(DEPLOYMENT_SUFFIX_LENGTH, SUFFIX_LENGTH, "shared/tags.ts reads ids with the suffix length the program makes");
        assert.match(first.outputs.deploymentId, DEPLOYMENT_ID);
    });
});

describe("stack names a derived name cannot hold", () => {
    it("fail at preview, naming the stack and what the name may hold", async () => {
        await assert.rejects(runProgram("containers", {}, [], { stackName: "dev.v2" }), (error: Error) => {
            assert.match(error.message, /The stack name "dev\.v2" cannot be used/);
            assert.match(error.message, /ECS task definition family/);
            assert.match(error.message, /letters, digits, hyphens and underscores/);
            return true;
        });
    });

    it("are fine when no derived name holds the stack name", async () => {
        const run = await runProgram("serverless", {}, [], { stackName: "dev.v2" });
        assert.ok(run.ofType("aws:lambda/function:Function").length > 0);
        const run2 = await runProgram("containers", {}, [], { stackName: "dev_2" });
        assert.match(run2.named("web-task").inputs.family, /^cloud-labs-dev_2-web-[a-z0-9]{6}$/);
    });
});
