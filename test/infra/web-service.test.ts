import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { contextHash, CONTAINER_CONTEXT, imageTag, IMAGE_RECIPE_VERSION } from "../../stacks/container-image";
import { ComponentArgsError, ConfigError } from "../../stacks/config";
import { chooseSubnets } from "../../stacks/web-network";
import { WebService } from "../../stacks/web-service";
import { load } from "../helpers/config";
import { runProgram, type ProgramResource, type ProgramRun } from "../helpers/program";
import { list, statementsOf } from "../helpers/policy";

const rules = (run: ProgramRun, type: "Ingress" | "Egress") => run.ofType(`aws:vpc/securityGroup${type}Rule:SecurityGroup${type}Rule`);
const sgId = (name: string) => `${name}-id`;

describe("web service under mocks (dev stack)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram("dev");
    });

    it("runs in the default VPC's default subnets, looked up with data sources", () => {
        assert.equal(run.named("web-tg").inputs.vpcId, "vpc-0default0000000");
        assert.deepEqual(run.named("web-alb").inputs.subnets, ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]);
        assert.deepEqual(run.named("web-service").inputs.networkConfiguration.subnets, [
            "subnet-0aaaaaaaaaaaaaaa1",
            "subnet-0bbbbbbbbbbbbbbb2",
        ]);
        assert.equal(run.ofType("aws:ec2/natGateway:NatGateway").length, 0, "no NAT gateway to pay for");
    });

    it("opens port 80 on the load balancer to IPv4 and IPv6, and the task port only to the load balancer", () => {
        const ingress = rules(run, "Ingress");
        const albIn = ingress.filter((r) => r.inputs.securityGroupId === sgId("web-albSg"));
        assert.deepEqual(albIn.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6]).sort(), [
            [80, 80, "0.0.0.0/0"],
            [80, 80, "::/0"],
        ]);
        const taskIn = ingress.filter((r) => r.inputs.securityGroupId === sgId("web-taskSg"));
        assert.equal(taskIn.length, 1);
        assert.equal(taskIn[0].inputs.referencedSecurityGroupId, sgId("web-albSg"));
        assert.equal(taskIn[0].inputs.fromPort, 8080);
        assert.equal(taskIn[0].inputs.cidrIpv4, undefined, "no task port open to the world");
        assert.equal(taskIn[0].inputs.cidrIpv6, undefined);
        const albOut = rules(run, "Egress").filter((r) => r.inputs.securityGroupId === sgId("web-albSg"));
        assert.deepEqual(
            albOut.map((r) => [r.inputs.fromPort, r.inputs.referencedSecurityGroupId]),
            [[8080, sgId("web-taskSg")]],
        );
        const taskOut = rules(run, "Egress").filter((r) => r.inputs.securityGroupId === sgId("web-taskSg"));
        assert.deepEqual(
            taskOut.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]),
            [[443, 443, "0.0.0.0/0"]],
        );
    });

    it("wires listener → target group → service, with a /health check and a short deregistration delay", () => {
        const alb = run.named("web-alb").inputs;
        assert.equal(alb.internal, false);
        assert.equal(alb.loadBalancerType, "application");
        assert.deepEqual(alb.securityGroups, [sgId("web-albSg")]);
        const listener = run.named("web-http").inputs;
        assert.equal(listener.port, 80);
        assert.equal(listener.loadBalancerArn, run.named("web-alb").state.arn);
        const tgArn = run.named("web-tg").state.arn;
        assert.deepEqual(listener.defaultActions, [{ type: "forward", targetGroupArn: tgArn }]);
        const tg = run.named("web-tg").inputs;
        assert.equal(tg.targetType, "ip");
        assert.equal(tg.port, 8080);
        assert.equal(tg.healthCheck.path, "/health");
        assert.ok(tg.deregistrationDelay <= 30);
        const service = run.named("web-service").inputs;
        assert.deepEqual(service.loadBalancers, [{ targetGroupArn: tgArn, containerName: "web", containerPort: 8080 }]);
        assert.equal(run.ofType("aws:lb/listener:Listener").length, 1, "no HTTPS listener without a certificate");
    });

    it("rolls back failed deployments, gives health checks a grace period, and uses a public IP", () => {
        const service = run.named("web-service").inputs;
        assert.deepEqual(service.deploymentCircuitBreaker, { enable: true, rollback: true });
        assert.ok(service.healthCheckGracePeriodSeconds > 0);
        assert.equal(service.networkConfiguration.assignPublicIp, true);
        assert.deepEqual(service.networkConfiguration.securityGroups, [sgId("web-taskSg")]);
        assert.equal(service.desiredCount, 1);
        assert.deepEqual(service.capacityProviderStrategies, [{ capacityProvider: "FARGATE", weight: 1, base: 0 }]);
        assert.equal(service.forceDelete, true);
    });

    it("fails `pulumi up` when no task becomes healthy, and can switch webSpot on a deployed service", () => {
        const service = run.named("web-service").inputs;
        assert.equal(service.waitForSteadyState, true, "wait for healthy tasks, so a broken image or health path fails the deployment");
        // ecs/service.d.ts: "Updating this argument [capacityProviderStrategies] requires `forceNewDeployment = true`".
        assert.equal(service.forceNewDeployment, true);
    });

    it("scales between min and max tasks on average CPU", () => {
        const target = run.named("web-scaling").inputs;
        assert.equal(target.serviceNamespace, "ecs");
        assert.equal(target.scalableDimension, "ecs:service:DesiredCount");
        assert.equal(target.resourceId, "service/web-cluster/web-service");
        assert.deepEqual([target.minCapacity, target.maxCapacity], [1, 3]);
        const policy = run.named("web-cpuScaling").inputs;
        assert.equal(policy.policyType, "TargetTrackingScaling");
        assert.equal(
            policy.targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType,
            "ECSServiceAverageCPUUtilization",
        );
        assert.equal(policy.targetTrackingScalingPolicyConfiguration.targetValue, 60);
    });

    it("runs a Fargate ARM64 task of 256 CPU / 512 MiB, logging to its own log group with retention", () => {
        const task = run.named("web-task").inputs;
        assert.equal(task.cpu, "256");
        assert.equal(task.memory, "512");
        assert.equal(task.networkMode, "awsvpc");
        assert.deepEqual(task.requiresCompatibilities, ["FARGATE"]);
        assert.deepEqual(task.runtimePlatform, { operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" });
        assert.equal(task.taskRoleArn, undefined, "no task role: httpd makes no AWS calls");
        const [container] = JSON.parse(task.containerDefinitions);
        assert.equal(container.logConfiguration.logDriver, "awslogs");
        assert.equal(container.logConfiguration.options["awslogs-group"], run.named("web-logs").state.name);
        assert.equal(
            run.named("web-logs").inputs.namePrefix,
            `/ecs/${run.outputs.deploymentId}-web-`,
            "named after the deployment, which leftovers searches for",
        );
        assert.match(run.outputs.deploymentId, /^cloud-labs-dev-[a-z0-9]{6}$/);
        assert.equal(run.named("web-logs").inputs.name, undefined, "AWS makes the name unique from the prefix");
        assert.equal(run.named("web-logs").inputs.retentionInDays, 7);
        assert.match(task.family, /^cloud-labs-dev-web-[a-z0-9]{6}$/, "project, stack, component and the stack's random suffix");
        assert.deepEqual(container.portMappings, [{ containerPort: 8080, protocol: "tcp" }]);
    });

    it("builds the image from containers/httpd for the task's architecture, tagged by content and platform", () => {
        const image = run.named("web-image").inputs;
        assert.equal(image.context, CONTAINER_CONTEXT);
        assert.equal(image.platform, "linux/arm64");
        assert.equal(image.imageTag, `${contextHash(CONTAINER_CONTEXT)}-arm64`);
        assert.equal(image.repositoryUrl, run.named("web-repo").state.repositoryUrl);
        const [container] = JSON.parse(run.named("web-task").inputs.containerDefinitions);
        assert.equal(container.image, run.named("web-image").state.imageUri);
    });

    it("lets the execution role pull only from this repository and write only to this log group", () => {
        const role = run.named("web-executionRole").inputs;
        assert.deepEqual(JSON.parse(role.assumeRolePolicy).Statement[0].Principal, { Service: "ecs-tasks.amazonaws.com" });
        const statements = statementsOf(run.named("web-executionPolicy").inputs.policy);
        assert.deepEqual(statements, [
            { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
            {
                Sid: "PullImage",
                Effect: "Allow",
                Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                Resource: [run.named("web-repo").state.arn],
            },
            {
                Sid: "WriteLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: [`${run.named("web-logs").state.arn}:*`],
            },
        ]);
    });

    it("keeps the repository scanned, immutable, trimmed to the last N images and deletable with images", () => {
        const repo = run.named("web-repo").inputs;
        assert.equal(repo.imageScanningConfiguration.scanOnPush, true);
        assert.equal(repo.imageTagMutability, "IMMUTABLE");
        assert.equal(repo.forceDelete, true);
        const rule = JSON.parse(run.named("web-repoLifecycle").inputs.policy).rules[0];
        assert.deepEqual(rule.selection, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 5 });
        assert.equal(rule.action.type, "expire");
    });

    it("leaves Container Insights off by default and exports the service URL, load balancer name, repository URL and cluster name", () => {
        assert.deepEqual(run.named("web-cluster").inputs.settings, [{ name: "containerInsights", value: "disabled" }]);
        assert.equal(run.outputs.serviceUrl, "http://web-alb-123.us-east-1.elb.amazonaws.com");
        assert.equal(run.outputs.loadBalancerDnsName, "web-alb-123.us-east-1.elb.amazonaws.com");
        assert.equal(run.outputs.repositoryUrl, "123456789012.dkr.ecr.us-east-1.amazonaws.com/web-repo");
        assert.equal(run.outputs.clusterName, "web-cluster");
    });
});

describe("web service switches", () => {
    const only = (extra: Record<string, unknown> = {}) => runProgram("dev", { labs: ["webService"], ...extra });

    it("skips the build and the ECR pull rights when an image is given", async () => {
        const run = await only({ webImage: "public.ecr.aws/docker/library/httpd:2.4", webContainerPort: 80, webHealthCheckPath: "/" });
        assert.equal(run.ofType("awsx:ecr:Image").length, 0);
        const [container] = JSON.parse(run.named("web-task").inputs.containerDefinitions);
        assert.equal(container.image, "public.ecr.aws/docker/library/httpd:2.4");
        assert.deepEqual(container.portMappings, [{ containerPort: 80, protocol: "tcp" }]);
        assert.equal(run.named("web-tg").inputs.healthCheck.path, "/");
        const actions = statementsOf(run.named("web-executionPolicy").inputs.policy).flatMap((s) => list(s.Action));
        assert.deepEqual(actions, ["logs:CreateLogStream", "logs:PutLogEvents"]);
    });

    it("runs on FARGATE_SPOT, X86_64 and with Container Insights when configured", async () => {
        const run = await only({ webSpot: true, webArchitecture: "X86_64", webContainerInsights: true, webCpu: 512, webMemoryMb: 2048 });
        assert.deepEqual(run.named("web-service").inputs.capacityProviderStrategies, [
            { capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 },
        ]);
        assert.deepEqual(run.named("web-capacity").inputs.capacityProviders, ["FARGATE", "FARGATE_SPOT"]);
        assert.equal(run.named("web-task").inputs.runtimePlatform.cpuArchitecture, "X86_64");
        assert.equal(run.named("web-image").inputs.platform, "linux/amd64");
        assert.deepEqual(run.named("web-cluster").inputs.settings, [{ name: "containerInsights", value: "enabled" }]);
        assert.deepEqual([run.named("web-task").inputs.cpu, run.named("web-task").inputs.memory], ["512", "2048"]);
    });

    it("adds HTTPS with a certificate for webDomainName, redirects port 80 to that name, and says where to point it", async () => {
        const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-4567-89ef-0123-456789abcdef";
        const run = await only({ webCertificateArn: certificateArn, webDomainName: "web.example.com" });
        const http = run.named("web-http").inputs;
        assert.deepEqual(http.defaultActions, [
            { type: "redirect", redirect: { host: "web.example.com", protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
        ]);
        assert.equal(run.outputs.serviceUrl, "https://web.example.com", "the name on the certificate, not the load balancer's");
        assert.equal(run.outputs.loadBalancerDnsName, "web-alb-123.us-east-1.elb.amazonaws.com", "the CNAME target");
        const https = run.named("web-https").inputs;
        assert.equal(https.port, 443);
        assert.equal(https.certificateArn, certificateArn);
        assert.deepEqual(https.defaultActions, [{ type: "forward", targetGroupArn: run.named("web-tg").state.arn }]);
        const ports = rules(run, "Ingress")
            .filter((r: ProgramResource) => r.inputs.securityGroupId === sgId("web-albSg"))
            .map((r) => r.inputs.fromPort);
        assert.deepEqual(ports.sort(), [443, 443, 80, 80]);
    });

    it("uses a configured VPC and subnets instead of looking up the default VPC", async () => {
        const run = await only({
            webVpcId: "vpc-0123456789abcdef0",
            webSubnetIds: ["subnet-01111111111111111", "subnet-02222222222222222"],
        });
        assert.equal(run.named("web-tg").inputs.vpcId, "vpc-0123456789abcdef0");
        assert.deepEqual(run.named("web-alb").inputs.subnets, ["subnet-01111111111111111", "subnet-02222222222222222"]);
    });

    it("stops with a named error, not a raw look-up error, when the account has no default VPC", async () => {
        // What AWS answers in an account without a default VPC: getVpcs lists none (getVpc would fail outright).
        const noDefault = {
            "aws:ec2/getVpcs:getVpcs": () => ({ id: "us-east-1", ids: [] }),
            "aws:ec2/getVpc:getVpc": () => {
                throw new Error("no matching EC2 VPC found");
            },
        };
        await assert.rejects(runProgram("dev", { labs: ["webService"] }, [], { calls: noDefault }), (error: Error) => {
            assert.match(error.message, /no default VPC/);
            assert.match(error.message, /cloud-labs:webVpcId/);
            assert.match(error.message, /cloud-labs:webSubnetIds/);
            assert.match(error.message, /aws ec2 describe-vpcs/);
            assert.doesNotMatch(error.message, /no matching EC2 VPC found/);
            return true;
        });
    });

    it("refuses a default VPC with fewer than two default subnets", async () => {
        const oneSubnet = { "aws:ec2/getSubnets:getSubnets": () => ({ id: "x", ids: ["subnet-0aaaaaaaaaaaaaaa1"] }) };
        await assert.rejects(
            runProgram("dev", { labs: ["webService"] }, [], { calls: oneSubnet }),
            /1 default subnet\(s\); an Application Load Balancer needs subnets in at least two availability zones/,
        );
    });

    it("refuses configured subnets that are all in one availability zone, naming them and their zone", async () => {
        const sameZone = {
            "aws:ec2/getSubnet:getSubnet": (inputs: Record<string, any>) => ({ ...inputs, availabilityZone: "us-east-1a" }),
        };
        const config = {
            labs: ["webService"],
            webVpcId: "vpc-0123456789abcdef0",
            webSubnetIds: ["subnet-01111111111111111", "subnet-03333333333333333"],
        };
        await assert.rejects(runProgram("dev", config, [], { calls: sameZone }), (error: Error) => {
            assert.match(
                error.message,
                /cloud-labs:webSubnetIds: an Application Load Balancer needs subnets in at least two availability zones/,
            );
            assert.match(error.message, /subnet-01111111111111111 \(us-east-1a\), subnet-03333333333333333 \(us-east-1a\)/);
            return true;
        });
    });

    it("scales within the configured bounds and keeps the configured number of images", async () => {
        const run = await only({ webMinCount: 2, webDesiredCount: 3, webMaxCount: 6, webCpuTargetPercent: 40, webKeepImages: 2 });
        assert.deepEqual([run.named("web-scaling").inputs.minCapacity, run.named("web-scaling").inputs.maxCapacity], [2, 6]);
        assert.equal(run.named("web-service").inputs.desiredCount, 3);
        assert.equal(run.named("web-cpuScaling").inputs.targetTrackingScalingPolicyConfiguration.targetValue, 40);
        assert.equal(JSON.parse(run.named("web-repoLifecycle").inputs.policy).rules[0].selection.countNumber, 2);
    });

    it("tags the content hash anew when the container changes", () => {
        // A copy of containers/httpd, changed one way at a time: a page's content, a new file, a renamed file.
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-httpd-"));
        try {
            fs.cpSync(CONTAINER_CONTEXT, copy, { recursive: true });
            const original = imageTag(copy, "linux/arm64");
            assert.equal(original, imageTag(CONTAINER_CONTEXT, "linux/arm64"), "the hash is of the content, not of where it lies");
            assert.match(original, /^sha-[0-9a-f]{16}-arm64$/);
            assert.equal(imageTag(copy, "linux/arm64"), original, "stable while nothing changes");

            const page = path.join(copy, "htdocs", "index.html");
            assert.ok(fs.existsSync(page), "the sample page the lab serves");
            fs.appendFileSync(page, "<!-- changed -->\n");
            const edited = imageTag(copy, "linux/arm64");
            assert.notEqual(edited, original, "an edited page gets a new tag");

            fs.writeFileSync(path.join(copy, "htdocs", "new.html"), "<p>new</p>\n");
            const added = imageTag(copy, "linux/arm64");
            assert.notEqual(added, edited, "an added file gets a new tag");

            fs.renameSync(path.join(copy, "htdocs", "new.html"), path.join(copy, "htdocs", "renamed.html"));
            assert.notEqual(imageTag(copy, "linux/arm64"), added, "a renamed file gets a new tag");
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
    });

    it("pushes a new tag when only webArchitecture changes (the repository's tags are immutable)", async () => {
        const arm = (await only({ webArchitecture: "ARM64" })).named("web-image").inputs;
        const x86 = (await only({ webArchitecture: "X86_64", webCpu: 256, webMemoryMb: 512 })).named("web-image").inputs;
        assert.notEqual(arm.imageTag, x86.imageTag);
        assert.match(arm.imageTag, /^sha-[0-9a-f]{16}-arm64$/);
        assert.match(x86.imageTag, /^sha-[0-9a-f]{16}-amd64$/);
    });

    it("pushes a new tag when the build recipe's version changes", () => {
        assert.notEqual(imageTag(CONTAINER_CONTEXT, "linux/arm64", IMAGE_RECIPE_VERSION + 1), imageTag(CONTAINER_CONTEXT, "linux/arm64"));
        assert.equal(imageTag(CONTAINER_CONTEXT, "linux/arm64"), imageTag(CONTAINER_CONTEXT, "linux/arm64"));
    });
});

describe("web service network: two default subnets in distinct zones", () => {
    // us-east-1's six default subnets, listed out of order, two of them sharing a zone id order with others.
    const six = [
        ["subnet-0ffffffffffffff06", "us-east-1f"],
        ["subnet-0ccccccccccccccc3", "us-east-1c"],
        ["subnet-0bbbbbbbbbbbbbbb2", "us-east-1b"],
        ["subnet-0eeeeeeeeeeeeeee5", "us-east-1e"],
        ["subnet-0aaaaaaaaaaaaaaa1", "us-east-1a"],
        ["subnet-0ddddddddddddddd4", "us-east-1d"],
    ];
    const calls = (order: string[][]) => ({
        "aws:ec2/getSubnets:getSubnets": () => ({ id: "x", ids: order.map(([id]) => id) }),
        "aws:ec2/getSubnet:getSubnet": (inputs: Record<string, any>) => ({
            ...inputs,
            availabilityZone: six.find(([id]) => id === inputs.id)![1],
            vpcId: "vpc-0default0000000",
        }),
    });

    it("puts the load balancer and the tasks in two of six default subnets, zones a and b, whatever order AWS lists them in", async () => {
        for (const order of [six, [...six].reverse()]) {
            const run = await runProgram("containers", {}, [], { calls: calls(order) });
            assert.deepEqual(run.named("web-alb").inputs.subnets, ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]);
            assert.deepEqual(run.named("web-service").inputs.networkConfiguration.subnets, [
                "subnet-0aaaaaaaaaaaaaaa1",
                "subnet-0bbbbbbbbbbbbbbb2",
            ]);
        }
    });

    it("takes one subnet per zone, the lowest id first, and zones in name order", () => {
        const subnets = [
            { id: "subnet-2", zone: "eu-west-1b" },
            { id: "subnet-3", zone: "eu-west-1a" },
            { id: "subnet-1", zone: "eu-west-1a" },
            { id: "subnet-4", zone: "eu-west-1c" },
        ];
        assert.deepEqual(chooseSubnets(subnets, 2), ["subnet-1", "subnet-2"]);
        assert.deepEqual(chooseSubnets([...subnets].reverse(), 2), ["subnet-1", "subnet-2"]);
        assert.deepEqual(chooseSubnets(subnets.slice(1, 3), 2), ["subnet-1"], "fewer zones, fewer subnets");
    });
});

describe("new WebService(...) checks its own settings", () => {
    const settings = (values: Record<string, string>) => {
        const base = load({}).web;
        // The settings a caller could build in code, past the config reader: each raw value as the reader would type it.
        return { ...base, ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, /^\d+$/.test(v) ? Number(v) : v])) };
    };
    const refusal = (web: Record<string, unknown>) => {
        try {
            new WebService("web", { settings: web as any, nameSuffix: "abc123" });
        } catch (error) {
            return error as Error;
        }
        assert.fail("new WebService accepted bad settings");
    };

    it("refuses a Fargate size that does not exist with the config's sentence, naming the key", () => {
        const error = refusal(settings({ memoryMb: "3072" }));
        assert.ok(error instanceof ComponentArgsError && error instanceof ConfigError, String(error));
        assert.match(error.message, /^Invalid arguments to WebService "web"/);
        let config: ConfigError | undefined;
        try {
            load({ webMemoryMb: "3072" });
        } catch (e) {
            config = e as ConfigError;
        }
        assert.deepEqual(error.problems, config!.problems, "the same sentences as bad config");
        assert.match(error.message, /cloud-labs:webMemoryMb = "3072": is not a Fargate size for webCpu = 256/);
    });

    it("refuses a minimum of 0 tasks with a schedule, min above max and desired outside min..max", () => {
        const schedule = { stop: "cron(0 19 ? * MON-FRI *)", start: "cron(0 7 ? * MON-FRI *)" };
        assert.match(
            refusal({ ...settings({}), minCount: 0, desiredCount: 0, schedule }).message,
            /cloud-labs:webMinCount = "0": must be at least 1 with cloud-labs:webStartSchedule/,
        );
        assert.match(
            refusal({ ...settings({}), minCount: 4, maxCount: 3 }).message,
            /cloud-labs:webMinCount = "4": must not exceed cloud-labs:webMaxCount = 3/,
        );
        assert.match(refusal({ ...settings({}), desiredCount: 9 }).message, /cloud-labs:webDesiredCount = "9": must lie between/);
        assert.match(refusal({ ...settings({}), cpu: 300 }).message, /cloud-labs:webCpu = "300": must be one of 256, 512/);
        assert.match(
            refusal({ ...settings({}), vpcId: "vpc-0123456789abcdef0", subnetIds: [] }).message,
            /webVpcId and webSubnetIds go together/,
        );
    });
});
