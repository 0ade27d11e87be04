/**
 * The stack outputs verify reads (`pulumi stack output --json`, a file of them, or the local lab's outputs.json),
 * checked before anything runs: a missing or malformed value is an OutputsError naming the source and the key.
 */
import { DEPLOYMENT_ID } from "./tags";

/** The outputs verify uses, by the names index.ts exports them under (the local lab writes the same names). */
export interface LabOutputs {
    /** The website's URL (directory). */
    websiteUrl?: string;
    /** The API's base URL (directory). */
    apiUrl?: string;
    /** The data bucket's name (directory). */
    dataBucket?: string;
    /** The `/hello` endpoint (hello). */
    helloWorldApi?: string;
    /** The audio lab's bucket. */
    audioBucket?: string;
    /** An MP3's public URL with a `<name>` placeholder (audio). */
    audioUrlPattern?: string;
    /** The first seed text's MP3 (audio). */
    seedAudioUrl?: string;
    /** The web-service lab's page. */
    serviceUrl?: string;
    /** The sign-up page on the S3 website (signup). */
    signupWebsiteUrl?: string;
    /** The sign-up HTTP API's base URL: POST /signup, GET /signup/{id} (signup). */
    signupApiUrl?: string;
    /** The sign-up table's name (signup). */
    signupTableName?: string;
    /** The sign-up queue's URL (signup; locally, its figures on the lab server). */
    signupQueueUrl?: string;
    /** The sign-up dead-letter queue's URL (signup; locally, its figures on the lab server). */
    signupDeadLetterQueueUrl?: string;
    /** Set by the local lab only: its DynamoDB endpoint (dynalite). */
    dynamodbEndpoint?: string;
    /** The web service's ECS service (in clusterName): verify asks it how many tasks run. */
    serviceName?: string;
    /** The web service's ECS cluster. */
    clusterName?: string;
    /** The web service's stop and start schedules, cron(...) in UTC, when it has them. */
    webStopSchedule?: string;
    webStartSchedule?: string;
    /** The deployment's identity, `<project>-<stack>-<suffix>` (shared/tags.ts): leftovers and the cohort tools search for it. */
    deploymentId?: string;
    /** Set by the local lab only: its S3 endpoint. Its presence means "local": no AWS-only checks. */
    s3Endpoint?: string;
}

/** Outputs that cannot be used: exit 2. */
export class OutputsError extends Error {}

const URL_KEYS = [
    "websiteUrl",
    "apiUrl",
    "helloWorldApi",
    "seedAudioUrl",
    "serviceUrl",
    "s3Endpoint",
    "signupWebsiteUrl",
    "signupApiUrl",
    "signupQueueUrl",
    "signupDeadLetterQueueUrl",
    "dynamodbEndpoint",
] as const;
const NAME_KEYS = [
    "dataBucket",
    "audioBucket",
    "audioUrlPattern",
    "serviceName",
    "clusterName",
    "webStopSchedule",
    "webStartSchedule",
    "deploymentId",
    "signupTableName",
] as const;

/** Each lab's outputs: the lab is checked when any is present, and then all of `required` must be. */
export const LAB_OUTPUTS: Record<string, { required: (keyof LabOutputs)[]; optional: (keyof LabOutputs)[] }> = {
    directory: { required: ["websiteUrl", "apiUrl", "dataBucket"], optional: [] },
    hello: { required: ["helloWorldApi"], optional: [] },
    audio: { required: ["audioBucket", "audioUrlPattern"], optional: ["seedAudioUrl"] },
    webService: { required: ["serviceUrl"], optional: ["serviceName", "clusterName", "webStopSchedule", "webStartSchedule"] },
    signup: {
        required: ["signupWebsiteUrl", "signupApiUrl", "signupTableName"],
        optional: ["signupQueueUrl", "signupDeadLetterQueueUrl", "dynamodbEndpoint"],
    },
};

/**
 * The text of an outputs file: UTF-8, with or without a byte order mark (Windows editors add one). UTF-16 (what
 * PowerShell's `>` writes) is named as such, with the command that writes UTF-8 instead.
 */
export function decodeOutputs(bytes: Uint8Array, source: string): string {
    const utf16 =
        (bytes[0] === 0xff && bytes[1] === 0xfe) ||
        (bytes[0] === 0xfe && bytes[1] === 0xff) ||
        (bytes.length >= 2 && (bytes[0] === 0 || bytes[1] === 0));
    if (utf16) {
        throw new OutputsError(
            `${source} is UTF-16 text, not UTF-8 (PowerShell's > writes UTF-16): save it as UTF-8, e.g. ` +
                "pulumi stack output --json --show-secrets | Out-File -Encoding utf8 outputs.json",
        );
    }
    try {
        return new TextDecoder("utf-8", { fatal: true }).decode(bytes); // drops a leading BOM
    } catch {
        throw new OutputsError(`${source} is not UTF-8 text`);
    }
}

/**
 * The deployment id in outputs JSON (what `pulumi stack output --json` printed): what leftovers searches for. An
 * OutputsError names the file and what is wrong, e.g. outputs of a stack deployed before the id existed.
 */
export function readDeploymentId(text: string, source: string): string {
    const raw = parseObject(text, source);
    const id = raw.deploymentId;
    if (id === undefined || id === null) {
        throw new OutputsError(
            `${source} has no deploymentId: it must be what \`pulumi stack output --json\` printed for a stack deployed by this version (run pulumi up once, then save the outputs again)`,
        );
    }
    if (typeof id !== "string" || !DEPLOYMENT_ID.test(id))
        throw new OutputsError(`${source}: deploymentId must be an id like cloud-labs-dev-ab12cd; received ${JSON.stringify(id)}`);
    return id;
}

function parseObject(text: string, source: string): Record<string, unknown> {
    let data: unknown;
    try {
        data = JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch (error) {
        throw new OutputsError(`${source} is not valid JSON (${(error as Error).message})`);
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
        throw new OutputsError(`${source} must hold a JSON object of stack outputs, as \`pulumi stack output --json\` prints`);
    }
    return data as Record<string, unknown>;
}

/** Parses and checks outputs JSON; `source` names where it came from in every message. */
export function parseOutputs(text: string, source: string): LabOutputs {
    const raw = parseObject(text, source);
    const outputs: LabOutputs = {};
    for (const key of [...URL_KEYS, ...NAME_KEYS]) {
        const value = raw[key];
        if (value === undefined || value === null) continue;
        if (typeof value !== "string" || value.trim() === "") {
            throw new OutputsError(`${source}: ${key} must be a non-empty string; received ${JSON.stringify(value)}`);
        }
        if ((URL_KEYS as readonly string[]).includes(key) && !/^https?:\/\/[^/\s]+/.test(value)) {
            throw new OutputsError(`${source}: ${key} must be an http(s) URL; received ${JSON.stringify(value)}`);
        }
        outputs[key] = value;
    }
    if (outputs.audioUrlPattern && !outputs.audioUrlPattern.includes("<name>")) {
        throw new OutputsError(`${source}: audioUrlPattern must contain <name>; received ${JSON.stringify(outputs.audioUrlPattern)}`);
    }
    const labs = labsIn(outputs);
    for (const lab of labs) {
        const missing = LAB_OUTPUTS[lab].required.filter((k) => outputs[k] === undefined);
        if (missing.length) throw new OutputsError(`${source}: the ${lab} lab's outputs are incomplete: ${missing.join(", ")} missing`);
    }
    if (labs.length === 0) {
        const names = Object.values(LAB_OUTPUTS).flatMap((l) => l.required);
        throw new OutputsError(`${source} holds no lab outputs (looked for ${names.join(", ")})`);
    }
    return outputs;
}

/** The labs whose outputs are present, in a fixed order. */
export function labsIn(outputs: LabOutputs): string[] {
    return Object.entries(LAB_OUTPUTS)
        .filter(([, keys]) => [...keys.required, ...keys.optional].some((k) => outputs[k] !== undefined))
        .map(([lab]) => lab);
}
