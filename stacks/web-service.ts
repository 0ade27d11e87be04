import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT_ROOT } from "./bundle";
import type { WebServiceConfig } from "./config";
import { NAME_RULES, physicalName } from "./physical-name";

/** The container the lab builds: Apache httpd serving the sample page (containers/httpd). */
export const CONTAINER_CONTEXT = path.join(PROJECT_ROOT, "containers", "httpd");
const CONTAINER_NAME = "web";
/**
 * Version of how the image is built (the Dockerfile's build arguments, the build settings below). Part of the
 * image tag: raise it when the build changes without the build context changing, so a new tag is pushed
 * (the repository's tags are immutable).
 */
export const IMAGE_RECIPE_VERSION = 1;

export interface WebServiceArgs {
    /**
     * The lab's settings: image, architecture, cpu/memory, task counts, ports, Spot, network, HTTPS.
     * Validated by stacks/config/rules/web-service.ts (Fargate's cpu/memory pairs, min <= desired <= max).
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
}

/**
 * The ECS lab: the httpd "sample-app" on Fargate behind an internet-facing Application Load Balancer, its image in
 * an ECR repository, with deployment rollback and CPU target-tracking auto scaling between min and max tasks.
 * Runs in the default VPC's public subnets (public IPs, no NAT gateway to pay for) unless a VPC is configured.
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
        super("cloud-labs:ecs:WebService", name, {}, opts);
        const s = args.settings;
        this.domainName = s.certificateArn ? s.domainName : undefined;
        const network = this.lookUpNetwork(s);
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
            { namePrefix: `/ecs/${pulumi.getProject()}-${pulumi.getStack()}-${name}-`, retentionInDays: args.logRetentionDays ?? 7 },
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

    private lookUpNetwork(s: WebServiceConfig): { vpcId: pulumi.Output<string>; subnetIds: pulumi.Output<string[]> } {
        if (s.vpcId) {
            // The load balancer needs subnets in two availability zones; the config check counted them, this checks the zones.
            const zones = s.subnetIds.map((id) => aws.ec2.getSubnetOutput({ id }, { parent: this }).availabilityZone);
            const subnetIds = pulumi.all(zones).apply((azs) => {
                requireTwoZones(s.subnetIds, azs, "cloud-labs:webSubnetIds");
                return s.subnetIds;
            });
            return { vpcId: pulumi.output(s.vpcId), subnetIds };
        }
        // getVpcs (not getVpc) answers an empty list instead of a raw "no matching VPC" error; the subnets are looked
        // up only once there is a VPC, so a missing one gives exactly one error.
        const network = aws.ec2
            .getVpcsOutput({ filters: [{ name: "is-default", values: ["true"] }] }, { parent: this })
            .ids.apply(async (vpcIds) => {
                if (vpcIds.length === 0) throw new NoDefaultVpcError();
                const filters = [{ name: "vpc-id", values: [vpcIds[0]] }, { name: "default-for-az", values: ["true"] }];
                const { ids } = await aws.ec2.getSubnets({ filters }, { parent: this });
                // Default subnets are one per zone, so their count is the number of zones.
                if (ids.length < 2) {
                    throw new Error(
                        `The default VPC has ${ids.length} default subnet(s); an Application Load Balancer needs subnets in at least two ` +
                            "availability zones. Recreate them (`aws ec2 create-default-subnet --availability-zone <zone>`) or set " +
                            "cloud-labs:webVpcId and cloud-labs:webSubnetIds (`aws ec2 describe-vpcs`, `aws ec2 describe-subnets`).",
                    );
                }
                return { vpcId: vpcIds[0], subnetIds: ids };
            });
        return { vpcId: network.vpcId, subnetIds: network.subnetIds };
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

    private createSecurityGroups(name: string, s: WebServiceConfig, vpcId: pulumi.Input<string>): [aws.ec2.SecurityGroup, aws.ec2.SecurityGroup] {
        const alb = new aws.ec2.SecurityGroup(`${name}-albSg`, { vpcId, description: "Load balancer: HTTP(S) from anywhere" }, { parent: this });
        const task = new aws.ec2.SecurityGroup(`${name}-taskSg`, { vpcId, description: "Tasks: the container port from the load balancer only" }, { parent: this });
        const ports = s.certificateArn ? [80, 443] : [80];
        for (const port of ports) {
            for (const [family, cidr] of [["v4", { cidrIpv4: "0.0.0.0/0" }], ["v6", { cidrIpv6: "::/0" }]] as const) {
                new aws.vpc.SecurityGroupIngressRule(
                    `${name}-albIn${port}${family}`,
                    { securityGroupId: alb.id, ipProtocol: "tcp", fromPort: port, toPort: port, ...cidr, description: `HTTP${port === 443 ? "S" : ""} from anywhere` },
                    { parent: this },
                );
            }
        }
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-albOutToTasks`,
            { securityGroupId: alb.id, ipProtocol: "tcp", fromPort: s.containerPort, toPort: s.containerPort, referencedSecurityGroupId: task.id, description: "To the tasks" },
            { parent: this },
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-taskInFromAlb`,
            { securityGroupId: task.id, ipProtocol: "tcp", fromPort: s.containerPort, toPort: s.containerPort, referencedSecurityGroupId: alb.id, description: "From the load balancer" },
            { parent: this },
        );
        new aws.vpc.SecurityGroupEgressRule(
            `${name}-taskOutHttps`,
            { securityGroupId: task.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description: "HTTPS to ECR, S3 (image layers) and CloudWatch Logs" },
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
                healthCheck: { path: s.healthCheckPath, matcher: "200", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
                // Deploys and destroys should not wait the default 5 minutes for connections to drain.
                deregistrationDelay: 10,
            },
            { parent: this },
        );
    }

    private createListeners(name: string, s: WebServiceConfig): aws.lb.Listener[] {
        const forward = [{ type: "forward", targetGroupArn: this.targetGroup.arn }];
        if (!s.certificateArn) {
            return [new aws.lb.Listener(`${name}-http`, { loadBalancerArn: this.loadBalancer.arn, port: 80, protocol: "HTTP", defaultActions: forward }, { parent: this })];
        }
        return [
            new aws.lb.Listener(
                `${name}-http`,
                {
                    loadBalancerArn: this.loadBalancer.arn,
                    port: 80,
                    protocol: "HTTP",
                    // To the certificate's host name: the load balancer's own name is not on the certificate.
                    defaultActions: [{ type: "redirect", redirect: { host: s.domainName, protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
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

    private createTaskDefinition(name: string, s: WebServiceConfig, imageUri: pulumi.Input<string>, nameSuffix: pulumi.Input<string>): aws.ecs.TaskDefinition {
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

    /** Scales to zero at the stop time and back to min..max at the start time, so idle hours bill no tasks. */
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

/** The account has no default VPC (common in organization accounts) and none is configured. */
export class NoDefaultVpcError extends Error {
    constructor() {
        super(
            "This account and region have no default VPC, so the web service has nowhere to run. Set cloud-labs:webVpcId " +
                "and cloud-labs:webSubnetIds to a VPC and two or more of its public subnets in different availability zones: " +
                "list them with `aws ec2 describe-vpcs` and `aws ec2 describe-subnets --filters Name=vpc-id,Values=<vpc-id>` " +
                "(public subnets route 0.0.0.0/0 to an internet gateway), then `pulumi config set cloud-labs:webVpcId <vpc-id>` " +
                "and `pulumi config set --path 'cloud-labs:webSubnetIds[0]' <subnet-id>` (and [1], ...).",
        );
        this.name = "NoDefaultVpcError";
    }
}

/** An Application Load Balancer needs subnets in at least two availability zones. */
export function requireTwoZones(subnetIds: string[], zones: string[], where: string): void {
    if (new Set(zones).size >= 2) return;
    const listed = subnetIds.map((id, i) => `${id} (${zones[i]})`).join(", ") || "none";
    throw new Error(
        `${where}: an Application Load Balancer needs subnets in at least two availability zones; found ${listed}. ` +
            "Set cloud-labs:webVpcId and cloud-labs:webSubnetIds to public subnets in two or more zones (`aws ec2 describe-subnets`).",
    );
}

function platformOf(architecture: WebServiceConfig["architecture"]): "linux/arm64" | "linux/amd64" {
    return architecture === "ARM64" ? "linux/arm64" : "linux/amd64";
}

/** The image tag: `sha-<hash of the context and the recipe version>-<arm64|amd64>`. */
export function imageTag(dir: string, platform: string, recipeVersion = IMAGE_RECIPE_VERSION): string {
    return `${contextHash(dir, recipeVersion)}-${platform.replace(/^linux\//, "")}`;
}

/** A short hash of every file in the build context and the recipe version. */
export function contextHash(dir: string, recipeVersion = IMAGE_RECIPE_VERSION): string {
    const hash = crypto.createHash("sha256");
    hash.update(`recipe ${recipeVersion}\0`);
    const walk = (d: string): string[] =>
        fs
            .readdirSync(d, { withFileTypes: true })
            .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]))
            .sort();
    for (const file of walk(dir)) {
        hash.update(path.relative(dir, file).split(path.sep).join("/"));
        hash.update("\0");
        hash.update(fs.readFileSync(file));
    }
    return `sha-${hash.digest("hex").slice(0, 16)}`;
}
