import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    ACCEPTED_STATUS,
    MAX_BODY_BYTES,
    SIGNUP_ID_HEADER,
    SIGNUP_ROUTE,
    SQS_MESSAGE_ATTRIBUTES_MAPPING,
    STATUS_ROUTE,
    TABLE_ENV,
    TABLE_PARTITION_KEY,
    TRACING_ENV,
    WRITE_PERMISSION,
} from "../functions/signup/contract";
import { checkArgs } from "./config/reader";
import { signupProblems } from "./config/rules/signup";
import { SIGNUP_SITE_DIR, siteConfigScript } from "./directory-files";
import type { FunctionDefaults } from "./function-defaults";
import { HttpApi } from "./http-api";
import { LabBucket } from "./lab-bucket";
import { NodeFunction } from "./node-function";
import { CONSUMER_TIMEOUT_SECONDS, SIGNUP_DEFAULTS, VISIBILITY_TIMEOUT_SECONDS } from "./signup-settings";

export interface SignupLabArgs {
    /**
     * Burst limit of each route (`POST /signup`, `GET /signup/{id}`), in requests.
     * @default 20
     */
    throttleBurst?: number;
    /**
     * Steady-state limit of each route in requests per second: with `throttleBurst`, what a leaked URL can cost.
     * @default 10
     */
    throttleRate?: number;
    /**
     * Messages the consumer receives per invocation (1 to 10).
     * @default 10
     */
    batchSize?: number;
    /**
     * Most consumer instances the event source mapping runs at once (2 to 1,000), so a surge drains at a bounded
     * rate instead of taking the account's Lambda concurrency.
     * @default 2
     */
    maxConcurrency?: number;
    /**
     * Receives after which SQS moves a message to the dead-letter queue (1 to 1,000).
     * @default 3
     */
    maxReceiveCount?: number;
    /**
     * Whether the consumer's role may write to the table. `false` is the permission exercise: sign-ups then end in
     * the dead-letter queue and the function logs the AccessDenied.
     * @default true
     */
    consumerCanWrite?: boolean;
    /**
     * Origins allowed to call the API besides the sign-up website.
     * @default []
     * @example { extraCorsOrigins: ["http://localhost:3000"] }
     */
    extraCorsOrigins?: pulumi.Input<string>[];
    /**
     * Architecture, log retention and tracing of the two functions; with tracing, their DynamoDB calls are traced.
     * @default {} (the NodeFunction defaults)
     */
    functionDefaults?: FunctionDefaults;
}

/**
 * The quiz's sign-up that survives a surge: a public S3 page posts to an HTTP API whose `POST /signup` hands the
 * body straight to SQS (no Lambda on the accept path) and answers 202 with the request id; a consumer Lambda drains
 * the queue in batches at a capped concurrency into an on-demand DynamoDB table, once per email; failures retry and
 * then land in a dead-letter queue an alarm watches; `GET /signup/{id}` reads the state for the page.
 */
export class SignupLab extends pulumi.ComponentResource {
    readonly website: LabBucket;
    readonly api: HttpApi;
    readonly table: aws.dynamodb.Table;
    readonly queue: aws.sqs.Queue;
    readonly deadLetterQueue: aws.sqs.Queue;
    readonly consumer: NodeFunction;
    readonly statusFunction: NodeFunction;
    readonly eventSourceMapping: aws.lambda.EventSourceMapping;
    readonly sendRole: aws.iam.Role;
    readonly deadLetterAlarm: aws.cloudwatch.MetricAlarm;

    constructor(name: string, args: SignupLabArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("cloud-labs:signup:SignupLab", name, {}, opts);
        const settings = {
            throttleBurst: args.throttleBurst ?? SIGNUP_DEFAULTS.throttleBurst,
            throttleRate: args.throttleRate ?? SIGNUP_DEFAULTS.throttleRate,
            batchSize: args.batchSize ?? SIGNUP_DEFAULTS.batchSize,
            maxConcurrency: args.maxConcurrency ?? SIGNUP_DEFAULTS.maxConcurrency,
            maxReceiveCount: args.maxReceiveCount ?? SIGNUP_DEFAULTS.maxReceiveCount,
            consumerCanWrite: args.consumerCanWrite ?? SIGNUP_DEFAULTS.consumerCanWrite,
        };
        checkArgs("SignupLab", name, signupProblems(settings));
        const tracing = args.functionDefaults?.tracing ?? false;

        this.website = new LabBucket(
            `${name}-website`,
            { website: { indexDocument: "index.html", errorDocument: "index.html" }, publicReadPaths: ["*"] },
            { parent: this },
        );
        // On-demand: no capacity to pay for while idle; no deletion protection, so pulumi destroy removes it.
        this.table = new aws.dynamodb.Table(
            `${name}-table`,
            {
                billingMode: "PAY_PER_REQUEST",
                hashKey: TABLE_PARTITION_KEY,
                attributes: [{ name: TABLE_PARTITION_KEY, type: "S" }],
                deletionProtectionEnabled: false,
                pointInTimeRecovery: { enabled: false },
            },
            { parent: this },
        );
        // Kept 14 days (SQS's maximum) so a failed sign-up can be inspected and redriven.
        this.deadLetterQueue = new aws.sqs.Queue(
            `${name}-dlq`,
            { messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true },
            { parent: this },
        );
        this.queue = new aws.sqs.Queue(
            `${name}-queue`,
            {
                // Longer than a consumer invocation can run, so a message in flight is not delivered twice meanwhile.
                visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
                maxMessageSize: MAX_BODY_BYTES,
                sqsManagedSseEnabled: true,
                redrivePolicy: pulumi.jsonStringify({
                    deadLetterTargetArn: this.deadLetterQueue.arn,
                    maxReceiveCount: settings.maxReceiveCount,
                }),
            },
            { parent: this },
        );

        this.api = new HttpApi(
            `${name}-api`,
            {
                corsOrigins: [this.website.websiteUrl, ...(args.extraCorsOrigins ?? [])],
                corsMethods: ["GET", "POST", "OPTIONS"],
                corsExposeHeaders: [SIGNUP_ID_HEADER],
                throttleBurst: settings.throttleBurst,
                throttleRate: settings.throttleRate,
                logRetentionDays: args.functionDefaults?.logRetentionDays,
                deploymentId: args.functionDefaults?.deploymentId,
            },
            { parent: this },
        );
        this.sendRole = this.createAcceptRoute(name);

        const tableArn = this.table.arn;
        const environment = { [TABLE_ENV]: this.table.name, ...(tracing ? { [TRACING_ENV]: "true" } : {}) };
        this.consumer = new NodeFunction(
            `${name}-consumer`,
            {
                entry: "functions/signup/index.ts",
                description: "Validates queued sign-ups and stores each email once (SQS → DynamoDB)",
                memoryMb: 256,
                timeoutSeconds: CONSUMER_TIMEOUT_SECONDS,
                ...args.functionDefaults,
                environment,
                statements: [
                    {
                        Sid: "ConsumeQueue",
                        Effect: "Allow",
                        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                        Resource: [this.queue.arn],
                    },
                    // GetItem tells a redelivery (same id) from a duplicate after the conditional put fails.
                    { Sid: "ReadTable", Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: [tableArn] },
                    ...(settings.consumerCanWrite
                        ? [{ Sid: "WriteTable", Effect: "Allow" as const, Action: [WRITE_PERMISSION], Resource: [tableArn] }]
                        : []),
                ],
            },
            { parent: this },
        );
        this.eventSourceMapping = new aws.lambda.EventSourceMapping(
            `${name}-consumer-events`,
            {
                eventSourceArn: this.queue.arn,
                functionName: this.consumer.function.arn,
                batchSize: settings.batchSize,
                functionResponseTypes: ["ReportBatchItemFailures"],
                scalingConfig: { maximumConcurrency: settings.maxConcurrency },
            },
            { parent: this },
        );

        this.statusFunction = new NodeFunction(
            `${name}-status`,
            {
                entry: "functions/signup-status/index.ts",
                description: "Answers a sign-up's state (GET /signup/{id})",
                memoryMb: 128,
                timeoutSeconds: 5,
                ...args.functionDefaults,
                environment,
                statements: [{ Sid: "ReadTable", Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: [tableArn] }],
            },
            { parent: this },
        );
        this.api.route(STATUS_ROUTE, this.statusFunction, { parent: this });

        // Any message here is a sign-up that failed maxReceiveCount times: alarm on the first one.
        this.deadLetterAlarm = new aws.cloudwatch.MetricAlarm(
            `${name}-dlq-alarm`,
            {
                alarmDescription: pulumi.interpolate`Sign-ups failed ${settings.maxReceiveCount} times and wait in ${this.deadLetterQueue.name}: read the consumer's logs (npm run verify names a missing permission)`,
                namespace: "AWS/SQS",
                metricName: "ApproximateNumberOfMessagesVisible",
                dimensions: { QueueName: this.deadLetterQueue.name },
                statistic: "Maximum",
                period: 300,
                evaluationPeriods: 1,
                threshold: 0,
                comparisonOperator: "GreaterThanThreshold",
                treatMissingData: "notBreaching",
            },
            { parent: this },
        );

        this.website.putDirectory(SIGNUP_SITE_DIR);
        this.website.putObject({ key: "config.js", content: this.api.url.apply((url) => siteConfigScript(url)) });
        this.registerOutputs({});
    }

    /**
     * `POST /signup`: API Gateway's own SQS-SendMessage integration puts the body on the queue, the request id as
     * the `signupId` attribute, and maps SQS's 200 to 202 with the id in a header. Its role may only send to this
     * queue.
     */
    private createAcceptRoute(name: string): aws.iam.Role {
        const role = new aws.iam.Role(
            `${name}-send-role`,
            {
                description: `Lets the sign-up API put messages on its queue (${pulumi.getProject()}/${pulumi.getStack()})`,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
            },
            { parent: this },
        );
        const policy = new aws.iam.RolePolicy(
            `${name}-send-policy`,
            {
                role: role.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [{ Sid: "SendToSignupQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [this.queue.arn] }],
                }),
            },
            { parent: this },
        );
        const integration = new aws.apigatewayv2.Integration(
            `${name}-send-integration`,
            {
                apiId: this.api.api.id,
                description: "POST /signup → SQS SendMessage (no Lambda on the accept path)",
                integrationType: "AWS_PROXY",
                integrationSubtype: "SQS-SendMessage",
                credentialsArn: role.arn,
                // AWS service integrations take only payload format 1.0.
                payloadFormatVersion: "1.0",
                requestParameters: {
                    QueueUrl: this.queue.url,
                    MessageBody: "$request.body",
                    MessageAttributes: SQS_MESSAGE_ATTRIBUTES_MAPPING,
                },
                responseParameters: [
                    {
                        statusCode: "200",
                        mappings: {
                            "overwrite:statuscode": String(ACCEPTED_STATUS),
                            [`overwrite:header.${SIGNUP_ID_HEADER}`]: "$context.requestId",
                        },
                    },
                ],
            },
            // The role must be able to send before the first request arrives.
            { parent: this, dependsOn: [policy] },
        );
        new aws.apigatewayv2.Route(
            `${name}-send-route`,
            { apiId: this.api.api.id, routeKey: SIGNUP_ROUTE, target: pulumi.interpolate`integrations/${integration.id}` },
            { parent: this },
        );
        return role;
    }

    /** The sign-up page's URL (S3 website endpoint, plain HTTP). */
    get websiteUrl(): pulumi.Output<string> {
        return this.website.websiteUrl;
    }
}
