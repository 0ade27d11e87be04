import * as assert from "node:assert/strict";
import { LOG_RETENTION_DAYS } from "../../stacks/config";
import { runProgram, type ProgramRun } from "../helpers/program";
import { list, statementsOf } from "../helpers/policy";

describe("employee directory under mocks (dev stack)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram("dev");
    });

    const policyOf = (bucketName: string) => statementsOf(run.named(`${bucketName}Policy`).inputs.policy);

    it("keeps the data bucket private: all four Block Public Access flags on", () => {
        const block = run.named("directory-dataPublicAccessBlock").inputs;
        assert.deepEqual(
            [block.blockPublicAcls, block.ignorePublicAcls, block.blockPublicPolicy, block.restrictPublicBuckets],
            [true, true, true, true],
        );
        assert.ok(!policyOf("directory-data").some((s) => s.Effect === "Allow"), "no Allow statement on the data bucket");
    });

    it("denies non-TLS requests to the data bucket", () => {
        const deny = policyOf("directory-data").find((s) => s.Sid === "DenyInsecureTransport")!;
        assert.equal(deny.Effect, "Deny");
        assert.equal(deny.Action, "s3:*");
        assert.deepEqual(deny.Condition, { Bool: { "aws:SecureTransport": "false" } });
    });

    it("encrypts every bucket and lets pulumi destroy empty it", () => {
        const buckets = run.ofType("aws:s3/bucket:Bucket");
        assert.ok(buckets.length >= 2);
        for (const bucket of buckets) {
            assert.equal(bucket.inputs.forceDestroy, true, `${bucket.name} forceDestroy`);
            const prefix = bucket.name.replace(/Bucket$/, "");
            const sse = run.named(`${prefix}Encryption`).inputs;
            assert.equal(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
        }
    });

    it("seeds the data bucket with the three users files", () => {
        const keys = run
            .ofType("aws:s3/bucketObjectv2:BucketObjectv2")
            .filter((o) => o.name.startsWith("directory-data-"))
            .map((o) => o.inputs.key)
            .sort();
        assert.deepEqual(keys, ["users_1.json", "users_2.json", "users_3.json"]);
    });

    it("makes only the website public, by a GetObject-only policy created after its access block", () => {
        const block = run.named("directory-websitePublicAccessBlock").inputs;
        assert.equal(block.blockPublicAcls, true);
        assert.equal(block.ignorePublicAcls, true);
        assert.equal(block.blockPublicPolicy, false);
        assert.equal(block.restrictPublicBuckets, false);
        const publicRead = policyOf("directory-website").find((s) => s.Sid === "PublicRead")!;
        assert.equal(publicRead.Principal, "*");
        assert.deepEqual(list(publicRead.Action), ["s3:GetObject"]);
        assert.deepEqual(list(publicRead.Resource), ["arn:aws:s3:::directory-websitebucket-abc123/*"]);
        // Website endpoints are HTTP-only: the TLS rule must leave public reads alone but still cover writes.
        const deny = policyOf("directory-website").find((s) => s.Sid === "DenyInsecureTransport")!;
        assert.equal(deny.NotAction, "s3:GetObject");
        const order = run.resources.map((r) => r.name);
        assert.ok(order.indexOf("directory-websitePublicAccessBlock") < order.indexOf("directory-websitePolicy"));
    });

    it("hosts the website with index and error documents, and uploads the page with content types", () => {
        const website = run.named("directory-websiteWebsite").inputs;
        assert.equal(website.indexDocument.suffix, "index.html");
        assert.equal(website.errorDocument.key, "error.html");
        const objects = Object.fromEntries(
            run
                .ofType("aws:s3/bucketObjectv2:BucketObjectv2")
                .filter((o) => o.name.startsWith("directory-website-"))
                .map((o) => [o.inputs.key, o.inputs]),
        );
        assert.deepEqual(Object.keys(objects).sort(), ["app.js", "config.js", "error.html", "index.html", "style.css"]);
        assert.equal(objects["index.html"].contentType, "text/html; charset=utf-8");
        assert.equal(objects["app.js"].contentType, "text/javascript; charset=utf-8");
        assert.equal(objects["style.css"].contentType, "text/css; charset=utf-8");
    });

    it("writes config.js with the API URL, so the page hard-codes no endpoint", () => {
        const configJs = run.named("directory-website-config.js").inputs;
        assert.equal(configJs.content, `window.LAB_CONFIG = {"apiUrl":"${run.outputs.apiUrl}"};\n`);
    });

    it("grants the users function only ListBucket under the prefix and GetObject on prefixed keys", () => {
        const statements = statementsOf(run.named("directory-usersPolicy").inputs.policy).filter(
            (s) => s.Sid !== "WriteOwnLogs" && s.Sid !== "WriteTraces",
        );
        assert.deepEqual(statements, [
            {
                Sid: "ListDataFiles",
                Effect: "Allow",
                Action: ["s3:ListBucket"],
                Resource: ["arn:aws:s3:::directory-databucket-abc123"],
                Condition: { StringLike: { "s3:prefix": ["users*"] } },
            },
            {
                Sid: "ReadDataFiles",
                Effect: "Allow",
                Action: ["s3:GetObject"],
                Resource: ["arn:aws:s3:::directory-databucket-abc123/users*"],
            },
        ]);
    });

    it("passes the bucket and prefix to the function", () => {
        const fn = run.named("directory-usersFunction").inputs;
        assert.deepEqual(fn.environment.variables, { DATA_BUCKET: "directory-databucket-abc123", DATA_PREFIX: "users" });
        assert.equal(fn.memorySize, 256);
    });

    it("routes GET /users and GET /hello through Lambda proxy integrations, payload 2.0", () => {
        const directoryApi = "directory-apiApi-id"; // the mocks' id of the directory's API; the sign-up lab has its own
        const ofDirectoryApi = (r: { inputs: { apiId?: unknown } }) => r.inputs.apiId === directoryApi;
        const routes = run
            .ofType("aws:apigatewayv2/route:Route")
            .filter(ofDirectoryApi)
            .map((r) => r.inputs.routeKey)
            .sort();
        assert.deepEqual(routes, ["GET /hello", "GET /users"]);
        for (const integration of run.ofType("aws:apigatewayv2/integration:Integration").filter(ofDirectoryApi)) {
            assert.equal(integration.inputs.integrationType, "AWS_PROXY");
            assert.equal(integration.inputs.payloadFormatVersion, "2.0");
        }
        const users = run.named("directory-api-GET-usersIntegration").inputs;
        assert.equal(users.integrationUri, run.named("directory-usersFunction").state.arn);
    });

    it("lets API Gateway invoke each function on its own route only", () => {
        const permission = run.named("directory-api-GET-usersPermission").inputs;
        assert.equal(permission.principal, "apigateway.amazonaws.com");
        assert.equal(permission.function, run.named("directory-usersFunction").state.name);
        assert.equal(permission.sourceArn, "arn:aws:execute-api:us-east-1:123456789012:directory-apiApi-id/*/GET/users");
    });

    it("allows CORS from the website (and the dev stack's localhost) only", () => {
        const cors = run.named("directory-apiApi").inputs.corsConfiguration;
        assert.deepEqual(cors.allowOrigins, [run.outputs.websiteUrl, "http://localhost:3000"]);
        assert.ok(!cors.allowOrigins.includes("*"));
    });

    it("throttles the $default stage and writes access logs to a log group with retention", () => {
        const stage = run.named("directory-apiStage").inputs;
        assert.equal(stage.name, "$default");
        assert.equal(stage.autoDeploy, true);
        assert.deepEqual(stage.defaultRouteSettings, { throttlingBurstLimit: 50, throttlingRateLimit: 20 });
        const logs = run.named("directory-apiAccessLogs");
        assert.equal(stage.accessLogSettings.destinationArn, logs.state.arn);
        assert.equal(logs.inputs.namePrefix, `/aws/apigateway/${run.outputs.deploymentId}-directory-api-`, "readable, made unique by AWS");
        assert.match(logs.inputs.namePrefix, /^\/aws\/apigateway\/cloud-labs-dev-[a-z0-9]{6}-directory-api-$/);
        assert.ok((LOG_RETENTION_DAYS as readonly number[]).includes(logs.inputs.retentionInDays));
    });

    it("exports the lab's and the SAM template's outputs", () => {
        assert.equal(run.outputs.websiteUrl, "http://directory-websiteBucket-id.s3-website-us-east-1.amazonaws.com");
        assert.equal(run.outputs.apiUrl, "https://directory-apiApi-id.execute-api.us-east-1.amazonaws.com");
        assert.equal(run.outputs.dataBucket, "directory-databucket-abc123");
        assert.equal(run.outputs.helloWorldApi, `${run.outputs.apiUrl}/hello`);
        assert.equal(run.outputs.helloWorldFunction, run.named("hello-functionFunction").state.arn);
        assert.match(run.outputs.helloWorldFunction, /^arn:aws:lambda:us-east-1:123456789012:function:hello-functionFunction-[0-9a-f]{7}$/);
        assert.equal(run.outputs.helloWorldFunctionIamRole, "arn:aws:iam::123456789012:role/hello-functionRole");
    });

    it("tags every AWS resource with project, stack and lab through its lab's provider", () => {
        const providers = Object.fromEntries(run.ofType("pulumi:providers:aws").map((p) => [p.name, p.inputs]));
        for (const [name, inputs] of Object.entries(providers)) {
            const tags = JSON.parse(inputs.defaultTags).tags;
            assert.deepEqual(tags, {
                "cloud-labs:project": "cloud-labs",
                "cloud-labs:stack": "dev",
                "cloud-labs:deployment": run.outputs.deploymentId,
                "cloud-labs:lab": name.replace(/-aws$/, ""),
            });
            assert.match(String(run.outputs.deploymentId), /^cloud-labs-dev-[a-z0-9]{6}$/);
            assert.equal(inputs.region, "us-east-1");
        }
        for (const r of run.resources.filter((r) => r.type.startsWith("aws:"))) {
            const provider = /::([^:]+)::[^:]+$/.exec(r.provider ?? "")?.[1];
            assert.ok(provider && providers[provider], `${r.name} uses a lab provider (got ${r.provider})`);
        }
        assert.match(run.named("directory-api-GET-helloRoute").provider!, /hello-aws/, "the hello route belongs to the hello lab");
    });
});

describe("employee directory config switches", () => {
    it("uses the configured data prefix in the seed keys, environment and IAM", async () => {
        const run = await runProgram("dev", { directoryDataPrefix: "people/" });
        const keys = run
            .ofType("aws:s3/bucketObjectv2:BucketObjectv2")
            .filter((o) => o.name.startsWith("directory-data-"))
            .map((o) => o.inputs.key);
        assert.deepEqual(keys.sort(), ["people/users_1.json", "people/users_2.json", "people/users_3.json"]);
        assert.equal(run.named("directory-usersFunction").inputs.environment.variables.DATA_PREFIX, "people/");
        const read = statementsOf(run.named("directory-usersPolicy").inputs.policy).find((s) => s.Sid === "ReadDataFiles")!;
        assert.deepEqual(read.Resource, ["arn:aws:s3:::directory-databucket-abc123/people/*"]);
    });

    it("throttles as configured", async () => {
        const run = await runProgram("dev", { apiThrottleBurst: 5, apiThrottleRate: 2 });
        assert.deepEqual(run.named("directory-apiStage").inputs.defaultRouteSettings, { throttlingBurstLimit: 5, throttlingRateLimit: 2 });
    });

    it("gives hello world its own API when the directory is off", async () => {
        const run = await runProgram("dev", { labs: ["hello"] });
        assert.equal(run.ofType("aws:s3/bucket:Bucket").length, 0);
        assert.deepEqual(
            run.ofType("aws:apigatewayv2/route:Route").map((r) => r.inputs.routeKey),
            ["GET /hello"],
        );
        assert.deepEqual(run.named("hello-apiApi").inputs.corsConfiguration.allowOrigins, []);
        assert.equal(run.outputs.helloWorldApi, "https://hello-apiApi-id.execute-api.us-east-1.amazonaws.com/hello");
        assert.equal(run.outputs.websiteUrl, undefined);
    });
});
