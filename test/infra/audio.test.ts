import * as assert from "node:assert/strict";
import { runProgram, type ProgramRun } from "../helpers/program";
import { list, statementsOf } from "../helpers/policy";

describe("audio lab under mocks (dev stack)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram("dev");
    });
    const bucketArn = "arn:aws:s3:::audio-bucketbucket-abc123";

    it("makes only audio/* public: GetObject for anyone, nothing else", () => {
        const statements = statementsOf(run.named("audio-bucketPolicy").inputs.policy);
        const allows = statements.filter((s) => s.Effect === "Allow");
        assert.equal(allows.length, 1);
        assert.equal(allows[0].Principal, "*");
        assert.deepEqual(list(allows[0].Action), ["s3:GetObject"]);
        assert.deepEqual(list(allows[0].Resource), [`${bucketArn}/audio/*`]);
        const deny = statements.find((s) => s.Sid === "DenyInsecureTransport")!;
        assert.equal(deny.Action, "s3:*", "every request to the audio bucket must use TLS");
    });

    it("relaxes Block Public Access only for the policy, and creates the policy after it", () => {
        const block = run.named("audio-bucketPublicAccessBlock").inputs;
        assert.deepEqual(
            [block.blockPublicAcls, block.ignorePublicAcls, block.blockPublicPolicy, block.restrictPublicBuckets],
            [true, true, false, false],
        );
        const order = run.resources.map((r) => r.name);
        assert.ok(order.indexOf("audio-bucketPublicAccessBlock") < order.indexOf("audio-bucketPolicy"));
    });

    it("encrypts the bucket and lets destroy empty it", () => {
        assert.equal(run.named("audio-bucketBucket").inputs.forceDestroy, true);
        assert.equal(run.named("audio-bucketEncryption").inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
    });

    it("triggers the speech function on ObjectCreated for text/*.txt only", () => {
        const notification = run.named("audio-trigger").inputs;
        assert.deepEqual(notification.lambdaFunctions, [
            {
                lambdaFunctionArn: run.named("audio-speechFunction").state.arn,
                events: ["s3:ObjectCreated:*"],
                filterPrefix: "text/",
                filterSuffix: ".txt",
            },
        ]);
    });

    it("lets only this bucket, in this account, invoke the function", () => {
        const permission = run.named("audio-speechInvoke").inputs;
        assert.equal(permission.principal, "s3.amazonaws.com");
        assert.equal(permission.sourceArn, bucketArn);
        assert.equal(permission.sourceAccount, "123456789012");
        assert.equal(permission.function, run.named("audio-speechFunction").state.name);
        const order = run.resources.map((r) => r.name);
        assert.ok(order.indexOf("audio-speechInvoke") < order.indexOf("audio-trigger"), "permission before notification");
    });

    it("grants exactly GetObject on text/*, PutObject on audio/* and Polly's two synthesis actions", () => {
        const statements = statementsOf(run.named("audio-speechPolicy").inputs.policy).filter(
            (s) => !["WriteOwnLogs", "WriteTraces"].includes(s.Sid!),
        );
        assert.deepEqual(statements, [
            { Sid: "ReadTexts", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${bucketArn}/text/*`] },
            { Sid: "WriteAudio", Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${bucketArn}/audio/*`] },
            { Sid: "Speak", Effect: "Allow", Action: ["polly:SynthesizeSpeech", "polly:StartSpeechSynthesisTask"], Resource: ["*"] },
        ]);
        const all = statementsOf(run.named("audio-speechPolicy").inputs.policy);
        assert.ok(!all.some((s) => list(s.Action).some((a) => /Delete/.test(a))), "cannot delete anything");
        assert.ok(
            !all.some((s) => list(s.Action).includes("s3:PutObject") && list(s.Resource).some((r) => r.includes("/text/"))),
            "cannot write under text/",
        );
    });

    it("gives the function its log group with retention, voice and engine", () => {
        const fn = run.named("audio-speechFunction").inputs;
        assert.deepEqual(fn.environment.variables, { POLLY_VOICE: "Joanna", POLLY_ENGINE: "standard" });
        const group = run.named("audio-speechLogGroup");
        assert.equal(group.inputs.namePrefix, `/aws/lambda/${run.outputs.deploymentId}-audio-speech-`);
        assert.match(group.inputs.namePrefix, /^\/aws\/lambda\/cloud-labs-dev-[a-z0-9]{6}-audio-speech-$/);
        assert.equal(fn.loggingConfig.logGroup, group.state.name);
        assert.equal(group.inputs.retentionInDays, 7);
    });

    it("uploads the seed text under text/ after the trigger exists", () => {
        const seed = run.named("audio-bucket-text/welcome.txt").inputs;
        assert.equal(seed.key, "text/welcome.txt");
        assert.equal(seed.contentType, "text/plain; charset=utf-8");
        const order = run.resources.map((r) => r.name);
        assert.ok(order.indexOf("audio-trigger") < order.indexOf("audio-bucket-text/welcome.txt"));
    });

    it("exports the bucket, the MP3 URL pattern and the seeded MP3's URL", () => {
        assert.equal(run.outputs.audioBucket, "audio-bucketbucket-abc123");
        assert.equal(run.outputs.audioUrlPattern, "https://audio-bucketbucket-abc123.s3.us-east-1.amazonaws.com/audio/<name>.mp3");
        assert.equal(run.outputs.seedAudioUrl, "https://audio-bucketbucket-abc123.s3.us-east-1.amazonaws.com/audio/welcome.mp3");
    });

    it("leaves the Alexa fact skill out by default", () => {
        assert.equal(run.ofType("aws:serverlessrepository/cloudFormationStack:CloudFormationStack").length, 0);
        assert.equal(run.outputs.alexaFactSkillOutputs, undefined);
    });
});

describe("audio lab switches", () => {
    it("deploys the fact skill at the pinned version with the capabilities it needs, and exports its outputs", async () => {
        const run = await runProgram("dev", { alexaFactSkill: true, alexaFactSkillVersion: "1.0.7" });
        const skill = run.named("audio-factSkill").inputs;
        assert.equal(skill.applicationId, "arn:aws:serverlessrepo:us-east-1:173334852312:applications/alexa-skills-kit-nodejs-factskill");
        assert.equal(skill.semanticVersion, "1.0.7");
        assert.deepEqual(skill.capabilities, ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"]);
        assert.deepEqual(run.outputs.alexaFactSkillOutputs, {
            LambdaFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fact-skill",
        });
        assert.equal(skill.name, undefined, "auto-named, so two deployments of one stack name never share a CloudFormation stack");
        assert.equal(
            run.ofType("aws:lambda/permission:Permission").filter((p) => p.inputs.principal === "alexa-appkit.amazon.com").length,
            0,
        );
    });

    it("reads alexaFactSkill: sar as the boolean true", async () => {
        const run = await runProgram("dev", { alexaFactSkill: "sar", alexaFactSkillVersion: "1.0.7" });
        assert.equal(run.named("audio-factSkill").inputs.semanticVersion, "1.0.7");
    });

    describe("alexaFactSkill: function", () => {
        const skillId = "amzn1.ask.skill.0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        let run: ProgramRun;
        before(async () => {
            run = await runProgram("dev", { alexaFactSkill: "function", alexaSkillId: skillId });
        });

        it("deploys our own fact skill function instead of the SAR app", () => {
            assert.equal(run.ofType("aws:serverlessrepository/cloudFormationStack:CloudFormationStack").length, 0);
            const fn = run.named("audio-factSkillFunction").inputs;
            assert.equal(fn.runtime, "nodejs22.x");
            assert.deepEqual(fn.environment.variables, { ALEXA_SKILL_ID: skillId });
            const own = statementsOf(run.named("audio-factSkillPolicy").inputs.policy).filter(
                (s) => !["WriteOwnLogs", "WriteTraces"].includes(s.Sid!),
            );
            assert.deepEqual(own, [], "the skill reads nothing and writes nothing but its logs");
        });

        it("lets only Alexa, and only for the configured skill ID, invoke it", () => {
            const permissions = run
                .ofType("aws:lambda/permission:Permission")
                .filter((p) => p.inputs.function === run.named("audio-factSkillFunction").state.name);
            assert.equal(permissions.length, 1);
            assert.deepEqual(
                {
                    action: permissions[0].inputs.action,
                    principal: permissions[0].inputs.principal,
                    eventSourceToken: permissions[0].inputs.eventSourceToken,
                },
                { action: "lambda:InvokeFunction", principal: "alexa-appkit.amazon.com", eventSourceToken: skillId },
            );
        });

        it("exports the function's ARN where the SAR app's outputs would be", () => {
            assert.deepEqual(run.outputs.alexaFactSkillOutputs, { LambdaFunctionArn: run.named("audio-factSkillFunction").state.arn });
        });
    });

    it("uses the configured voice and engine", async () => {
        const run = await runProgram("dev", { audioVoice: "Matthew", audioEngine: "neural" });
        assert.deepEqual(run.named("audio-speechFunction").inputs.environment.variables, {
            POLLY_VOICE: "Matthew",
            POLLY_ENGINE: "neural",
        });
    });

    it("creates nothing of the audio lab when it is off", async () => {
        const run = await runProgram("dev", { labs: ["directory"] });
        assert.ok(!run.resources.some((r) => r.name.startsWith("audio")));
        assert.equal(run.outputs.audioBucket, undefined);
    });
});
