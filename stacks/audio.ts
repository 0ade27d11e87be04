import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AUDIO_PREFIX, TEXT_PREFIX, audioKeyFor } from "../functions/speech/keys";
import { TEXTS_DIR } from "./audio-files";
import { checkArgs } from "./config/reader";
import { audioProblems } from "./config/rules/audio";
import type { FunctionDefaults } from "./function-defaults";
import { LabBucket } from "./lab-bucket";
import { NodeFunction } from "./node-function";

/** The Serverless Application Repository app the original lab deploys by hand. */
export const FACT_SKILL_APPLICATION_ID = "arn:aws:serverlessrepo:us-east-1:173334852312:applications/alexa-skills-kit-nodejs-factskill";

export interface AudioLabArgs {
    /**
     * Amazon Polly voice.
     * @default "Joanna"
     */
    voice?: string;
    /**
     * Amazon Polly engine: "standard" or "neural".
     * @default "standard"
     */
    engine?: string;
    /**
     * Files in data/texts/ uploaded under `text/` on `pulumi up` (after the trigger exists, so each becomes an MP3).
     * @default ["welcome.txt"]
     */
    seedTexts?: string[];
    /**
     * The Alexa fact skill: the Serverless Application Repository app at a pinned version, or this project's own
     * function that only the given skill may invoke; undefined leaves it out.
     * @default undefined (no skill)
     * @example { factSkill: { from: "function", skillId: "amzn1.ask.skill.0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" } }
     */
    factSkill?: { from: "sar"; version: string } | { from: "function"; skillId: string };
    /**
     * Architecture, log retention and tracing of the function.
     * @default {} (the NodeFunction defaults)
     */
    functionDefaults?: FunctionDefaults;
}

/**
 * The "Build an Alexa skill" lab: a bucket whose `audio/` objects are public, a Lambda that turns every uploaded
 * `text/**.txt` into `audio/**.mp3` with Amazon Polly, seed texts, and optionally the Alexa fact skill.
 */
export class AudioLab extends pulumi.ComponentResource {
    readonly bucket: LabBucket;
    readonly speechFunction: NodeFunction;
    readonly notification: aws.s3.BucketNotification;
    /** The SAR app's stack (`factSkill.from = "sar"`). */
    readonly factSkill?: aws.serverlessrepository.CloudFormationStack;
    /** The fact skill as our own function (`factSkill.from = "function"`). */
    readonly factSkillFunction?: NodeFunction;
    readonly seedKeys: string[];

    constructor(name: string, args: AudioLabArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("cloud-labs:audio:AudioLab", name, {}, opts);
        checkArgs(
            "AudioLab",
            name,
            audioProblems({
                voice: args.voice ?? "Joanna",
                engine: args.engine ?? "standard",
                seedTexts: args.seedTexts ?? ["welcome.txt"],
                factSkill: args.factSkill,
            }),
        );
        this.bucket = new LabBucket(`${name}-bucket`, { publicReadPaths: [`${AUDIO_PREFIX}*`] }, { parent: this });
        this.speechFunction = this.createSpeechFunction(name, args);
        this.notification = this.createTrigger(name);
        this.seedKeys = (args.seedTexts ?? ["welcome.txt"]).map((file) => {
            const key = `${TEXT_PREFIX}${file}`;
            this.bucket.putObject({ key, file: path.join(TEXTS_DIR, file) }, [this.notification]);
            return key;
        });
        if (args.factSkill?.from === "sar") this.factSkill = this.createFactSkillApp(name, args.factSkill.version);
        if (args.factSkill?.from === "function") this.factSkillFunction = this.createFactSkillFunction(name, args.factSkill.skillId, args);
        this.registerOutputs({});
    }

    private createSpeechFunction(name: string, args: AudioLabArgs): NodeFunction {
        const arn = this.bucket.bucket.arn;
        return new NodeFunction(
            `${name}-speech`,
            {
                entry: "functions/speech/index.ts",
                description: "Turns text/**.txt uploads into audio/**.mp3 with Amazon Polly",
                memoryMb: 256,
                timeoutSeconds: 60,
                ...args.functionDefaults,
                environment: { POLLY_VOICE: args.voice ?? "Joanna", POLLY_ENGINE: args.engine ?? "standard" },
                statements: [
                    { Sid: "ReadTexts", Effect: "Allow", Action: ["s3:GetObject"], Resource: [pulumi.interpolate`${arn}/${TEXT_PREFIX}*`] },
                    // Also what a StartSpeechSynthesisTask needs: Polly writes the task's MP3 with the caller's rights.
                    {
                        Sid: "WriteAudio",
                        Effect: "Allow",
                        Action: ["s3:PutObject"],
                        Resource: [pulumi.interpolate`${arn}/${AUDIO_PREFIX}*`],
                    },
                    // Polly's synthesis actions have no resource to name (only lexicons are resources).
                    {
                        Sid: "Speak",
                        Effect: "Allow",
                        Action: ["polly:SynthesizeSpeech", "polly:StartSpeechSynthesisTask"],
                        Resource: ["*"],
                    },
                ],
            },
            { parent: this },
        );
    }

    private createTrigger(name: string): aws.s3.BucketNotification {
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const permission = new aws.lambda.Permission(
            `${name}-speechInvoke`,
            {
                action: "lambda:InvokeFunction",
                function: this.speechFunction.function.name,
                principal: "s3.amazonaws.com",
                sourceArn: this.bucket.bucket.arn,
                sourceAccount: account,
            },
            { parent: this },
        );
        return new aws.s3.BucketNotification(
            `${name}-trigger`,
            {
                bucket: this.bucket.bucket.id,
                lambdaFunctions: [
                    {
                        lambdaFunctionArn: this.speechFunction.arn,
                        events: ["s3:ObjectCreated:*"],
                        filterPrefix: TEXT_PREFIX,
                        filterSuffix: ".txt",
                    },
                ],
            },
            { parent: this, dependsOn: [permission] },
        );
    }

    private createFactSkillApp(name: string, version: string): aws.serverlessrepository.CloudFormationStack {
        return new aws.serverlessrepository.CloudFormationStack(
            `${name}-factSkill`,
            {
                // No name: Pulumi auto-names the stack (SAR prefixes serverlessrepo-), so deployments never collide.
                applicationId: FACT_SKILL_APPLICATION_ID,
                semanticVersion: version,
                // The app creates a function, its IAM role, and a resource policy letting Alexa invoke it.
                capabilities: ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"],
            },
            { parent: this },
        );
    }

    private createFactSkillFunction(name: string, skillId: string, args: AudioLabArgs): NodeFunction {
        const fn = new NodeFunction(
            `${name}-factSkill`,
            {
                entry: "functions/fact-skill/index.ts",
                description: "Alexa fact skill: tells a space fact (LaunchRequest, GetNewFactIntent, help, stop, cancel)",
                memoryMb: 128,
                timeoutSeconds: 7,
                ...args.functionDefaults,
                environment: { ALEXA_SKILL_ID: skillId },
            },
            { parent: this },
        );
        // Only this skill may invoke the function: Alexa sends the skill ID as the event source token.
        new aws.lambda.Permission(
            `${name}-factSkillInvoke`,
            {
                action: "lambda:InvokeFunction",
                function: fn.function.name,
                principal: "alexa-appkit.amazon.com",
                eventSourceToken: skillId,
            },
            { parent: this },
        );
        return fn;
    }

    /** `https://<bucket regional domain>/audio/<name>.mp3`: where an MP3 of `text/<name>.txt` can be fetched. */
    get audioUrlPattern(): pulumi.Output<string> {
        return pulumi.interpolate`https://${this.bucket.bucket.bucketRegionalDomainName}/${AUDIO_PREFIX}<name>.mp3`;
    }

    /** The public URL of the MP3 made from a `text/` key. */
    audioUrl(textKey: string): pulumi.Output<string> {
        const audioKey = audioKeyFor(textKey);
        return pulumi.interpolate`https://${this.bucket.bucket.bucketRegionalDomainName}/${audioKey.split("/").map(encodeURIComponent).join("/")}`;
    }
}
