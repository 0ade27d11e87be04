import * as assert from "node:assert/strict";
import { contextHash, CONTAINER_CONTEXT, imageTag, IMAGE_RECIPE_VERSION } from "../../stacks/web-service";
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
        assert.deepEqual(run.named("web-service").inputs.networkConfiguration.subnets, ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]);
        assert.equal(run.ofType("aws:ec2/natGateway:NatGateway").length, 0, "no NAT gateway to pay for");
    });

    it("opens port 80 on the load balancer to IPv4 and IPv6, and the task port only to the load balancer", () => {
        const ingress = rules(run, "Ingress");
        const albIn = ingress.filter((r) => r.inputs.securityGroupId === sgId("web-albSg"));
        assert.deepEqual(
            albIn.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6]).sort(),
            [[80, 80, "0.0.0.0/0"], [80, 80, "::/0"]],
        );
        const taskIn = ingress.filter((r) => r.inputs.securityGroupId === sgId("web-taskSg"));
        assert.equal(taskIn.length, 1);
        assert.equal(taskIn[0].inputs.referencedSecurityGroupId, sgId("web-albSg"));
        assert.equal(taskIn[0].inputs.fromPort, 8080);
        assert.equal(taskIn[0].inputs.cidrIpv4, undefined, "no task port open to the world");
        assert.equal(taskIn[0].inputs.cidrIpv6, undefined);
        const albOut = rules(run, "Egress").filter((r) => r.inputs.securityGroupId === sgId("web-albSg"));
        assert.deepEqual(albOut.map((r) => [r.inputs.fromPort, r.inputs.referencedSecurityGroupId]), [[8080, sgId("web-taskSg")]]);
        const taskOut = rules(run, "Egress").filter((r) => r.inputs.securityGroupId === sgId("web-taskSg"));
        assert.deepEqual(taskOut.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]), [[443, 443, "0.0.0.0/0"]]);
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
        assert.equal(policy.targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType, "ECSServiceAverageCPUUtilization");
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
        assert.equal(run.named("web-logs").inputs.namePrefix, "/ecs/cloud-labs-dev-web-");
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
            { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${run.named("web-logs").state.arn}:*`] },
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
        assert.deepEqual(run.named("web-service").inputs.capacityProviderStrategies, [{ capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 }]);
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
        const ports = rules(run, "Ingress").filter((r: ProgramResource) => r.inputs.securityGroupId === sgId("web-albSg")).map((r) => r.inputs.fromPort);
        assert.deepEqual(ports.sort(), [443, 443, 80, 80]);
    });

    it("uses a configured VPC and subnets instead of looking up the default VPC", async () => {
        const run = await only({ webVpcId: "vpc-0123456789abcdef0", webSubnetIds: ["subnet-01111111111111111", "subnet-02222222222222222"] });
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
        await assert.rejects(runProgram("dev", { labs: ["webService"] }, [], { calls: oneSubnet }), /1 default subnet\(s\); an Application Load Balancer needs subnets in at least two availability zones/);
    });

    it("refuses configured subnets that are all in one availability zone, naming them and their zone", async () => {
        const sameZone = { "aws:ec2/getSubnet:getSubnet": (inputs: Record<string, any>) => ({ ...inputs, availabilityZone: "us-east-1a" }) };
        const config = { labs: ["webService"], webVpcId: "vpc-0123456789abcdef0", webSubnetIds: ["subnet-01111111111111111", "subnet-03333333333333333"] };
        await assert.rejects(runProgram("dev", config, [], { calls: sameZone }), (error: Error) => {
            assert.match(error.message, /cloud-labs:webSubnetIds: an Application Load Balancer needs subnets in at least two availability zones/);
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
        const hash = contextHash(CONTAINER_CONTEXT);
        assert.match(hash, /^sha-[0-9a-f]{16}$/);
        assert.equal(contextHash(CONTAINER_CONTEXT), hash, "stable for unchanged content");
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
