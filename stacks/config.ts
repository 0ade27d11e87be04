import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { TEXTS_DIR } from "./audio-files";
import { LAB_NAMES, type LabName } from "./lab-names";
import { CronError, parseCron } from "./cron";
import { POLLY_ENGINES, POLLY_VOICES, type PollyEngine } from "./polly-voices";
import { webServiceProblems } from "./web-service-rules";

export { LAB_NAMES, TEXTS_DIR, type LabName };

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
        description: "Skill ID (amzn1.ask.skill.<uuid>) allowed to invoke the fact skill function; required when alexaFactSkill is function.",
        default: "",
    },
    webImage: {
        type: "string",
        description: "Run this image instead of building containers/httpd (no Docker needed), e.g. public.ecr.aws/docker/library/httpd:2.4.",
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
        description: "Host name the certificate covers (e.g. web.example.com), pointed by CNAME at loadBalancerDnsName; required with webCertificateArn.",
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
        description: "Public subnets (two or more zones) for the load balancer and tasks, with webVpcId; empty uses two default subnets in distinct zones.",
        default: [],
    },
    webKeepImages: {
        type: "integer",
        description: "Images the ECR lifecycle policy keeps (older ones expire).",
        default: 5,
    },
    webStopSchedule: {
        type: "string",
        description: "When to stop every task, as cron(Minutes Hours Day-of-month Month Day-of-week Year) in UTC, e.g. cron(0 19 ? * MON-FRI *); set with webStartSchedule.",
        default: "",
    },
    webStartSchedule: {
        type: "string",
        description: "When to bring webMinCount..webMaxCount back, e.g. cron(0 7 ? * MON-FRI *); set with webStopSchedule.",
        default: "",
    },
    budgetMonthlyUsd: {
        type: "integer",
        description: "Monthly AWS Budget in USD for this deployment's resources (tag cloud-labs:deployment; 0: none); set with budgetEmail.",
        default: 0,
    },
    budgetEmail: {
        type: "string",
        description: "Address the budget emails at 80% of the forecast and 100% of the actual spend; set with budgetMonthlyUsd.",
        default: "",
    },
} satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;

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

/** Thrown when one or more config values are invalid; the message names every key, value and what is allowed. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`Invalid cloud-labs config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/** Where raw values come from: Pulumi's config in a program, a plain map in tests and scripts. */
export type ConfigSource = (key: string) => string | undefined;

/** What loadConfig checks besides the values. */
export interface LoadConfigOptions {
    /**
     * Every config key the stack sets, namespaced (`cloud-labs:labs`, `aws:region`): keys of the project's
     * namespace that CONFIG_SCHEMA does not declare are errors, namespaces one typo away from it are warnings.
     * @default the Pulumi program's config when no source is given, else none (no key check)
     */
    keys?: readonly string[];
    /** Where warnings go. @default pulumi.log.warn when no source is given, else nowhere */
    warn?: (message: string) => void;
}

const PROJECT = "cloud-labs";

/**
 * Reads and validates every key once. All problems are reported together so a user fixes them in one go, one
 * message per key (the first thing wrong with it).
 */
export function loadConfig(source?: ConfigSource, options: LoadConfigOptions = {}): LabConfig {
    const fromPulumi = source === undefined;
    const problems: string[] = [];
    const r = new RawReader(source ?? pulumiSource(), problems);
    const keys = options.keys ?? (fromPulumi ? Object.keys(pulumi.runtime.allConfig()) : []);
    checkKeys(keys, problems, options.warn ?? (fromPulumi ? (message) => pulumi.log.warn(message) : () => undefined));

    const labs = r.array("labs");
    const unknown = labs.filter((l) => !(LAB_NAMES as readonly string[]).includes(l));
    if (unknown.length > 0) {
        problems.push(describe("labs", JSON.stringify(unknown), `each lab must be one of ${LAB_NAMES.join(", ")}`));
    } else if (labs.length === 0 && r.isSet("labs")) {
        problems.push(describe("labs", "[]", `must name at least one lab (${LAB_NAMES.join(", ")}); to remove every lab, run pulumi destroy`));
    }

    const lambdaArchitecture = r.oneOf("lambdaArchitecture", LAMBDA_ARCHITECTURES);
    const lambdaMemoryMb = r.integer("lambdaMemoryMb", 128, 10240);
    const logRetentionDays = r.integerOneOf("logRetentionDays", LOG_RETENTION_DAYS);
    const tracing = r.boolean("tracing");

    const directoryDataPrefix = r.string("directoryDataPrefix");
    if (!/^[A-Za-z0-9!_.*'()/-]{1,200}$/.test(directoryDataPrefix) || directoryDataPrefix.startsWith("/")) {
        problems.push(
            describe("directoryDataPrefix", directoryDataPrefix, "must be 1-200 safe S3 key characters, not starting with /"),
        );
    }
    const apiThrottleBurst = r.integer("apiThrottleBurst", 1, 5000);
    const apiThrottleRate = r.integer("apiThrottleRate", 1, 10000);
    const apiCorsExtraOrigins = r.array("apiCorsExtraOrigins");
    for (const origin of apiCorsExtraOrigins) {
        if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin)) {
            problems.push(
                describe("apiCorsExtraOrigins", origin, "each entry must be an origin like http://localhost:3000 (no path)"),
            );
        }
    }

    const audioVoice = r.string("audioVoice");
    const audioEngine = r.oneOf("audioEngine", POLLY_ENGINES);
    const voiceEngines = POLLY_VOICES[audioVoice];
    if (!voiceEngines) {
        problems.push(describe("audioVoice", audioVoice, `must be one of ${Object.keys(POLLY_VOICES).join(", ")}`));
    } else if ((POLLY_ENGINES as readonly string[]).includes(audioEngine) && !voiceEngines.includes(audioEngine)) {
        problems.push(
            describe("audioVoice", audioVoice, `supports only the ${voiceEngines.join(" and ")} engine, not cloud-labs:audioEngine = ${audioEngine}`),
        );
    }
    const audioSeedTexts = r.array("audioSeedTexts");
    for (const name of audioSeedTexts) {
        if (!/^[\w.-]+\.txt$/.test(name) || !fs.existsSync(path.join(TEXTS_DIR, name))) {
            problems.push(describe("audioSeedTexts", name, "each entry must name a .txt file in data/texts/"));
        }
    }
    const skillSwitch = r.oneOf("alexaFactSkill", FACT_SKILL_MODES);
    const alexaFactSkill: FactSkillMode = skillSwitch === "true" || skillSwitch === "sar" ? "sar" : skillSwitch === "function" ? "function" : "off";
    const alexaFactSkillVersion = r.string("alexaFactSkillVersion");
    const alexaSkillId = r.string("alexaSkillId");
    if (alexaFactSkill === "function" && !ALEXA_SKILL_ID.test(alexaSkillId)) {
        problems.push(
            describe("alexaSkillId", alexaSkillId, "must be the skill's ID, amzn1.ask.skill.<uuid> (Alexa developer console → your skill → Copy Skill ID), when alexaFactSkill is function"),
        );
    }
    if (alexaFactSkill === "sar" && !/^\d+\.\d+\.\d+$/.test(alexaFactSkillVersion)) {
        problems.push(
            describe(
                "alexaFactSkillVersion",
                alexaFactSkillVersion,
                "must be the semantic version (e.g. 1.2.3) to pin when alexaFactSkill is sar (or true); list them with " +
                    "aws serverlessrepo list-application-versions --application-id " +
                    "arn:aws:serverlessrepo:us-east-1:173334852312:applications/alexa-skills-kit-nodejs-factskill",
            ),
        );
    }

    if (alexaFactSkill !== "off" && !labs.includes("audio")) {
        problems.push(describe("alexaFactSkill", skillSwitch ?? alexaFactSkill, "deploys with the audio lab only: add audio to cloud-labs:labs, or remove alexaFactSkill"));
    }

    const web = readWebConfig(r, problems);
    const budget = readBudget(r, problems);

    if (problems.length > 0) throw new ConfigError(onePerKey(problems));
    return {
        labs: new Set(labs as LabName[]),
        lambdaArchitecture,
        lambdaMemoryMb,
        logRetentionDays,
        tracing,
        directoryDataPrefix,
        apiThrottleBurst,
        apiThrottleRate,
        apiCorsExtraOrigins,
        audioVoice,
        audioEngine,
        audioSeedTexts,
        alexaFactSkill,
        alexaFactSkillVersion,
        alexaSkillId,
        web,
        budget,
    };
}

function readBudget(r: RawReader, problems: string[]): LabConfig["budget"] {
    const monthlyUsd = r.integer("budgetMonthlyUsd", 0, 1_000_000);
    const email = r.string("budgetEmail");
    if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) problems.push(describe("budgetEmail", email, "must be an email address like you@example.com"));
    if ((monthlyUsd > 0) !== (email !== "")) {
        problems.push(
            describe(email ? "budgetMonthlyUsd" : "budgetEmail", email ? monthlyUsd : "", "budgetMonthlyUsd and budgetEmail go together: set both (a whole number of dollars above 0 and an address), or neither"),
        );
    }
    return monthlyUsd > 0 && email ? { monthlyUsd, email } : undefined;
}

/** The stop/start pair: both or neither, each a cron(...) expression Application Auto Scaling takes. */
function readSchedule(r: RawReader, problems: string[]): WebServiceConfig["schedule"] {
    const stop = r.string("webStopSchedule");
    const start = r.string("webStartSchedule");
    for (const [key, value] of [["webStopSchedule", stop], ["webStartSchedule", start]] as const) {
        if (!value) continue;
        try {
            parseCron(value);
        } catch (error) {
            if (!(error instanceof CronError)) throw error;
            problems.push(describe(key, value, error.message));
        }
    }
    if (Boolean(stop) !== Boolean(start)) {
        problems.push(describe(stop ? "webStartSchedule" : "webStopSchedule", "", "webStopSchedule and webStartSchedule go together: set both, or neither"));
    } else if (stop && stop === start) {
        problems.push(describe("webStartSchedule", start, "must differ from webStopSchedule"));
    }
    return stop && start ? { stop, start } : undefined;
}

function readWebConfig(r: RawReader, problems: string[]): WebServiceConfig {
    const image = r.string("webImage") || undefined;
    if (image && !isImageReference(image)) {
        problems.push(describe("webImage", image, "must be an image reference like httpd:2.4 or public.ecr.aws/docker/library/httpd:2.4 (registry/name:tag or @sha256:digest, name in lower case)"));
    }
    const architecture = r.oneOf("webArchitecture", FARGATE_ARCHITECTURES);
    const cpu = r.integer("webCpu", 256, 16384);
    const memoryMb = r.integer("webMemoryMb", 512, 122880);
    const desiredCount = r.integer("webDesiredCount", 0, 100);
    const minCount = r.integer("webMinCount", 0, 100);
    const maxCount = r.integer("webMaxCount", 1, 100);
    const cpuTargetPercent = r.integer("webCpuTargetPercent", 10, 90);
    const containerPort = r.integer("webContainerPort", 1, 65535);
    const healthCheckPath = r.string("webHealthCheckPath");
    if (!/^\/[\w./-]*$/.test(healthCheckPath)) problems.push(describe("webHealthCheckPath", healthCheckPath, "must be a path starting with /"));
    const certificateArn = r.string("webCertificateArn") || undefined;
    if (certificateArn && !/^arn:aws[\w-]*:acm:[\w-]+:\d{12}:certificate\/[\w-]+$/.test(certificateArn)) {
        problems.push(describe("webCertificateArn", certificateArn, "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"));
    }
    const domainName = r.string("webDomainName") || undefined;
    if (domainName && !HOST_NAME.test(domainName)) {
        problems.push(describe("webDomainName", domainName, "must be a host name like web.example.com (no scheme, port or path)"));
    }
    const vpcId = r.string("webVpcId") || undefined;
    const subnetIds = r.array("webSubnetIds");
    if (vpcId && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) problems.push(describe("webVpcId", vpcId, "must be a VPC id like vpc-0123456789abcdef0"));
    for (const id of subnetIds) {
        if (!/^subnet-[0-9a-f]{8,17}$/.test(id)) problems.push(describe("webSubnetIds", id, "each entry must be a subnet id like subnet-0123456789abcdef0"));
    }
    const keepImages = r.integer("webKeepImages", 1, 1000);
    const web: WebServiceConfig = {
        image, architecture, cpu, memoryMb, desiredCount, minCount, maxCount, cpuTargetPercent, containerPort,
        healthCheckPath, spot: r.boolean("webSpot"), containerInsights: r.boolean("webContainerInsights"),
        certificateArn, domainName, vpcId, subnetIds, keepImages, schedule: readSchedule(r, problems),
    };
    // What the values must be together: the same rules `new WebService(...)` checks (stacks/web-service-rules.ts).
    problems.push(...webServiceProblems(web));
    return web;
}

/**
 * A container image reference as Docker and ECS read it: `[registry[:port]/]path[:tag][@digest]`, the path in lower
 * case (github.com/distribution/reference's grammar).
 */
export function isImageReference(ref: string): boolean {
    const match = /^([^@]+?)(?::([\w][\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$/.exec(ref);
    if (!match || match[1].length > 255) return false;
    const parts = match[1].split("/");
    const first = parts[0];
    const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
    if (hasRegistry && !/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/.test(first)) return false;
    const path = hasRegistry ? parts.slice(1) : parts;
    return path.length > 0 && path.every((component) => /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(component));
}

/**
 * Every key the stack sets in the project's namespace must be declared in CONFIG_SCHEMA (a typo would otherwise
 * deploy as if unset); a namespace one or two typos away from the project's (`cloudlabs:labs`) is warned about.
 */
function checkKeys(keys: readonly string[], problems: string[], warn: (message: string) => void): void {
    const known = Object.keys(CONFIG_SCHEMA);
    for (const full of keys) {
        const colon = full.indexOf(":");
        if (colon < 0) continue;
        const namespace = full.slice(0, colon);
        const key = full.slice(colon + 1);
        if (namespace === PROJECT) {
            if (!Object.hasOwn(CONFIG_SCHEMA, key)) {
                const near = nearest(key, known);
                problems.push(`${PROJECT}:${key} is not a ${PROJECT} setting${near ? ` (did you mean ${near}?)` : ""}; the settings are listed in Pulumi.yaml.`);
            }
        } else if (editDistance(namespace.toLowerCase(), PROJECT) <= 2) {
            const near = Object.hasOwn(CONFIG_SCHEMA, key) ? key : nearest(key, known);
            warn(`${full} is ignored: ${namespace} is not this project's namespace${near ? ` (did you mean ${PROJECT}:${near}?)` : ` (it is ${PROJECT})`}`);
        }
    }
}

/** The known key closest to `key`, if it is close enough to be a typo of it. */
function nearest(key: string, known: string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of known) {
        const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
        if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
    }
    return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}

/** The first problem of each key: a value that fails its own check is not reported again by checks built on it. */
function onePerKey(problems: string[]): string[] {
    const seen = new Set<string>();
    return problems.filter((problem) => {
        const key = new RegExp(`^${PROJECT}:([\\w-]+)`).exec(problem)?.[1];
        if (key === undefined) return true;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}

function pulumiSource(): ConfigSource {
    const config = new pulumi.Config(PROJECT);
    return (key) => config.get(key);
}

/** The standard sentence for a bad value: key, value, rule. */
export function describe(key: string, value: unknown, rule: string): string {
    return `${PROJECT}:${key} = ${JSON.stringify(String(value))}: ${rule}.`;
}

/** Parses raw config strings by the schema's type, falling back to the schema default; records problems. */
class RawReader {
    constructor(
        private readonly source: ConfigSource,
        private readonly problems: string[],
    ) {}

    private raw(key: ConfigKey): string | undefined {
        const value = this.source(key);
        return value === undefined || value === "" ? undefined : value;
    }

    /** Whether the stack sets the key (to anything but an empty string). */
    isSet(key: ConfigKey): boolean {
        return this.raw(key) !== undefined;
    }

    string(key: ConfigKey): string {
        return this.raw(key) ?? (CONFIG_SCHEMA[key].default as string);
    }

    oneOf<T extends string>(key: ConfigKey, allowed: readonly T[]): T {
        const value = this.string(key);
        if (!(allowed as readonly string[]).includes(value)) {
            this.problems.push(describe(key, value, `must be one of ${allowed.join(", ")}`));
        }
        return value as T;
    }

    integer(key: ConfigKey, min: number, max: number): number {
        const raw = this.raw(key);
        const value = this.wholeNumber(key, raw);
        if (!Number.isInteger(value) || value < min || value > max) {
            this.problems.push(describe(key, raw, `must be a whole number from ${min} to ${max}`));
        }
        return value;
    }

    /** The raw value as a plain decimal integer (NaN if it is not one), or the default when unset. */
    private wholeNumber(key: ConfigKey, raw: string | undefined): number {
        // Plain digits only: Number() would also read "0x100", "1e3" and " 256 ".
        return raw === undefined ? (CONFIG_SCHEMA[key].default as number) : /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    }

    /** A plain integer from a fixed list; one message for anything else. */
    integerOneOf(key: ConfigKey, allowed: readonly number[]): number {
        const raw = this.raw(key);
        const value = this.wholeNumber(key, raw);
        if (!allowed.includes(value)) this.problems.push(describe(key, raw, `must be one of ${allowed.join(", ")}`));
        return value;
    }

    boolean(key: ConfigKey): boolean {
        const raw = this.raw(key);
        if (raw === undefined) return CONFIG_SCHEMA[key].default as boolean;
        if (raw !== "true" && raw !== "false") this.problems.push(describe(key, raw, "must be true or false"));
        return raw === "true";
    }

    array(key: ConfigKey): string[] {
        const raw = this.raw(key);
        if (raw === undefined) return [...(CONFIG_SCHEMA[key].default as string[])];
        let parsed: unknown;
        try {
            parsed = JSON.parse(raw);
        } catch {
            parsed = undefined;
        }
        if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === "string")) {
            this.problems.push(describe(key, raw, "must be a list of strings (a YAML list in Pulumi.<stack>.yaml)"));
            return [];
        }
        return parsed;
    }
}
