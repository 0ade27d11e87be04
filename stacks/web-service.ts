/**
 * The ECS lab's service: load balancer, cluster, task, service, auto scaling and the stop/start schedule. Where it
 * runs is stacks/web-network.ts, what image it runs is stacks/container-image.ts, and the rules its settings keep are
 * stacks/config/rules/web-service.ts.
 *
 * Why not awsx.ecs.FargateService and awsx.lb.ApplicationLoadBalancer: under Pulumi's mocks (test/helpers/program.ts,
 * `npm run cost`, `npm run policy`) an awsx component is opaque, one resource with no children, because its children
 * are made by the awsx provider plugin, not by this program. Every tested behaviour of the children would be lost:
 * the security groups' rules (task port open only to the load balancer), the execution role's least-privilege
 * statements, the listener's HTTPS redirect, the target group's health check, the circuit breaker, the schedule on
 * the scalable target, the subnets the load balancer sits in, and the cost estimate and policy pack, which price and
 * check those children. awsx also makes its own default-VPC look-up (every default subnet) and roles named by it.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { WebServiceConfig } from "./config";
import { checkArgs } from "./config/reader";
import { webServiceProblems } from "./config/rules/web-service";
import { CONTAINER_CONTEXT, imageTag, platformOf } from "./container-image";
import { logGroupNamePrefix } from "./node-function";
import { NAME_RULES, physicalName } from "./physical-name";
import { lookUpNetwork } from "./web-network";

const CONTAINER_NAME = "web";

export interface WebServiceArgs {
    /**
     * The lab's settings: image, architecture, cpu/memory, task counts, ports, Spot, network, HTTPS.
     * Checked by the constructor with the config's rules (stacks/config/rules/web-service.ts: Fargate's cpu/memory
     * pairs, min <= desired <= max, a minimum of 1 with a schedule, ...): bad settings throw a ComponentArgsError.
     * @example { settings: loadConfig().web }
     */
    settings: WebServiceConfig;
    /**
     * Days CloudWatch keeps the container logs.
     * @default 7
     */
    logRetentionDays?: number;
    /**
     * The stack's random name suffix, for the one name AWS requires here (the task family).
     * @example { nameSuffix: stackNameSuffix() }
     */
    nameSuffix: pulumi.Input<string>;
    /**
     * The deployment's identity, leading the container log group's name (see NodeFunctionArgs.deploymentId).
     * @default "<project>-<stack>"
     */
    deploymentId?: pulumi.Input<string>;
}

/**
 * The ECS lab: the httpd "sample-app" on Fargate behind an internet-facing Application Load Balancer, its image in
 * an ECR repository, with deployment rollback and CPU target-tracking auto scaling between min and max tasks.
 * Runs in two default subnets of the default VPC in distinct zones (public IPs, no NAT gateway to pay for) unless a
 * VPC and subnets are configured.
 */
export class WebService extends pulumi.ComponentResource {
    readonly repository: aws.ecr.Repository;
    readonly image?: awsx.ecr.Image;
    readonly loadBalancer: aws.lb.LoadBalancer;
    readonly targetGroup: aws.lb.TargetGroup;
    readonly cluster: aws.ecs.Cluster;
    readonly service: aws.ecs.Service;
    readonly logGroup: aws.cloudwatch.LogGroup;
    readonly executionRole: aws.iam.Role;
    readonly albSecurityGroup: aws.ec2.SecurityGroup;
    readonly taskSecurityGroup: aws.ec2.SecurityGroup;
    /** The host name the certificate covers, when HTTPS is on. */
    readonly domainName?: string;

    constructor(name: string, args: WebServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        checkArgs("WebService", name, webServiceProblems(args.settings));
        super("cloud-labs:ecs:WebService", name, {}, opts);
        const s = args.settings;
        this.domainName = s.certificateArn ? s.domainName : undefined;
        const network = lookUpNetwork(s, this);
        this.repository = this.createRepository(name, s);
        this.image = this.buildImage(name, s);
        const imageUri = s.image ?? this.image!.imageUri;
        [this.albSecurityGroup, this.taskSecurityGroup] = this.createSecurityGroups(name, s, network.vpcId);
        this.loadBalancer = new aws.lb.LoadBalancer(
            `${name}-alb`,
            {
                loadBalancerType: "application",
                internal: false,
                securityGroups: [this.albSecurityGroup.id],
                subnets: network.subnetIds,
                idleTimeout: 30,
            },
            { parent: this },
        );
        this.targetGroup = this.createTargetGroup(name, s, network.vpcId);
        const listeners = this.createListeners(name, s);
        this.logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            // AWS appends a unique suffix to the prefix: two deployments of one stack name never share a group.
            { namePrefix: logGroupNamePrefix("/ecs", args.deploymentId, name), retentionInDays: args.logRetentionDays ?? 7 },
            { parent: this },
        );
        this.executionRole = this.createExecutionRole(name, s);
        this.cluster = new aws.ecs.Cluster(
            `${name}-cluster`,
            { settings: [{ name: "containerInsights", value: s.containerInsights ? "enabled" : "disabled" }] },
            { parent: this },
        );
        const capacityProviders = new aws.ecs.ClusterCapacityProviders(
            `${name}-capacity`,
            {
                clusterName: this.cluster.name,
                capacityProviders: ["FARGATE", "FARGATE_SPOT"],
            },
            { parent: this },
        );
        const taskDefinition = this.createTaskDefinition(name, s, imageUri, args.nameSuffix);
        this.service = new aws.ecs.Service(
            `${name}-service`,
            {
                cluster: this.cluster.arn,
                taskDefinition: taskDefinition.arn,
                desiredCount: s.desiredCount,
                capacityProviderStrategies: [{ capacityProvider: s.spot ? "FARGATE_SPOT" : "FARGATE", weight: 1, base: 0 }],
                networkConfiguration: {
                    subnets: network.subnetIds,
                    securityGroups: [this.taskSecurityGroup.id],
                    // Public subnets without a NAT gateway: tasks need a public IP to pull the image and ship logs.
                    assignPublicIp: true,
                },
                loadBalancers: [{ targetGroupArn: this.targetGroup.arn, containerName: CONTAINER_NAME, containerPort: s.containerPort }],
                deploymentCircuitBreaker: { enable: true, rollback: true },
                // `pulumi up` fails (after the circuit breaker rolls back) unless the new tasks become healthy.
                waitForSteadyState: true,
                // Required to change capacityProviderStrategies (webSpot) on a deployed service.
                forceNewDeployment: true,
                deploymentMinimumHealthyPercent: 100,
                deploymentMaximumPercent: 200,
                healthCheckGracePeriodSeconds: 30,
                propagateTags: "SERVICE",
                enableEcsManagedTags: true,
                // Delete without first draining to zero tasks, so `pulumi destroy` does not wait on the service.
                forceDelete: true,
            },
            // Auto scaling owns the running count after the first deployment.
            { parent: this, dependsOn: [...listeners, capacityProviders], ignoreChanges: ["desiredCount"] },
        );
        this.createAutoScaling(name, s);
        this.registerOutputs({});
    }

    private createRepository(name: string, s: WebServiceConfig): aws.ecr.Repository {
        const repository = new aws.ecr.Repository(
            `${name}-repo`,
            {
                imageScanningConfiguration: { scanOnPush: true },
                imageTagMutability: "IMMUTABLE",
                encryptionConfigurations: [{ encryptionType: "AES256" }],
                // `pulumi destroy` removes the repository with its images.
                forceDelete: true,
            },
            { parent: this },
        );
        new aws.ecr.LifecyclePolicy(
            `${name}-repoLifecycle`,
            {
                repository: repository.name,
                policy: JSON.stringify({
                    rules: [
                        {
                            rulePriority: 1,
                            description: `Keep the last ${s.keepImages} images`,
                            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: s.keepImages },
                            action: { type: "expire" },
                        },
                    ],
                }),
            },
            { parent: this },
        );
        return repository;
    }

    private buildImage(name: string, s: WebServiceConfig): awsx.ecr.Image | undefined {
        if (s.image) return undefined;
        return new awsx.ecr.Image(
            `${name}-image`,
            {
                repositoryUrl: this.repository.repositoryUrl,
                context: CONTAINER_CONTEXT,
                platform: platformOf(s.architecture),
                // Tags are immutable: tag by what is built (content, platform, recipe), so an unchanged build pushes
                // nothing new and a changed one (e.g. another webArchitecture) pushes a new tag.
                imageTag: imageTag(CONTAINER_CONTEXT, platformOf(s.architecture)),
            },
            { parent: this },
        );
    }

    private createSecurityGroups(
        name: string,
        s: WebServiceConfig,
        vpcId: pulumi.Input<string>,
    ): [aws.ec2.SecurityGroup, aws.ec2.SecurityGroup] {
        const alb = new aws.ec2.SecurityGroup(
            `${name}-albSg`,
            { vpcId, description: "Load balancer: HTTP(S) from anywhere" },
            { parent: this },
        );
        const task = new aws.ec2.SecurityGroup(
            `${name}-taskSg`,
            { vpcId, description: "Tasks: the container port from the load balancer only" },
            { parent: this },
        );
        const ports = s.certificateArn ? [80, 443] : [80];
        for (const port of ports) {
            for (const [family, cidr] of [
                ["v4", { cidrIpv4: "0.0.0.0/0" }],
                ["v6", { cidrIpv6: "::/0" }],
            ] as const) {
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-albIn${port}${family}`,
                    {
                        securityGroupId: alb.id,
                        ipProtocol: "tcp",
                        fromPort: port,
                        toPort: port,
                        ...cidr,
                        description: `HTTP${port === 443 ? "S" : ""} from anywhere`,
                    },
                    { parent: this },
                );
            }
        }
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-albOutToTasks`,
            {
                securityGroupId: alb.id,
                ipProtocol: "tcp",
                fromPort: s.containerPort,
                toPort: s.containerPort,
                referencedSecurityGroupId: task.id,
                description: "To the tasks",
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-taskInFromAlb`,
            {
                securityGroupId: task.id,
                ipProtocol: "tcp",
                fromPort: s.containerPort,
                toPort: s.containerPort,
                referencedSecurityGroupId: alb.id,
                description: "From the load balancer",
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-taskOutHttps`,
            {
                securityGroupId: task.id,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "0.0.0.0/0",
                description: "HTTPS to ECR, S3 (image layers) and CloudWatch Logs",
            },
            { parent: this },
        );
        return [alb, task];
    }

    private createTargetGroup(name: string, s: WebServiceConfig, vpcId: pulumi.Input<string>): aws.lb.TargetGroup {
        return new aws.lb.TargetGroup(
            `${name}-tg`,
            {
                targetType: "ip",
                port: s.containerPort,
                protocol: "HTTP",
                vpcId,
                healthCheck: {
                    path: s.healthCheckPath,
                    matcher: "200",
                    interval: 15,
                    timeout: 5,
                    healthyThreshold: 2,
                    unhealthyThreshold: 3,
                },
                // Deploys and destroys should not wait the default 5 minutes for connections to drain.
                deregistrationDelay: 10,
            },
            { parent: this },
        );
    }

    private createListeners(name: string, s: WebServiceConfig): aws.lb.Listener[] {
        const forward = [{ type: "forward", targetGroupArn: this.targetGroup.arn }];
        if (!s.certificateArn) {
            return [
                new aws.lb.Listener(
                    `${name}-http`,
                    { loadBalancerArn: this.loadBalancer.arn, port: 80, protocol: "HTTP", defaultActions: forward },
                    { parent: this },
                ),
            ];
        }
        return [
            new aws.lb.Listener(
                `${name}-http`,
                {
                    loadBalancerArn: this.loadBalancer.arn,
                    port: 80,
                    protocol: "HTTP",
                    // To the certificate's host name: the load balancer's own name is not on the certificate.
                    defaultActions: [
                        { type: "redirect", redirect: { host: s.domainName, protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
                    ],
                },
                { parent: this },
            ),
            new aws.lb.Listener(
                `${name}-https`,
                {
                    loadBalancerArn: this.loadBalancer.arn,
                    port: 443,
                    protocol: "HTTPS",
                    certificateArn: s.certificateArn,
                    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
                    defaultActions: forward,
                },
                { parent: this },
            ),
        ];
    }

    private createExecutionRole(name: string, s: WebServiceConfig): aws.iam.Role {
        const role = new aws.iam.Role(
            `${name}-executionRole`,
            {
                description: "Lets ECS pull the web image and write its logs",
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
            },
            { parent: this },
        );
        const pull = s.image
            ? [] // a given image comes from a public registry: nothing to authorize
            : [
                  // GetAuthorizationToken has no resource to name; the pull itself is limited to this repository.
                  { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
                  {
                      Sid: "PullImage",
                      Effect: "Allow",
                      Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                      Resource: [this.repository.arn],
                  },
              ];
        new aws.iam.RolePolicy(
            `${name}-executionPolicy`,
            {
                role: role.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        ...pull,
                        {
                            Sid: "WriteLogs",
                            Effect: "Allow",
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                            Resource: [pulumi.interpolate`${this.logGroup.arn}:*`],
                        },
                    ],
                }),
            },
            { parent: this },
        );
        return role;
    }

    private createTaskDefinition(
        name: string,
        s: WebServiceConfig,
        imageUri: pulumi.Input<string>,
        nameSuffix: pulumi.Input<string>,
    ): aws.ecs.TaskDefinition {
        return new aws.ecs.TaskDefinition(
            `${name}-task`,
            {
                family: physicalName(name, nameSuffix, NAME_RULES.ecsTaskFamily),
                cpu: String(s.cpu),
                memory: String(s.memoryMb),
                networkMode: "awsvpc",
                requiresCompatibilities: ["FARGATE"],
                runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: s.architecture },
                executionRoleArn: this.executionRole.arn,
                // No task role: httpd makes no AWS calls.
                containerDefinitions: pulumi.jsonStringify([
                    {
                        name: CONTAINER_NAME,
                        image: imageUri,
                        essential: true,
                        portMappings: [{ containerPort: s.containerPort, protocol: "tcp" }],
                        logConfiguration: {
                            logDriver: "awslogs",
                            options: {
                                "awslogs-group": this.logGroup.name,
                                "awslogs-region": aws.getRegionOutput({}, { parent: this }).region,
                                "awslogs-stream-prefix": CONTAINER_NAME,
                            },
                        },
                    },
                ]),
            },
            { parent: this },
        );
    }

    private createAutoScaling(name: string, s: WebServiceConfig): void {
        const target = new aws.appautoscaling.Target(
            `${name}-scaling`,
            {
                serviceNamespace: "ecs",
                scalableDimension: "ecs:service:DesiredCount",
                resourceId: pulumi.interpolate`service/${this.cluster.name}/${this.service.name}`,
                minCapacity: s.minCount,
                maxCapacity: s.maxCount,
            },
            { parent: this },
        );
        new aws.appautoscaling.Policy(
            `${name}-cpuScaling`,
            {
                policyType: "TargetTrackingScaling",
                serviceNamespace: target.serviceNamespace,
                scalableDimension: target.scalableDimension,
                resourceId: target.resourceId,
                targetTrackingScalingPolicyConfiguration: {
                    predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
                    targetValue: s.cpuTargetPercent,
                    scaleInCooldown: 120,
                    scaleOutCooldown: 60,
                },
            },
            { parent: this },
        );
        this.createSchedule(name, s, target);
    }

    /**
     * Scales to zero at the stop time and back to min..max at the start time, so idle hours bill no tasks. The start
     * brings back webMinCount tasks (at least 1: a rule), never the desired count: nothing else starts them before then,
     * `pulumi up` included (the scalable target's saved minimum is unchanged, so nothing is sent to AWS).
     */
    private createSchedule(name: string, s: WebServiceConfig, target: aws.appautoscaling.Target): void {
        if (!s.schedule) return;
        const actions = [
            ["stop", s.schedule.stop, { minCapacity: 0, maxCapacity: 0 }],
            ["start", s.schedule.start, { minCapacity: s.minCount, maxCapacity: s.maxCount }],
        ] as const;
        for (const [action, schedule, capacity] of actions) {
            new aws.appautoscaling.ScheduledAction(
                `${name}-${action}`,
                {
                    serviceNamespace: target.serviceNamespace,
                    scalableDimension: target.scalableDimension,
                    resourceId: target.resourceId,
                    schedule,
                    timezone: "UTC",
                    scalableTargetAction: capacity,
                },
                { parent: this },
            );
        }
    }

    /** `https://<webDomainName>` with a certificate, else `http://<load balancer DNS name>`. */
    get serviceUrl(): pulumi.Output<string> {
        return this.domainName ? pulumi.output(`https://${this.domainName}`) : pulumi.interpolate`http://${this.loadBalancer.dnsName}`;
    }

    /** The load balancer's DNS name: what a CNAME for webDomainName points at. */
    get loadBalancerDnsName(): pulumi.Output<string> {
        return this.loadBalancer.dnsName;
    }
}
