import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { LambdaArchitecture } from "./config";
import { bundle } from "./bundle";

export interface NodeFunctionArgs {
    /**
     * The handler's TypeScript entry file, relative to the project root. It must export `handler`.
     * @example { entry: "functions/hello/index.ts" }
     */
    entry: string;
    /**
     * What the function does, shown in the Lambda console.
     * @default ""
     */
    description?: string;
    /**
     * Memory in MB (128 to 10240); CPU scales with it.
     * @default 128
     */
    memoryMb?: number;
    /**
     * Timeout in seconds.
     * @default 3
     */
    timeoutSeconds?: number;
    /**
     * CPU architecture; arm64 is about 20% cheaper per GB-second.
     * @default "arm64"
     */
    architecture?: LambdaArchitecture;
    /**
     * Days CloudWatch keeps the function's logs.
     * @default 7
     */
    logRetentionDays?: number;
    /**
     * Turns on X-Ray active tracing (and grants the role the two X-Ray write actions).
     * @default false
     */
    tracing?: boolean;
    /**
     * Environment variables for the handler.
     * @default {}
     * @example { environment: { DATA_BUCKET: bucket.bucket } }
     */
    environment?: Record<string, pulumi.Input<string>>;
    /**
     * IAM statements the function needs beyond writing its own logs. Name resources; avoid `*`.
     * @default []
     * @example { statements: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: [pulumi.interpolate`${bucket.arn}/*`] }] }
     */
    statements?: aws.iam.PolicyStatement[];
    /**
     * The deployment's identity, `<project>-<stack>-<suffix>` (shared/tags.ts), which leads the log group's name so
     * `npm run leftovers` finds the group by deployment and not by a stack name other students share.
     * @default "<project>-<stack>"
     */
    deploymentId?: pulumi.Input<string>;
}

/** The start of a log group name that belongs to one deployment: `<kind>/<deployment id>-<name>-`. */
export function logGroupNamePrefix(kind: string, deploymentId: pulumi.Input<string> | undefined, name: string): pulumi.Output<string> {
    const id = deploymentId ?? `${pulumi.getProject()}-${pulumi.getStack()}`;
    return pulumi.interpolate`${kind}/${id}-${name}-`;
}

/** The Lambda runtime every function in this project uses. */
export const LAMBDA_RUNTIME = "nodejs22.x";

/**
 * One Lambda function the way every lab builds it: its entry bundled with esbuild during the program run, its own
 * role trusting only Lambda, logs only into its own log group (created here, with retention, so `pulumi destroy`
 * removes the logs too), JSON log format, optional X-Ray tracing. The function is auto-named by Pulumi and the log
 * group gets a unique AWS-made suffix, so two deployments of the same stack name in one account never collide.
 */
export class NodeFunction extends pulumi.ComponentResource {
    readonly function: aws.lambda.Function;
    readonly role: aws.iam.Role;
    readonly logGroup: aws.cloudwatch.LogGroup;

    constructor(name: string, args: NodeFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cloud-labs:lambda:NodeFunction", name, {}, opts);
        const tracing = args.tracing ?? false;
        this.logGroup = new aws.cloudwatch.LogGroup(
            `${name}LogGroup`,
            // The function logs here through loggingConfig, so the group need not carry the function's name.
            { namePrefix: logGroupNamePrefix("/aws/lambda", args.deploymentId, name), retentionInDays: args.logRetentionDays ?? 7 },
            { parent: this },
        );
        this.role = new aws.iam.Role(
            `${name}Role`,
            {
                description: `Execution role of the ${name} function (${pulumi.getProject()}/${pulumi.getStack()})`,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
            },
            { parent: this },
        );
        const policy = new aws.iam.RolePolicy(
            `${name}Policy`,
            {
                role: this.role.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "WriteOwnLogs",
                            Effect: "Allow",
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                            Resource: [pulumi.interpolate`${this.logGroup.arn}:*`],
                        },
                        // X-Ray's write actions support no resource-level scoping: "*" is the only valid resource.
                        ...(tracing
                            ? [
                                  {
                                      Sid: "WriteTraces",
                                      Effect: "Allow",
                                      Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                                      Resource: ["*"],
                                  },
                              ]
                            : []),
                        ...(args.statements ?? []),
                    ],
                }),
            },
            { parent: this },
        );

        this.function = new aws.lambda.Function(
            `${name}Function`,
            {
                description: args.description,
                runtime: LAMBDA_RUNTIME,
                architectures: [args.architecture ?? "arm64"],
                handler: "index.handler",
                code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundle(args.entry).code) }),
                memorySize: args.memoryMb ?? 128,
                timeout: args.timeoutSeconds ?? 3,
                role: this.role.arn,
                environment: args.environment ? { variables: args.environment } : undefined,
                loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" },
                tracingConfig: { mode: tracing ? "Active" : "PassThrough" },
            },
            // The policy must exist before the first invocation can log.
            { parent: this, dependsOn: [policy, this.logGroup] },
        );
        this.registerOutputs({});
    }

    get arn(): pulumi.Output<string> {
        return this.function.arn;
    }
}
