/**
 * Runs the whole Pulumi program (index.ts) under Pulumi mocks with a stack's real config, the way `pulumi up`
 * would run it, and returns every registered resource with its inputs and options, and the stack outputs.
 * The tests, `npm run cost` and `npm run policy` use it.
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, ROOT, stackConfig } from "./stack-files";

export { labOf, PROJECT, ROOT, shippedStacks, stackConfig } from "./stack-files";
const PROGRAM = path.join(ROOT, "index.ts");
export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

export interface ProgramResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** The provider reference (`urn::id`) for custom resources, if an explicit provider was used. */
    provider?: string;
    /** The state the mock returned (inputs plus what AWS would compute). */
    state: Record<string, any>;
    /** The resource options the program gave it (protect, retainOnDelete, dependsOn, ...). */
    options: pulumi.CustomResourceOptions;
}

/** A data source the program called (e.g. the default VPC's subnets) and what the mocks answered in AWS's place. */
export interface LookUp {
    token: string;
    inputs: Record<string, any>;
    answer: Record<string, any>;
}

export interface ProgramRun {
    resources: ProgramResource[];
    /** Every look-up, in call order: what a price or a check built on was the mocks' answer, not an account's. */
    lookUps: LookUp[];
    outputs: Record<string, any>;
    /** Resources of one type token, e.g. `aws:s3/bucket:Bucket`. */
    ofType(type: string): ProgramResource[];
    /** The one resource with this logical name; fails naming the known names when absent. */
    named(name: string): ProgramResource;
}

/** What AWS computes for a resource, so outputs like ARNs and endpoints have realistic values. */
function computedState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
    switch (type) {
        case "aws:s3/bucket:Bucket": {
            const bucket = inputs.bucket ?? `${name.toLowerCase()}-abc123`;
            return { bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.${REGION}.amazonaws.com` };
        }
        case "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration":
            return { websiteEndpoint: `${inputs.bucket}.s3-website-${REGION}.amazonaws.com` };
        case "aws:lambda/function:Function": {
            const functionName = inputs.name ?? autoName(name);
            return { arn: arn("lambda", `function:${functionName}`), name: functionName };
        }
        case "aws:iam/role:Role":
            return { arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, name };
        case "aws:cloudwatch/logGroup:LogGroup": {
            // namePrefix: AWS's provider appends a 26-character unique id (a timestamp and a counter).
            const groupName = inputs.name ?? (inputs.namePrefix ? `${inputs.namePrefix}${uniqueId()}` : autoName(name));
            return { arn: arn("logs", `log-group:${groupName}`), name: groupName };
        }
        case "aws:apigatewayv2/api:Api":
            return {
                apiEndpoint: `https://${name}-id.execute-api.${REGION}.amazonaws.com`,
                executionArn: arn("execute-api", `${name}-id`),
            };
        case "aws:ecr/repository:Repository":
            return { arn: arn("ecr", `repository/${name}`), name, repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}` };
        case "awsx:ecr:Image":
            return { imageUri: `${inputs.repositoryUrl}:${inputs.imageTag}@sha256:${"ab".repeat(32)}` };
        case "aws:lb/loadBalancer:LoadBalancer":
            return { arn: arn("elasticloadbalancing", `loadbalancer/app/${name}/1`), dnsName: `${name}-123.${REGION}.elb.amazonaws.com` };
        case "aws:lb/targetGroup:TargetGroup":
            return { arn: arn("elasticloadbalancing", `targetgroup/${name}/1`) };
        case "aws:ecs/cluster:Cluster":
            return { arn: arn("ecs", `cluster/${name}`), name };
        case "aws:ecs/service:Service":
            return { arn: arn("ecs", `service/${name}`), name };
        case "aws:ecs/taskDefinition:TaskDefinition":
            return { arn: arn("ecs", `task-definition/${inputs.family}:1`) };
        case "aws:ec2/securityGroup:SecurityGroup":
            return { arn: arn("ec2", `security-group/${name}`) };
        case "random:index/randomString:RandomString": {
            // Like the random provider: new random characters for every new stack state.
            const alphabet = `${inputs.lower === false ? "" : "abcdefghijklmnopqrstuvwxyz"}${inputs.upper === false ? "" : "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}${inputs.numeric === false ? "" : "0123456789"}`;
            return { result: Array.from(crypto.randomBytes(inputs.length), (b) => alphabet[b % alphabet.length]).join("") };
        }
        case "aws:sqs/queue:Queue": {
            const queueName = inputs.name ?? autoName(name);
            return { arn: arn("sqs", queueName), name: queueName, url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${queueName}` };
        }
        case "aws:dynamodb/table:Table": {
            const tableName = inputs.name ?? autoName(name);
            return { arn: arn("dynamodb", `table/${tableName}`), name: tableName };
        }
        case "aws:serverlessrepository/cloudFormationStack:CloudFormationStack":
            return { outputs: { LambdaFunctionArn: arn("lambda", "function:fact-skill") } };
        default:
            return { arn: arn("mock", name) };
    }
}

/** Pulumi's auto-name: the logical name, a hyphen and 7 random hex digits. */
function autoName(name: string): string {
    return `${name}-${crypto.randomBytes(4).toString("hex").slice(0, 7)}`;
}

/** Like the provider's name_prefix ids: 26 characters, different every time. */
function uniqueId(): string {
    return `${new Date().toISOString().replace(/\D/g, "").padEnd(18, "0")}${crypto.randomBytes(4).toString("hex")}`;
}

/** Makes a Pulumi Output's value awaitable in a test. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

export interface RunOptions {
    /** Run under this stack name instead of `stack` (whose Pulumi.<stack>.yaml still gives the config). */
    stackName?: string;
    /** Answers for data sources by token, replacing the default account's; throw to make the look-up fail. */
    calls?: Record<string, (inputs: Record<string, any>) => Record<string, any>>;
}

/**
 * Runs index.ts for `stack` with its Pulumi.<stack>.yaml config, plus `overrides` (keys without a namespace are
 * the project's; a value of `undefined` removes the key). Rejects with the program's error, e.g. a ConfigError.
 */
export async function runProgram(
    stack = "dev",
    overrides: Record<string, unknown> = {},
    /** Applied before options are captured, e.g. to prove a check catches a `protect`. */
    transformations: pulumi.ResourceTransformation[] = [],
    run: RunOptions = {},
): Promise<ProgramRun> {
    const config = stackConfig(stack);
    for (const [key, value] of Object.entries(overrides)) {
        const full = key.includes(":") ? key : `${PROJECT}:${key}`;
        if (value === undefined) delete config[full];
        else config[full] = typeof value === "string" ? value : JSON.stringify(value);
    }
    const resources: ProgramResource[] = [];
    const lookUps: LookUp[] = [];
    const options = new Map<string, pulumi.CustomResourceOptions>();
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const state = { ...args.inputs, ...computedState(args.type, args.name, args.inputs) };
                resources.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    provider: args.provider,
                    state,
                    options: options.get(`${args.type}::${args.name}`) ?? {},
                });
                return { id: `${args.name}-id`, state };
            },
            call(args) {
                const answerOf = run.calls?.[args.token];
                const answer = answerOf ? answerOf(args.inputs) : mockCall(args.token, args.inputs);
                lookUps.push({ token: args.token, inputs: args.inputs, answer });
                return answer;
            },
        },
        PROJECT,
        run.stackName ?? stack,
        false,
    );
    pulumi.runtime.setAllConfig(config);
    clearProgramModules();
    // A config error is thrown here, once, as `pulumi preview` reports it: thrown inside the stack below, it
    // would also escape as unhandled rejections of the stack's outputs.
    const { loadConfig } = require(path.join(ROOT, "stacks", "config")) as typeof import("../stacks/config");
    loadConfig((key) => config[`${PROJECT}:${key}`], { keys: Object.keys(config) });

    // An error thrown in an apply (e.g. a look-up's check) is an unhandled rejection, which the Pulumi language
    // host reports as the program's failure, stopping it; here it rejects the run the same way. (The resources
    // waiting on the failed value never register, so the run must not wait for them.)
    const others = process.listeners("unhandledRejection");
    let fail: (reason: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", fail);
    // @pulumi/pulumi reads `new Error().stack` for every promise and resource it makes (debugging aids that a mock
    // engine never shows), and with source maps on (shared/typescript-hook.js) every such read maps each frame: half
    // of a run's time. V8's own formatting is enough meanwhile; errors read after the run are mapped as before.
    const sourceMaps = process.sourceMapsEnabled;
    process.setSourceMapsEnabled(false);
    let outputs: Record<string, any> | undefined;
    try {
        const program = async () => {
            const exported = await pulumi.runtime.runInPulumiStack(async () => {
                transformations.forEach((t) => pulumi.runtime.registerStackTransformation(t));
                // Sees every resource's options as the program set them, before registration.
                pulumi.runtime.registerStackTransformation((args) => {
                    options.set(`${args.type}::${args.name}`, args.opts);
                    return undefined;
                });
                return require(PROGRAM);
            });
            await waitForRegistrations();
            return exported;
        };
        outputs = await Promise.race([program(), failed]);
    } finally {
        process.setSourceMapsEnabled(sourceMaps);
        process.off("unhandledRejection", fail);
        others.forEach((listener) => process.on("unhandledRejection", listener));
    }
    return {
        resources,
        lookUps,
        outputs: outputs ?? {},
        ofType: (type) => resources.filter((r) => r.type === type),
        named(name) {
            const found = resources.filter((r) => r.name === name);
            if (found.length !== 1) {
                throw new Error(
                    `expected one resource named ${name}, found ${found.length}; names: ${resources.map((r) => r.name).join(", ")}`,
                );
            }
            return found[0];
        },
    };
}

/** Data sources the program calls, answered as a default account would. */
function mockCall(token: string, inputs: Record<string, any>): Record<string, any> {
    switch (token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/test`, userId: "test" };
        case "aws:index/getRegion:getRegion":
            return { name: REGION, region: REGION };
        case "aws:ec2/getVpc:getVpc":
            return { id: "vpc-0default0000000", cidrBlock: "172.31.0.0/16" };
        case "aws:ec2/getVpcs:getVpcs":
            return { id: REGION, ids: ["vpc-0default0000000"] };
        case "aws:ec2/getSubnet:getSubnet":
            // Subnets ending in an odd digit are in zone a, the others in zone b.
            return {
                ...inputs,
                availabilityZone: `${REGION}${Number.parseInt(String(inputs.id).slice(-1), 16) % 2 ? "a" : "b"}`,
                vpcId: "vpc-0123456789abcdef0",
            };
        case "aws:ec2/getSubnets:getSubnets":
            return { ids: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"] };
        case "aws:index/getPartition:getPartition":
            return { partition: "aws", dnsSuffix: "amazonaws.com" };
        default:
            return inputs;
    }
}

/** The program's own modules (index.ts, stacks/) are loaded afresh for every run; everything else stays cached. */
function clearProgramModules(): void {
    const fresh = [PROGRAM, path.join(ROOT, "stacks") + path.sep];
    for (const id of Object.keys(require.cache)) {
        if (fresh.some((prefix) => id.startsWith(prefix))) delete require.cache[id];
    }
}

/** Waits until every resource registration the program started has reached the mocks. */
async function waitForRegistrations(): Promise<void> {
    // waitForRPCs is what the real runtime awaits before it exits; it is internal, so it is looked up defensively.
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs?: () => Promise<void> };
    if (typeof settings.waitForRPCs !== "function") throw new Error("@pulumi/pulumi no longer exports waitForRPCs");
    await settings.waitForRPCs();
}
