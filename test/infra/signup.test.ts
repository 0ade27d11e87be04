import * as assert from "node:assert/strict";
import { SIGNUP_ID_HEADER, SQS_MESSAGE_ATTRIBUTES_MAPPING } from "../../functions/signup/contract";
import { SIGNUP_DEFAULTS, VISIBILITY_TIMEOUT_SECONDS } from "../../stacks/signup-settings";
import { ConfigError, loadConfig } from "../../stacks/config";
import { ACCOUNT, REGION, runProgram, type ProgramResource, type ProgramRun } from "../helpers/program";
import { grants, list } from "../helpers/policy";

const arnOf = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

describe("sign-up lab under mocks (dev stack)", function () {
    this.timeout(300_000); // one program run; minutes on a loaded 2-core machine
    let run: ProgramRun;
    before(async () => {
        run = await runProgram("dev");
    });

    const queueOf = (name: string): ProgramResource => run.named(name);
    const queueArn = (name: string) =>
        arnOf("sqs", run.outputs[name === "signup-queue" ? "signupQueueUrl" : "signupDeadLetterQueueUrl"].split("/").pop());
    const tableArn = () => arnOf("dynamodb", `table/${run.outputs.signupTableName}`);
    const rolePolicy = (name: string) => grants(run.named(name));

    it("accepts POST /signup with API Gateway's SQS-SendMessage integration: body, request id attribute, 202 with the id", () => {
        const integration = run.named("signup-send-integration").inputs;
        assert.equal(integration.integrationType, "AWS_PROXY");
        assert.equal(integration.integrationSubtype, "SQS-SendMessage");
        assert.equal(integration.payloadFormatVersion, "1.0");
        assert.equal(integration.credentialsArn, `arn:aws:iam::${ACCOUNT}:role/signup-send-role`);
        assert.equal(integration.requestParameters.QueueUrl, run.outputs.signupQueueUrl);
        assert.equal(integration.requestParameters.MessageBody, "$request.body");
        assert.equal(integration.requestParameters.MessageAttributes, SQS_MESSAGE_ATTRIBUTES_MAPPING);
        assert.deepEqual(integration.responseParameters, [
            {
                statusCode: "200",
                mappings: { "overwrite:statuscode": "202", [`overwrite:header.${SIGNUP_ID_HEADER}`]: "$context.requestId" },
            },
        ]);
        const route = run.named("signup-send-route").inputs;
        assert.equal(route.routeKey, "POST /signup");
        assert.equal(route.target, "integrations/signup-send-integration-id");
    });

    it("lets the API's role do nothing but sqs:SendMessage to the sign-up queue, assumed only by API Gateway", () => {
        const trust = JSON.parse(run.named("signup-send-role").inputs.assumeRolePolicy);
        assert.deepEqual(
            trust.Statement.map((s: any) => s.Principal.Service),
            ["apigateway.amazonaws.com"],
        );
        const statements = rolePolicy("signup-send-policy");
        assert.deepEqual(
            statements.map((s) => [list(s.Action), list(s.Resource)]),
            [[["sqs:SendMessage"], [queueArn("signup-queue")]]],
        );
    });

    it("answers GET /signup/{id} from a Lambda that may only read the table", () => {
        const routes = run.ofType("aws:apigatewayv2/route:Route").filter((r) => r.name.startsWith("signup-api-"));
        assert.deepEqual(
            routes.map((r) => r.inputs.routeKey),
            ["GET /signup/{id}"],
        );
        const statements = rolePolicy("signup-statusPolicy").filter((s) => s.Sid === "ReadTable");
        assert.deepEqual(
            statements.map((s) => [list(s.Action), list(s.Resource)]),
            [[["dynamodb:GetItem"], [tableArn()]]],
        );
        assert.equal(run.named("signup-statusFunction").inputs.environment.variables.SIGNUP_TABLE, run.outputs.signupTableName);
    });

    it("lets the browser page POST and read the id header across origins", () => {
        const cors = run.named("signup-apiApi").inputs.corsConfiguration;
        assert.deepEqual(cors.allowMethods, ["GET", "POST", "OPTIONS"]);
        assert.deepEqual(cors.exposeHeaders, [SIGNUP_ID_HEADER]);
        assert.ok(cors.allowOrigins.includes(run.outputs.signupWebsiteUrl));
    });

    it("throttles each sign-up route to the configured defaults", () => {
        const settings = run.named("signup-apiStage").inputs.defaultRouteSettings;
        assert.equal(settings.throttlingBurstLimit, SIGNUP_DEFAULTS.throttleBurst);
        assert.equal(settings.throttlingRateLimit, SIGNUP_DEFAULTS.throttleRate);
    });

    it("redrives a message to the dead-letter queue after maxReceiveCount receives, and keeps it 14 days there", () => {
        const queue = queueOf("signup-queue").inputs;
        assert.deepEqual(JSON.parse(queue.redrivePolicy), { deadLetterTargetArn: queueArn("signup-dlq"), maxReceiveCount: 3 });
        assert.equal(queue.visibilityTimeoutSeconds, VISIBILITY_TIMEOUT_SECONDS);
        assert.ok(queue.visibilityTimeoutSeconds >= run.named("signup-consumerFunction").inputs.timeout * 6);
        assert.equal(queue.sqsManagedSseEnabled, true);
        assert.equal(queueOf("signup-dlq").inputs.messageRetentionSeconds, 1_209_600);
    });

    it("feeds the consumer in batches with partial batch responses and a concurrency cap", () => {
        const mapping = run.named("signup-consumer-events").inputs;
        assert.equal(mapping.eventSourceArn, queueArn("signup-queue"));
        assert.equal(mapping.functionName, run.named("signup-consumerFunction").state.arn);
        assert.equal(mapping.batchSize, 10);
        assert.deepEqual(mapping.functionResponseTypes, ["ReportBatchItemFailures"]);
        assert.deepEqual(mapping.scalingConfig, { maximumConcurrency: 2 });
    });

    it("grants the consumer only the queue actions the mapping needs and GetItem/PutItem on its table", () => {
        const statements = rolePolicy("signup-consumerPolicy").filter((s) => s.Sid !== "WriteOwnLogs" && s.Sid !== "WriteTraces");
        assert.deepEqual(
            statements.map((s) => [s.Sid, list(s.Action), list(s.Resource)]),
            [
                ["ConsumeQueue", ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [queueArn("signup-queue")]],
                ["ReadTable", ["dynamodb:GetItem"], [tableArn()]],
                ["WriteTable", ["dynamodb:PutItem"], [tableArn()]],
            ],
        );
        for (const name of ["signup-consumerPolicy", "signup-statusPolicy", "signup-send-policy"]) {
            for (const s of rolePolicy(name).filter((s) => s.Sid !== "WriteTraces")) {
                assert.ok(!list(s.Resource).some((r) => r.includes("*") && !r.endsWith(":*")), `${name} ${s.Sid} names its resources`);
            }
        }
    });

    it("stores into an on-demand table keyed by pk that pulumi destroy removes", () => {
        const table = run.named("signup-table").inputs;
        assert.equal(table.billingMode, "PAY_PER_REQUEST");
        assert.equal(table.hashKey, "pk");
        assert.deepEqual(table.attributes, [{ name: "pk", type: "S" }]);
        assert.equal(table.deletionProtectionEnabled, false);
        assert.equal(table.rangeKey, undefined);
        for (const r of run.resources.filter((r) => r.name.startsWith("signup"))) {
            assert.notEqual(r.options?.retainOnDelete, true, `${r.name} is not retained`);
            assert.notEqual(r.options?.protect, true, `${r.name} is not protected`);
        }
        assert.equal(run.named("signup-websiteBucket").inputs.forceDestroy, true);
    });

    it("alarms when the dead-letter queue holds any message", () => {
        const alarm = run.named("signup-dlq-alarm").inputs;
        assert.equal(alarm.namespace, "AWS/SQS");
        assert.equal(alarm.metricName, "ApproximateNumberOfMessagesVisible");
        assert.deepEqual(alarm.dimensions, { QueueName: run.outputs.signupDeadLetterQueueUrl.split("/").pop() });
        assert.equal(alarm.comparisonOperator, "GreaterThanThreshold");
        assert.equal(alarm.threshold, 0);
        assert.equal(alarm.treatMissingData, "notBreaching");
    });

    it("traces both functions and their DynamoDB calls when tracing is on (the dev stack)", () => {
        for (const fn of ["signup-consumerFunction", "signup-statusFunction"]) {
            const inputs = run.named(fn).inputs;
            assert.equal(inputs.tracingConfig.mode, "Active", fn);
            assert.equal(inputs.environment.variables.SIGNUP_TRACING, "true", fn);
        }
    });

    it("serves site/signup/ on its own public website with a config.js naming the API, and not on the directory's", () => {
        const keys = (prefix: string) =>
            run
                .ofType("aws:s3/bucketObjectv2:BucketObjectv2")
                .filter((o) => o.name.startsWith(prefix))
                .map((o) => o.inputs.key)
                .sort();
        assert.deepEqual(keys("signup-website-"), ["app.js", "config.js", "index.html"]);
        assert.ok(!keys("directory-website-").some((k) => k.startsWith("signup/")), "the directory website leaves site/signup/ out");
        const config = run.ofType("aws:s3/bucketObjectv2:BucketObjectv2").find((o) => o.name === "signup-website-config.js")!;
        assert.equal(config.inputs.content, `window.LAB_CONFIG = ${JSON.stringify({ apiUrl: run.outputs.signupApiUrl })};\n`);
        assert.equal(run.named("signup-websitePublicAccessBlock").inputs.blockPublicPolicy, false);
    });

    it("exports the lab's five outputs", () => {
        assert.match(run.outputs.signupWebsiteUrl, /^http:\/\/.+\.s3-website-us-east-1\.amazonaws\.com$/);
        assert.equal(run.outputs.signupApiUrl, "https://signup-apiApi-id.execute-api.us-east-1.amazonaws.com");
        assert.match(run.outputs.signupTableName, /^signup-table-[0-9a-f]{7}$/);
        assert.match(run.outputs.signupQueueUrl, /^https:\/\/sqs\.us-east-1\.amazonaws\.com\/123456789012\/signup-queue-[0-9a-f]{7}$/);
        assert.match(run.outputs.signupDeadLetterQueueUrl, /\/signup-dlq-[0-9a-f]{7}$/);
    });
});

describe("sign-up lab settings under mocks", function () {
    this.timeout(120_000);

    it("deploys the consumer without dynamodb:PutItem when signupConsumerCanWrite is false, keeping its reads", async () => {
        const run = await runProgram("dev", { signupConsumerCanWrite: "false" });
        const actions = grants(run.named("signup-consumerPolicy")).flatMap((s) => list(s.Action));
        assert.ok(!actions.some((a) => a.startsWith("dynamodb:") && a !== "dynamodb:GetItem"), actions.join(", "));
        assert.ok(actions.includes("dynamodb:GetItem"));
        assert.ok(actions.includes("sqs:ReceiveMessage"));
    });

    it("takes batch size, concurrency, receives and throttling from config", async () => {
        const run = await runProgram("dev", {
            signupBatchSize: "5",
            signupMaxConcurrency: "7",
            signupMaxReceiveCount: "9",
            signupThrottleBurst: "40",
            signupThrottleRate: "15",
        });
        const mapping = run.named("signup-consumer-events").inputs;
        assert.equal(mapping.batchSize, 5);
        assert.deepEqual(mapping.scalingConfig, { maximumConcurrency: 7 });
        assert.equal(JSON.parse(run.named("signup-queue").inputs.redrivePolicy).maxReceiveCount, 9);
        const stage = run.named("signup-apiStage").inputs.defaultRouteSettings;
        assert.deepEqual([stage.throttlingBurstLimit, stage.throttlingRateLimit], [40, 15]);
    });

    it("fails the preview naming the key and its limits for a concurrency below 2 or a batch above 10", () => {
        const values: Record<string, string> = { signupMaxConcurrency: "1", signupBatchSize: "11" };
        assert.throws(
            () => loadConfig((key) => values[key]),
            (error: unknown) =>
                error instanceof ConfigError &&
                /cloud-labs:signupMaxConcurrency = "1": must be a whole number from 2 to 1000/.test(error.message) &&
                /cloud-labs:signupBatchSize = "11": must be a whole number from 1 to 10/.test(error.message),
        );
        assert.deepEqual(loadConfig(() => undefined).signup, SIGNUP_DEFAULTS);
    });

    it("leaves the lab out of stacks that do not list it", async () => {
        const run = await runProgram("containers");
        assert.equal(run.resources.filter((r) => r.name.startsWith("signup")).length, 0);
        assert.equal(run.outputs.signupApiUrl, undefined);
    });
});
