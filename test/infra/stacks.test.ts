/**
 * Every shipped stack (Pulumi.<stack>.yaml) under mocks: what it creates, how it is tagged, and whether
 * `pulumi destroy` could remove all of it.
 */
import * as assert from "node:assert/strict";
import { labOf, runProgram, shippedStacks, type ProgramRun } from "../helpers/program";
import { ACTIONS_WITHOUT_RESOURCES, list, statementsOf } from "../helpers/policy";

describe("shipped stacks under mocks", () => {
    const runs = new Map<string, ProgramRun>();
    before(async () => {
        for (const stack of shippedStacks()) runs.set(stack, await runProgram(stack));
    });

    it("ships dev, serverless and containers", () => {
        assert.deepEqual(shippedStacks(), ["containers", "dev", "serverless"]);
    });

    it("serverless creates the directory, hello, audio and sign-up labs and no container resources", () => {
        const run = runs.get("serverless")!;
        const labs = new Set(run.resources.map((r) => labOf(r)).filter(Boolean));
        assert.deepEqual([...labs].sort(), ["audio", "directory", "hello", "signup"]);
        assert.ok(!run.resources.some((r) => /^aws:(ecs|ecr|lb|appautoscaling|vpc)\//.test(r.type) || r.type.startsWith("awsx:")));
        assert.ok(run.ofType("aws:lambda/function:Function").length === 5);
    });

    it("containers creates only the web service: no functions, buckets or APIs", () => {
        const run = runs.get("containers")!;
        const labs = new Set(run.resources.map((r) => labOf(r)).filter(Boolean));
        assert.deepEqual([...labs], ["webService"]);
        assert.ok(!run.resources.some((r) => /^aws:(lambda|s3|apigatewayv2)\//.test(r.type)));
        assert.equal(run.ofType("aws:ecs/service:Service").length, 1);
        assert.deepEqual(Object.keys(run.outputs).sort(), [
            "clusterName",
            "deploymentId",
            "loadBalancerDnsName",
            "repositoryUrl",
            "serviceName",
            "serviceUrl",
        ]);
    });

    it("gives two deployments of one stack name two deployment ids", async () => {
        const again = await runProgram("containers");
        assert.notEqual(again.outputs.deploymentId, runs.get("containers")!.outputs.deploymentId);
    });

    it("dev creates every lab", () => {
        const run = runs.get("dev")!;
        const labs = new Set(run.resources.map((r) => labOf(r)).filter(Boolean));
        assert.deepEqual([...labs].sort(), ["audio", "directory", "hello", "signup", "webService"]);
    });

    for (const stack of shippedStacks()) {
        describe(`${stack}: tags and teardown`, () => {
            const run = () => runs.get(stack)!;

            it("tags every AWS resource with project, stack, lab and the deployment's own id through its lab's provider", () => {
                const providers = new Map(
                    run()
                        .ofType("pulumi:providers:aws")
                        .map((p) => [p.name, JSON.parse(p.inputs.defaultTags).tags]),
                );
                const deployment = run().outputs.deploymentId;
                const [suffix] = run().ofType("random:index/randomString:RandomString");
                assert.equal(deployment, `cloud-labs-${stack}-${suffix.state.result}`, "project, stack and the suffix kept in state");
                for (const r of run().resources.filter((r) => r.type.startsWith("aws:"))) {
                    const lab = labOf(r);
                    assert.ok(lab, `${r.type} ${r.name} has a lab provider`);
                    assert.deepEqual(providers.get(`${lab}-aws`), {
                        "cloud-labs:project": "cloud-labs",
                        "cloud-labs:stack": stack,
                        "cloud-labs:lab": lab,
                        "cloud-labs:deployment": deployment,
                    });
                }
            });

            it("names every log group after the deployment, so leftovers finds its groups and no one else's", () => {
                for (const g of run().ofType("aws:cloudwatch/logGroup:LogGroup")) {
                    assert.ok(g.inputs.namePrefix.includes(`/${run().outputs.deploymentId}-`), `${g.name}: ${g.inputs.namePrefix}`);
                }
            });

            it("protects and retains nothing, so destroy removes everything", () => {
                for (const r of run().resources) {
                    assert.notEqual(r.options.protect, true, `${r.name} is protected`);
                    assert.notEqual(r.options.retainOnDelete, true, `${r.name} is retained on delete`);
                }
            });

            it("lets destroy empty every bucket and ECR repository", () => {
                for (const b of run().ofType("aws:s3/bucket:Bucket")) assert.equal(b.inputs.forceDestroy, true, `${b.name} forceDestroy`);
                for (const r of run().ofType("aws:ecr/repository:Repository"))
                    assert.equal(r.inputs.forceDelete, true, `${r.name} forceDelete`);
            });

            it("gives every Lambda function and ECS task its own managed log group with retention", () => {
                const groups = new Map(
                    run()
                        .ofType("aws:cloudwatch/logGroup:LogGroup")
                        .map((g) => [g.state.name, g.inputs]),
                );
                for (const [name, g] of groups) assert.ok(g.retentionInDays > 0, `${name} has retention`);
                for (const fn of run().ofType("aws:lambda/function:Function")) {
                    assert.ok(groups.has(fn.inputs.loggingConfig.logGroup), `${fn.name} logs into a group the stack owns`);
                }
                for (const task of run().ofType("aws:ecs/taskDefinition:TaskDefinition")) {
                    for (const c of JSON.parse(task.inputs.containerDefinitions)) {
                        assert.ok(
                            groups.has(c.logConfiguration.options["awslogs-group"]),
                            `${task.name}/${c.name} logs into a group the stack owns`,
                        );
                    }
                }
                for (const service of run().ofType("aws:ecs/service:Service")) assert.equal(service.inputs.forceDelete, true);
            });

            it("grants no wildcard actions, and Resource * only to actions that have no resource", () => {
                for (const policy of run().ofType("aws:iam/rolePolicy:RolePolicy")) {
                    for (const s of statementsOf(policy.inputs.policy)) {
                        assert.ok(!list(s.Action).some((a) => a.includes("*")), `${policy.name} ${s.Sid}: no wildcard action`);
                        if (list(s.Resource).includes("*")) {
                            const unscoped = list(s.Action).filter((a) => !ACTIONS_WITHOUT_RESOURCES.includes(a));
                            assert.deepEqual(unscoped, [], `${policy.name} ${s.Sid}`);
                        }
                    }
                }
            });
        });
    }

    it("sees protect and retainOnDelete when a resource has them (the teardown check can fail)", async () => {
        const run = await runProgram("serverless", {}, [
            (args) =>
                args.name === "directory-dataBucket"
                    ? { props: args.props, opts: { ...args.opts, protect: true, retainOnDelete: true } }
                    : undefined,
        ]);
        assert.equal(run.named("directory-dataBucket").options.protect, true);
        assert.equal(run.named("directory-dataBucket").options.retainOnDelete, true);
        assert.notEqual(run.named("directory-websiteBucket").options.protect, true);
    });
});
