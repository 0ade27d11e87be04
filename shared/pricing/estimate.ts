/**
 * Prices what a stack would create: reads the resources the program registers under mocks and applies the
 * dated list prices in prices.ts. Idle cost is what bills with no traffic; usage cost is what the assumed
 * traffic adds. Free tiers are separate negative items, so the gross figures stay visible.
 */
import * as fs from "node:fs";
import type { LookUp, ProgramResource } from "../resource-graph";
import { labOf } from "../stack-files";
import { parseCron, runningHoursPerMonth } from "../../stacks/cron";
import { HOURS_PER_MONTH, PRICES, PRICES_REGION, PRICES_SOURCE, PRICES_TAKEN } from "./prices";

export interface Assumptions {
    /** Requests a month to each HTTP route and to the container service. */
    requestsPerMonth: number;
    /** Hours a month the stack is up. */
    hours: number;
    /** Texts uploaded to the audio lab a month, and their length. */
    uploadsPerMonth: number;
    charactersPerUpload: number;
    /** Average run time of each function, by entry folder. */
    durationMs: Record<string, number>;
    /** CloudWatch Logs written per invocation or request. */
    logBytesPerRequest: number;
    /** Size of the web image in ECR. */
    imageSizeMb: number;
    /** Bytes the container service sends per request (for load balancer capacity units). */
    responseBytes: number;
    /** Count free tiers, including the 12-month ones of a new account. */
    freeTier: boolean;
    /**
     * The sign-up lab's campaign: this many sign-ups a day for this many days, all in the month priced. Without
     * one, the lab gets `requestsPerMonth` sign-ups like every other route.
     */
    campaign?: { signupsPerDay: number; days: number };
    /** `GET /signup/{id}` calls the page makes per sign-up while it waits for the state. */
    statusPollsPerSignup: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
    requestsPerMonth: 1000,
    hours: HOURS_PER_MONTH,
    uploadsPerMonth: 10,
    charactersPerUpload: 200,
    durationMs: { directory: 100, hello: 5, speech: 1500, consumer: 30, status: 10 },
    logBytesPerRequest: 1024,
    imageSizeMb: 60,
    responseBytes: 5 * 1024,
    freeTier: true,
    statusPollsPerSignup: 4,
};

/**
 * Long polls the sign-up consumer's event source mapping makes on an empty queue: Lambda keeps about five pollers
 * waiting 20 s each (AWS does not publish the number; five is the figure its SQS scaling documentation starts from),
 * billed as SQS requests whether or not a message arrives.
 */
export const IDLE_SQS_POLLS_PER_MONTH = 5 * 3 * 60 * HOURS_PER_MONTH;
/** Bytes the sign-up lab stores per sign-up: the email record and the state record. */
export const SIGNUP_BYTES = 400;

export interface CostItem {
    item: string;
    /** What bills with no traffic, per month. */
    idleMonthly: number;
    /** What the assumed traffic adds, per month (negative for free-tier credits). */
    usageMonthly: number;
    detail: string;
}

export interface LabCost {
    lab: string;
    idleMonthly: number;
    usageMonthly: number;
    items: CostItem[];
}

export interface CostReport {
    stack: string;
    assumptions: Assumptions & {
        pricesTaken: string;
        source: string;
        /** The region the stack deploys to. */
        region: string;
        /** The region whose list prices the estimate uses (always us-east-1). */
        pricesRegion: typeof PRICES_REGION;
        /** Says when the stack's region is not the one priced. */
        pricesNote: string;
        /**
         * The look-ups (data sources) whose answers decided a price, as answered when the program ran: under mocks,
         * the mocks' stand-in for an account (its default subnets and their zones), which a real account may not match.
         */
        lookUps: string[];
        currency: "USD";
    };
    labs: LabCost[];
    total: { idleMonthly: number; usageMonthly: number };
}

const GB = 1024 ** 3;

/** Shares an account-wide monthly allowance between labs, first come first served. */
class Allowance {
    constructor(private left: number) {}
    take(amount: number): number {
        const taken = Math.min(this.left, Math.max(0, amount));
        this.left -= taken;
        return taken;
    }
}

/** What the estimate reads of a resource: the mocks runner's records, or the resources a policy pack sees. */
export type PricedResource = Pick<ProgramResource, "type" | "name" | "inputs" | "provider">;

export async function estimate(
    stack: string,
    region: string,
    resources: PricedResource[],
    a: Assumptions,
    lookUps: LookUp[] = [],
): Promise<CostReport> {
    const P = PRICES;
    const free = {
        lambdaRequests: new Allowance(a.freeTier ? P.lambda.freeRequests : 0),
        lambdaGbSeconds: new Allowance(a.freeTier ? P.lambda.freeGbSeconds : 0),
        apiRequests: new Allowance(a.freeTier ? P.apiGatewayHttp.freeRequests : 0),
        s3Gb: new Allowance(a.freeTier ? P.s3.freeGbMonth : 0),
        s3Gets: new Allowance(a.freeTier ? P.s3.freeGets : 0),
        s3Puts: new Allowance(a.freeTier ? P.s3.freePuts : 0),
        logsGb: new Allowance(a.freeTier ? P.cloudwatchLogs.freeGb : 0),
        traces: new Allowance(a.freeTier ? P.xray.freeTraces : 0),
        pollyStandard: new Allowance(a.freeTier ? P.polly.freeCharacters.standard : 0),
        pollyNeural: new Allowance(a.freeTier ? P.polly.freeCharacters.neural : 0),
        sqsRequests: new Allowance(a.freeTier ? P.sqs.freeRequests : 0),
        dynamodbGb: new Allowance(a.freeTier ? P.dynamodbOnDemand.freeGbMonth : 0),
        alarms: new Allowance(a.freeTier ? P.cloudwatchAlarm.freeAlarms : 0),
    };
    const byLab = new Map<string, PricedResource[]>();
    for (const r of resources) {
        const lab = labOf(r);
        if (lab) byLab.set(lab, [...(byLab.get(lab) ?? []), r]);
    }
    const requests = a.requestsPerMonth * (a.hours / HOURS_PER_MONTH);
    const uploads = a.uploadsPerMonth * (a.hours / HOURS_PER_MONTH);
    const signups = a.campaign ? a.campaign.signupsPerDay * a.campaign.days : requests;
    const statusCalls = signups * a.statusPollsPerSignup;

    const sizes = new Map<PricedResource, number>();
    for (const o of resources.filter((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2")) sizes.set(o, await objectBytes(o));

    const labs: LabCost[] = [...byLab.keys()].sort().map((lab) => {
        const rs = byLab.get(lab)!;
        const of = (type: string) => rs.filter((r) => r.type === type);
        const items: CostItem[] = [];
        const usage = (item: string, usageMonthly: number, detail: string) => items.push({ item, idleMonthly: 0, usageMonthly, detail });
        const idle = (item: string, idleMonthly: number, detail: string) => items.push({ item, idleMonthly, usageMonthly: 0, detail });
        // A free-tier credit offsets its charge in the same column (idle or usage), in every lab alike.
        const credit = (item: string, amount: number, detail: string, column: "idle" | "usage" = "usage") => {
            if (amount > 0)
                items.push({
                    item: `${item} (free tier)`,
                    idleMonthly: column === "idle" ? -amount : 0,
                    usageMonthly: column === "usage" ? -amount : 0,
                    detail,
                });
        };

        // Lambda: requests and GB-seconds; X-Ray traces when tracing is on; CloudWatch Logs ingestion.
        let logBytes = 0;
        for (const fn of of("aws:lambda/function:Function")) {
            const entry = /-(users|function|speech|factSkill|consumer|status)Function$/.exec(fn.name)?.[1];
            const kind =
                entry === "users"
                    ? "directory"
                    : entry === "function"
                      ? "hello"
                      : entry === "factSkill" || entry === "consumer" || entry === "status"
                        ? entry
                        : "speech";
            // The consumer is priced at one message per invocation: the most invocations; full batches need fewer.
            const invocations = kind === "speech" ? uploads : kind === "consumer" ? signups : kind === "status" ? statusCalls : requests;
            // Functions are auto-named (a random suffix per deployment): label them by their name in the program.
            const label = `Lambda ${fn.name.replace(/Function$/, "")}`;
            const seconds = (a.durationMs[kind] ?? 100) / 1000;
            const gbSeconds = invocations * seconds * (fn.inputs.memorySize / 1024);
            const arch = (fn.inputs.architectures?.[0] ?? "x86_64") as "arm64" | "x86_64";
            const requestCost = invocations * P.lambda.perRequest;
            const computeCost = gbSeconds * P.lambda.perGbSecond[arch];
            usage(
                label,
                requestCost + computeCost,
                `${fmt(invocations)} invocations × ${seconds * 1000} ms × ${fn.inputs.memorySize} MB ${arch}`,
            );
            credit(
                label,
                free.lambdaRequests.take(invocations) * P.lambda.perRequest +
                    free.lambdaGbSeconds.take(gbSeconds) * P.lambda.perGbSecond[arch],
                "1M requests and 400,000 GB-s a month, permanent",
            );
            if (fn.inputs.tracingConfig?.mode === "Active") {
                usage(`X-Ray traces ${fn.name.replace(/Function$/, "")}`, invocations * P.xray.perTrace, `${fmt(invocations)} traces`);
                credit(
                    `X-Ray traces ${fn.name.replace(/Function$/, "")}`,
                    free.traces.take(invocations) * P.xray.perTrace,
                    "100,000 traces a month, permanent",
                );
            }
            logBytes += invocations * a.logBytesPerRequest;
        }

        // API Gateway HTTP API: every route this lab owns.
        const routes = of("aws:apigatewayv2/route:Route");
        if (routes.length > 0) {
            // A sign-up is one POST and the page's status polls; every other route gets the assumed requests.
            const calls = lab === "signup" ? signups + statusCalls : requests * routes.length;
            usage(
                "API Gateway HTTP API",
                calls * P.apiGatewayHttp.perRequest,
                `${fmt(calls)} requests to ${routes.map((r) => r.inputs.routeKey).join(", ")}`,
            );
            credit("API Gateway HTTP API", free.apiRequests.take(calls) * P.apiGatewayHttp.perRequest, "1M calls a month, first 12 months");
            logBytes += calls * (a.logBytesPerRequest / 2);
        }

        // S3: stored objects (the seed and site files the stack uploads), and the requests the traffic makes.
        const objects = of("aws:s3/bucketObjectv2:BucketObjectv2");
        if (objects.length > 0) {
            const bytes = objects.reduce((sum, o) => sum + (sizes.get(o) ?? 0), 0);
            const gb = bytes / GB;
            idle("S3 storage", gb * P.s3.perGbMonth, `${fmt(bytes / 1024)} KB in ${objects.length} objects`);
            credit("S3 storage", free.s3Gb.take(gb) * P.s3.perGbMonth, "5 GB, first 12 months", "idle");
            const siteFiles = objects.filter((o) => /-website-/.test(o.name)).length;
            const pageLoads = lab === "directory" ? requests : lab === "signup" ? signups : 0;
            const gets = pageLoads * siteFiles + uploads;
            const puts = uploads * 2;
            const lists = lab === "directory" ? requests : 0;
            usage("S3 requests", gets * P.s3.perGet + (puts + lists) * P.s3.perPut, `${fmt(gets)} GET, ${fmt(puts + lists)} PUT/LIST`);
            credit(
                "S3 requests",
                free.s3Gets.take(gets) * P.s3.perGet + free.s3Puts.take(puts + lists) * P.s3.perPut,
                "20,000 GET and 2,000 PUT/LIST, first 12 months",
            );
        }

        // Polly: characters of the uploaded texts, at the configured engine.
        for (const fn of of("aws:lambda/function:Function").filter((f) => f.inputs.environment?.variables?.POLLY_ENGINE)) {
            const engine = fn.inputs.environment.variables.POLLY_ENGINE as "standard" | "neural";
            const characters = uploads * a.charactersPerUpload;
            usage(`Polly (${engine})`, characters * P.polly.perCharacter[engine], `${fmt(characters)} characters`);
            const pool = engine === "neural" ? free.pollyNeural : free.pollyStandard;
            credit(
                `Polly (${engine})`,
                pool.take(characters) * P.polly.perCharacter[engine],
                `${engine === "neural" ? "1M" : "5M"} characters a month, first 12 months`,
            );
        }

        // The container service: load balancer, tasks, public IPv4 addresses, image storage.
        for (const service of of("aws:ecs/service:Service")) {
            const task = of("aws:ecs/taskDefinition:TaskDefinition")[0];
            const arch = (task.inputs.runtimePlatform?.cpuArchitecture ?? "X86_64") as "ARM64" | "X86_64";
            const vcpu = Number(task.inputs.cpu) / 1024;
            const memoryGb = Number(task.inputs.memory) / 1024;
            const spot = service.inputs.capacityProviderStrategies?.[0]?.capacityProvider === "FARGATE_SPOT";
            const tasks = service.inputs.desiredCount ?? 1;
            const perTaskHour =
                (vcpu * P.fargate.perVcpuHour[arch] + memoryGb * P.fargate.perGbHour[arch]) * (spot ? 1 - P.fargate.spotDiscount : 1);
            const schedule = scheduleOf(of("aws:appautoscaling/scheduledAction:ScheduledAction"));
            // Tasks (and their public addresses) bill only while the stop/start schedule has them running.
            const taskHours = a.hours * (schedule ? schedule.hoursPerMonth / HOURS_PER_MONTH : 1);
            const scheduled = schedule
                ? ` (running ${fmt(schedule.hoursPerMonth)} of ${HOURS_PER_MONTH} h a month: stop ${schedule.stop}, start ${schedule.start})`
                : "";
            idle(
                `Fargate tasks (${arch}${spot ? ", Spot" : ""}${schedule ? `, scheduled ${fmt(schedule.hoursPerMonth)} h/month` : ""})`,
                tasks * perTaskHour * taskHours,
                `${tasks} × ${vcpu} vCPU / ${memoryGb} GB × ${round(taskHours)} h${spot ? ` at a ${P.fargate.spotDiscount * 100}% Spot discount` : ""}${scheduled}`,
            );
            for (const alb of of("aws:lb/loadBalancer:LoadBalancer")) {
                idle("Application Load Balancer", P.alb.perHour * a.hours, `${a.hours} h`);
                // Zero hours up: no traffic, no capacity units (and no division by zero).
                const gbPerHour = a.hours > 0 ? (requests * a.responseBytes) / GB / a.hours : 0;
                const newConnectionsPerSecond = a.hours > 0 ? requests / (a.hours * 3600) : 0;
                const lcus = Math.max(gbPerHour / 1, newConnectionsPerSecond / 25);
                usage("Load balancer capacity units", lcus * P.alb.perLcuHour * a.hours, `${lcus.toExponential(2)} LCU on average`);
                const albAddresses = Array.isArray(alb.inputs.subnets) ? alb.inputs.subnets.length : 2;
                const taskAddresses = service.inputs.networkConfiguration?.assignPublicIp ? tasks : 0;
                idle(
                    "Public IPv4 addresses",
                    (albAddresses * a.hours + taskAddresses * taskHours) * P.publicIpv4.perHour,
                    `${albAddresses} for the load balancer × ${a.hours} h + ${taskAddresses} for tasks × ${round(taskHours)} h`,
                );
            }
            // The image is an awsx component (no AWS provider of its own); only the web service builds one.
            if (resources.some((r) => r.type === "awsx:ecr:Image")) {
                idle("ECR image storage", (a.imageSizeMb / 1024) * P.ecr.perGbMonth, `${a.imageSizeMb} MB`);
            }
            logBytes += requests * (a.logBytesPerRequest / 4);
        }

        // SQS: the consumer's idle long polls, and per sign-up a send, a receive and a delete.
        const queues = of("aws:sqs/queue:Queue");
        if (queues.length > 0) {
            const polls = IDLE_SQS_POLLS_PER_MONTH * (a.hours / HOURS_PER_MONTH);
            idle(
                "SQS idle polling",
                polls * P.sqs.perRequest,
                `${fmt(polls)} long polls by the event source mapping (about 5 pollers × 20 s)`,
            );
            credit("SQS idle polling", free.sqsRequests.take(polls) * P.sqs.perRequest, "1M requests a month, permanent", "idle");
            const messages = signups * 3;
            usage("SQS requests", messages * P.sqs.perRequest, `${fmt(signups)} sign-ups × send, receive, delete`);
            credit("SQS requests", free.sqsRequests.take(messages) * P.sqs.perRequest, "1M requests a month, permanent");
        }

        // DynamoDB on demand: two writes per sign-up (email record, state record), one read per status call.
        for (const table of of("aws:dynamodb/table:Table").filter((t) => t.inputs.billingMode === "PAY_PER_REQUEST")) {
            const writes = signups * 2;
            usage(
                "DynamoDB on-demand requests",
                writes * P.dynamodbOnDemand.perWriteRequestUnit + statusCalls * P.dynamodbOnDemand.perReadRequestUnit,
                `${fmt(writes)} write and ${fmt(statusCalls)} read request units (${table.name})`,
            );
            const gb = (signups * SIGNUP_BYTES) / GB;
            usage(
                "DynamoDB storage",
                gb * P.dynamodbOnDemand.perGbMonth,
                `${fmt((signups * SIGNUP_BYTES) / 1024)} KB for ${fmt(signups)} sign-ups`,
            );
            credit("DynamoDB storage", free.dynamodbGb.take(gb) * P.dynamodbOnDemand.perGbMonth, "25 GB, permanent");
        }

        // CloudWatch metric alarms bill per month whether or not they fire.
        const alarms = of("aws:cloudwatch/metricAlarm:MetricAlarm");
        if (alarms.length > 0) {
            idle("CloudWatch alarms", alarms.length * P.cloudwatchAlarm.perAlarmMonth, `${alarms.length} standard-resolution alarm(s)`);
            credit(
                "CloudWatch alarms",
                free.alarms.take(alarms.length) * P.cloudwatchAlarm.perAlarmMonth,
                "10 alarms a month, permanent",
                "idle",
            );
        }

        if (logBytes > 0) {
            const gb = logBytes / GB;
            usage("CloudWatch Logs", gb * P.cloudwatchLogs.perGbIngested, `${fmt(logBytes / 1024)} KB ingested`);
            credit("CloudWatch Logs", free.logsGb.take(gb) * P.cloudwatchLogs.perGbIngested, "5 GB a month, permanent");
        }

        return {
            lab,
            idleMonthly: round(items.reduce((s, i) => s + i.idleMonthly, 0)),
            usageMonthly: round(items.reduce((s, i) => s + i.usageMonthly, 0)),
            items: items.map((i) => ({ ...i, idleMonthly: round(i.idleMonthly), usageMonthly: round(i.usageMonthly) })),
        };
    });

    return {
        stack,
        assumptions: {
            ...a,
            pricesTaken: PRICES_TAKEN,
            source: PRICES_SOURCE,
            region,
            pricesRegion: PRICES_REGION,
            pricesNote: pricesNote(region),
            lookUps: priceDecidingLookUps(resources, lookUps),
            currency: "USD",
        },
        labs,
        total: {
            idleMonthly: round(labs.reduce((s, l) => s + l.idleMonthly, 0)),
            usageMonthly: round(labs.reduce((s, l) => s + l.usageMonthly, 0)),
        },
    };
}

/** What the estimate's prices are worth in `region`: they are us-east-1 list prices wherever the stack runs. */
export function pricesNote(region: string): string {
    return region === PRICES_REGION
        ? `${PRICES_REGION} list prices`
        : `${PRICES_REGION} list prices, not ${region}'s: prices in ${region} may differ`;
}

const GET_SUBNETS = "aws:ec2/getSubnets:getSubnets";
const GET_SUBNET = "aws:ec2/getSubnet:getSubnet";

/**
 * The look-ups a price was built on, in words: the default subnets (the load balancer holds a billed public IPv4
 * address in each subnet it sits in) and their zones (which the program chooses two distinct ones from). Empty when
 * nothing priced depends on a look-up.
 */
export function priceDecidingLookUps(resources: PricedResource[], lookUps: LookUp[]): string[] {
    const albs = resources.filter((r) => r.type === "aws:lb/loadBalancer:LoadBalancer");
    if (albs.length === 0) return [];
    const sentences: string[] = [];
    const listed = lookUps.filter((l) => l.token === GET_SUBNETS).flatMap((l) => (l.answer.ids ?? []) as string[]);
    const zones = new Map(
        lookUps.filter((l) => l.token === GET_SUBNET).map((l) => [String(l.inputs.id), String(l.answer.availabilityZone)]),
    );
    const passed = [...new Set(albs.flatMap((r) => (Array.isArray(r.inputs.subnets) ? (r.inputs.subnets as string[]) : [])))];
    const where = (id: string) => (zones.has(id) ? `${id} (${zones.get(id)})` : id);
    if (listed.length > 0) {
        sentences.push(
            `subnets: the default VPC's default subnets were taken to be ${listed.map(where).join(", ")} (${GET_SUBNETS}); ` +
                `the load balancer's public IPv4 addresses are priced for the ${passed.length} the program passed it: ${passed.join(", ")}`,
        );
    } else if (zones.size > 0) {
        sentences.push(
            `zones: the configured subnets were taken to be in ${passed.map(where).join(", ")} (${GET_SUBNET}); the load balancer's public IPv4 addresses are priced for these ${passed.length}`,
        );
    }
    return sentences;
}

/** Where a mocked look-up decided a price, the lines a report prints (`npm run cost`, `npm run policy`). */
export function lookUpLines(lookUps: string[]): string[] {
    return lookUps.length === 0
        ? []
        : ["Mocked look-ups that decided a price (a real account may answer otherwise):", ...lookUps.map((l) => `  - ${l}`)];
}

/** The web service's stop/start scheduled actions (stop sets max to 0), and the hours a month they leave it running. */
function scheduleOf(actions: PricedResource[]): { stop: string; start: string; hoursPerMonth: number } | undefined {
    const stop = actions.find((s) => s.inputs.scalableTargetAction?.maxCapacity === 0)?.inputs.schedule as string | undefined;
    const start = actions.find((s) => s.inputs.scalableTargetAction?.maxCapacity > 0)?.inputs.schedule as string | undefined;
    if (!stop || !start) return undefined;
    return { stop, start, hoursPerMonth: runningHoursPerMonth(parseCron(stop), parseCron(start)) };
}

/** Bytes of an object the stack uploads: its file's size, or its inline content's. */
async function objectBytes(o: PricedResource): Promise<number> {
    const source = o.inputs.source as { path?: string | Promise<string> } | undefined;
    const file = await source?.path;
    if (file && fs.existsSync(file)) return fs.statSync(file).size;
    return Buffer.byteLength(String(o.inputs.content ?? ""));
}

/** Dollars to a millionth, kept as numbers; tables print whole cents. */
function round(value: number): number {
    const rounded = Math.round(value * 1e6) / 1e6;
    return rounded === 0 ? 0 : rounded; // no -0
}

function fmt(n: number): string {
    return Math.round(n).toLocaleString("en-US");
}
