/**
 * The config schema: every `cloud-labs:` key with its type, default and description (Pulumi.yaml and
 * docs/configuration.md are generated from it), and the typed configuration the reader produces.
 */
import { LAB_NAMES, type LabName } from "../lab-names";
import { POLLY_ENGINES, type PollyEngine } from "../polly-voices";
import { SIGNUP_DEFAULTS, SIGNUP_LIMITS, type SignupSettings } from "../signup-settings";

export { LAB_NAMES, type LabName };

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** How `alexaFactSkill` deploys the fact skill: not at all, the SAR app (`true` is `sar`), or our own function. */
export const FACT_SKILL_MODES = ["false", "true", "sar", "function"] as const;
export type FactSkillMode = "off" | "sar" | "function";

export const LAMBDA_ARCHITECTURES = ["arm64", "x86_64"] as const;
export type LambdaArchitecture = (typeof LAMBDA_ARCHITECTURES)[number];

/** The one place every config key is declared. `Pulumi.yaml` and the README are checked against it. */
export interface ConfigKeySpec {
    type: "string" | "integer" | "boolean" | "array";
    /** The element type of an `array` key. */
    items?: "string";
    description: string;
    default: string | number | boolean | string[];
}

export const CONFIG_SCHEMA = {
    labs: {
        type: "array",
        items: "string",
        description: `Labs to deploy: any of ${LAB_NAMES.join(", ")}.`,
        default: ["directory", "hello"],
    },
    lambdaArchitecture: {
        type: "string",
        description: `CPU architecture of every Lambda function: ${LAMBDA_ARCHITECTURES.join(" or ")}.`,
        default: "arm64",
    },
    lambdaMemoryMb: {
        type: "integer",
        description: "Memory of the directory function in MB (128 to 10240).",
        default: 256,
    },
    logRetentionDays: {
        type: "integer",
        description: "Days CloudWatch keeps function and access logs (a value CloudWatch accepts, e.g. 1, 3, 7, 14, 30).",
        default: 7,
    },
    tracing: {
        type: "boolean",
        description: "Turn on AWS X-Ray active tracing for every Lambda function.",
        default: false,
    },
    directoryDataPrefix: {
        type: "string",
        description: "Key prefix of the users_*.json files the directory function reads.",
        default: "users",
    },
    apiThrottleBurst: {
        type: "integer",
        description: "HTTP API burst limit in requests (caps cost if the URL leaks).",
        default: 50,
    },
    apiThrottleRate: {
        type: "integer",
        description: "HTTP API steady-state limit in requests per second.",
        default: 20,
    },
    apiCorsExtraOrigins: {
        type: "array",
        items: "string",
        description: "Origins allowed to call the API besides the website (e.g. http://localhost:3000).",
        default: [],
    },
    audioVoice: {
        type: "string",
        description: "Amazon Polly voice of the audio lab (e.g. Joanna, Matthew, Amy); it must support audioEngine.",
        default: "Joanna",
    },
    audioEngine: {
        type: "string",
        description: `Amazon Polly engine: ${POLLY_ENGINES.join(" or ")} (neural costs 4x, sounds better).`,
        default: "standard",
    },
    audioSeedTexts: {
        type: "array",
        items: "string",
        description: "Files in data/texts/ that pulumi up uploads under text/, so a new stack gets MP3s without clicks.",
        default: ["welcome.txt"],
    },
    alexaFactSkill: {
        type: "string",
        description: `Alexa fact skill: ${FACT_SKILL_MODES.join(", ")}. sar (or true) deploys the Serverless Application Repository app; function deploys this project's own function.`,
        default: "false",
    },
    alexaFactSkillVersion: {
        type: "string",
        description: "Semantic version of the fact skill app to pin; required when alexaFactSkill is sar (or true).",
        default: "",
    },
    alexaSkillId: {
        type: "string",
        description:
            "Skill ID (amzn1.ask.skill.<uuid>) allowed to invoke the fact skill function; required when alexaFactSkill is function.",
        default: "",
    },
    webImage: {
        type: "string",
        description:
            "Run this image instead of building containers/httpd (no Docker needed), e.g. public.ecr.aws/docker/library/httpd:2.4.",
        default: "",
    },
    webArchitecture: {
        type: "string",
        description: "CPU architecture of the Fargate task and the built image: ARM64 (about 20% cheaper) or X86_64.",
        default: "ARM64",
    },
    webCpu: {
        type: "integer",
        description: "Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.",
        default: 256,
    },
    webMemoryMb: {
        type: "integer",
        description: "Task memory in MiB; must be a pair Fargate allows with webCpu (256 CPU: 512, 1024 or 2048).",
        default: 512,
    },
    webDesiredCount: {
        type: "integer",
        description: "Tasks to start with (webMinCount <= this <= webMaxCount); auto scaling moves it afterwards.",
        default: 1,
    },
    webMinCount: {
        type: "integer",
        description: "Fewest tasks auto scaling keeps; at least 1 with webStopSchedule/webStartSchedule.",
        default: 1,
    },
    webMaxCount: {
        type: "integer",
        description: "Most tasks auto scaling starts.",
        default: 3,
    },
    webCpuTargetPercent: {
        type: "integer",
        description: "Average CPU utilization auto scaling aims for, in percent (10 to 90).",
        default: 60,
    },
    webContainerPort: {
        type: "integer",
        description: "Port the container listens on (the built image: 8080; public httpd images: 80).",
        default: 8080,
    },
    webHealthCheckPath: {
        type: "string",
        description: "Path the load balancer checks (the built image serves /health; a stock httpd image: /).",
        default: "/health",
    },
    webSpot: {
        type: "boolean",
        description: "Run tasks on FARGATE_SPOT (about 70% cheaper, may be interrupted) instead of FARGATE.",
        default: false,
    },
    webContainerInsights: {
        type: "boolean",
        description: "Turn on CloudWatch Container Insights for the cluster (billed as custom metrics).",
        default: false,
    },
    webCertificateArn: {
        type: "string",
        description: "ACM certificate ARN: adds an HTTPS listener on 443 and makes port 80 redirect to it. Needs webDomainName.",
        default: "",
    },
    webDomainName: {
        type: "string",
        description:
            "Host name the certificate covers (e.g. web.example.com), pointed by CNAME at loadBalancerDnsName; required with webCertificateArn.",
        default: "",
    },
    webVpcId: {
        type: "string",
        description: "VPC to run in; empty uses the account's default VPC. Set together with webSubnetIds.",
        default: "",
    },
    webSubnetIds: {
        type: "array",
        items: "string",
        description:
            "Public subnets (two or more zones) for the load balancer and tasks, with webVpcId; empty uses two default subnets in distinct zones.",
        default: [],
    },
    webKeepImages: {
        type: "integer",
        description: "Images the ECR lifecycle policy keeps (older ones expire).",
        default: 5,
    },
    webStopSchedule: {
        type: "string",
        description:
            "When to stop every task, as cron(Minutes Hours Day-of-month Month Day-of-week Year) in UTC, e.g. cron(0 19 ? * MON-FRI *); set with webStartSchedule.",
        default: "",
    },
    webStartSchedule: {
        type: "string",
        description: "When to bring webMinCount..webMaxCount back, e.g. cron(0 7 ? * MON-FRI *); set with webStopSchedule.",
        default: "",
    },
    signupThrottleBurst: {
        type: "integer",
        description: `Sign-up lab: burst limit of POST /signup and GET /signup/{id}, in requests (${SIGNUP_LIMITS.throttleBurst.join(" to ")}).`,
        default: SIGNUP_DEFAULTS.throttleBurst,
    },
    signupThrottleRate: {
        type: "integer",
        description: `Sign-up lab: steady-state limit of each sign-up route in requests per second (${SIGNUP_LIMITS.throttleRate.join(" to ")}); caps what a leaked URL costs.`,
        default: SIGNUP_DEFAULTS.throttleRate,
    },
    signupBatchSize: {
        type: "integer",
        description: `Sign-up lab: messages the consumer receives per invocation (${SIGNUP_LIMITS.batchSize.join(" to ")}).`,
        default: SIGNUP_DEFAULTS.batchSize,
    },
    signupMaxConcurrency: {
        type: "integer",
        description: `Sign-up lab: most consumer instances at once, the event source mapping's maximum concurrency (${SIGNUP_LIMITS.maxConcurrency.join(" to ")}).`,
        default: SIGNUP_DEFAULTS.maxConcurrency,
    },
    signupMaxReceiveCount: {
        type: "integer",
        description: `Sign-up lab: receives before a message moves to the dead-letter queue (${SIGNUP_LIMITS.maxReceiveCount.join(" to ")}).`,
        default: SIGNUP_DEFAULTS.maxReceiveCount,
    },
    signupConsumerCanWrite: {
        type: "boolean",
        description:
            "Sign-up lab: false deploys the consumer without dynamodb:PutItem (the permission exercise: sign-ups end in the dead-letter queue).",
        default: SIGNUP_DEFAULTS.consumerCanWrite,
    },
    budgetMonthlyUsd: {
        type: "integer",
        description:
            "Monthly AWS Budget in USD for this deployment's resources (tag cloud-labs:deployment; 0: none); set with budgetEmail.",
        default: 0,
    },
    budgetEmail: {
        type: "string",
        description: "Address the budget emails at 80% of the forecast and 100% of the actual spend; set with budgetMonthlyUsd.",
        default: "",
    },
} satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;

/** The range of every whole-number key: the reader checks raw config against it, components their arguments. */
export const WHOLE_NUMBER_RANGES = {
    lambdaMemoryMb: [128, 10240],
    apiThrottleBurst: [1, 5000],
    apiThrottleRate: [1, 10000],
    budgetMonthlyUsd: [0, 1_000_000],
    webCpu: [256, 16384],
    webMemoryMb: [512, 122880],
    webDesiredCount: [0, 100],
    webMinCount: [0, 100],
    webMaxCount: [1, 100],
    webCpuTargetPercent: [10, 90],
    webContainerPort: [1, 65535],
    webKeepImages: [1, 1000],
    signupThrottleBurst: SIGNUP_LIMITS.throttleBurst,
    signupThrottleRate: SIGNUP_LIMITS.throttleRate,
    signupBatchSize: SIGNUP_LIMITS.batchSize,
    signupMaxConcurrency: SIGNUP_LIMITS.maxConcurrency,
    signupMaxReceiveCount: SIGNUP_LIMITS.maxReceiveCount,
} as const satisfies Partial<Record<ConfigKey, readonly [number, number]>>;
export type WholeNumberKey = keyof typeof WHOLE_NUMBER_RANGES;

/** The validated, typed configuration of one stack. */
export interface LabConfig {
    labs: ReadonlySet<LabName>;
    lambdaArchitecture: LambdaArchitecture;
    lambdaMemoryMb: number;
    logRetentionDays: number;
    tracing: boolean;
    directoryDataPrefix: string;
    apiThrottleBurst: number;
    apiThrottleRate: number;
    apiCorsExtraOrigins: string[];
    audioVoice: string;
    audioEngine: PollyEngine;
    audioSeedTexts: string[];
    alexaFactSkill: FactSkillMode;
    alexaFactSkillVersion: string;
    alexaSkillId: string;
    web: WebServiceConfig;
    /** The sign-up lab's settings. */
    signup: SignupSettings;
    /** The stack's AWS Budget, when budgetMonthlyUsd and budgetEmail are set. */
    budget?: { monthlyUsd: number; email: string };
}

export const FARGATE_ARCHITECTURES = ["ARM64", "X86_64"] as const;

/** The container lab's settings, validated together (Fargate's cpu/memory pairs, min <= desired <= max, ...). */
export interface WebServiceConfig {
    image?: string;
    architecture: (typeof FARGATE_ARCHITECTURES)[number];
    cpu: number;
    memoryMb: number;
    desiredCount: number;
    minCount: number;
    maxCount: number;
    cpuTargetPercent: number;
    containerPort: number;
    healthCheckPath: string;
    spot: boolean;
    containerInsights: boolean;
    certificateArn?: string;
    /** The host name the certificate covers; set exactly when certificateArn is. */
    domainName?: string;
    vpcId?: string;
    subnetIds: string[];
    keepImages: number;
    /** Scales to zero at `stop` and back to min..max at `start` (validated cron(...) expressions, UTC). */
    schedule?: { stop: string; start: string };
}

/** Memory (MiB) Fargate allows for each CPU value. */
export const FARGATE_MEMORY: Record<number, number[]> = {
    256: [512, 1024, 2048],
    512: range(1024, 4096, 1024),
    1024: range(2048, 8192, 1024),
    2048: range(4096, 16384, 1024),
    4096: range(8192, 30720, 1024),
    8192: range(16384, 61440, 4096),
    16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
    return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

/** The port the image built from containers/httpd listens on. */
export const BUILT_IMAGE_PORT = 8080;

/** An Alexa skill ID: `amzn1.ask.skill.` and a UUID. */
export const ALEXA_SKILL_ID = /^amzn1\.ask\.skill\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A DNS host name: dot-separated labels of letters, digits and inner hyphens, with a letter-only last label. */
export const HOST_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
