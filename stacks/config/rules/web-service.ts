/**
 * The container lab's rules: Fargate's cpu/memory pairs, min <= desired <= max, a minimum of 1 with a schedule,
 * networking, HTTPS. The config reader reports them at preview, and `new WebService(...)` checks its settings with
 * the same sentences (webServiceProblems).
 */
import { CronError, parseCron } from "../../cron";
import { describe, wholeNumberProblem, type RawReader } from "../reader";
import { BUILT_IMAGE_PORT, FARGATE_ARCHITECTURES, FARGATE_MEMORY, HOST_NAME, type WebServiceConfig } from "../schema";

/** The stop/start pair: both or neither, each a cron(...) expression Application Auto Scaling takes. */
function readSchedule(r: RawReader, problems: string[]): WebServiceConfig["schedule"] {
    const stop = r.string("webStopSchedule");
    const start = r.string("webStartSchedule");
    for (const [key, value] of [
        ["webStopSchedule", stop],
        ["webStartSchedule", start],
    ] as const) {
        if (!value) continue;
        try {
            parseCron(value);
        } catch (error) {
            if (!(error instanceof CronError)) throw error;
            problems.push(describe(key, value, error.message));
        }
    }
    if (Boolean(stop) !== Boolean(start)) {
        problems.push(
            describe(
                stop ? "webStartSchedule" : "webStopSchedule",
                "",
                "webStopSchedule and webStartSchedule go together: set both, or neither",
            ),
        );
    } else if (stop && stop === start) {
        problems.push(describe("webStartSchedule", start, "must differ from webStopSchedule"));
    }
    return stop && start ? { stop, start } : undefined;
}

export function readWebConfig(r: RawReader, problems: string[]): WebServiceConfig {
    const image = r.string("webImage") || undefined;
    if (image && !isImageReference(image)) {
        problems.push(
            describe(
                "webImage",
                image,
                "must be an image reference like httpd:2.4 or public.ecr.aws/docker/library/httpd:2.4 (registry/name:tag or @sha256:digest, name in lower case)",
            ),
        );
    }
    const architecture = r.oneOf("webArchitecture", FARGATE_ARCHITECTURES);
    const cpu = r.integer("webCpu");
    const memoryMb = r.integer("webMemoryMb");
    const desiredCount = r.integer("webDesiredCount");
    const minCount = r.integer("webMinCount");
    const maxCount = r.integer("webMaxCount");
    const cpuTargetPercent = r.integer("webCpuTargetPercent");
    const containerPort = r.integer("webContainerPort");
    const healthCheckPath = r.string("webHealthCheckPath");
    if (!/^\/[\w./-]*$/.test(healthCheckPath))
        problems.push(describe("webHealthCheckPath", healthCheckPath, "must be a path starting with /"));
    const certificateArn = r.string("webCertificateArn") || undefined;
    if (certificateArn && !/^arn:aws[\w-]*:acm:[\w-]+:\d{12}:certificate\/[\w-]+$/.test(certificateArn)) {
        problems.push(
            describe(
                "webCertificateArn",
                certificateArn,
                "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
            ),
        );
    }
    const domainName = r.string("webDomainName") || undefined;
    if (domainName && !HOST_NAME.test(domainName)) {
        problems.push(describe("webDomainName", domainName, "must be a host name like web.example.com (no scheme, port or path)"));
    }
    const vpcId = r.string("webVpcId") || undefined;
    const subnetIds = r.array("webSubnetIds");
    if (vpcId && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId))
        problems.push(describe("webVpcId", vpcId, "must be a VPC id like vpc-0123456789abcdef0"));
    for (const id of subnetIds) {
        if (!/^subnet-[0-9a-f]{8,17}$/.test(id))
            problems.push(describe("webSubnetIds", id, "each entry must be a subnet id like subnet-0123456789abcdef0"));
    }
    const keepImages = r.integer("webKeepImages");
    const web: WebServiceConfig = {
        image,
        architecture,
        cpu,
        memoryMb,
        desiredCount,
        minCount,
        maxCount,
        cpuTargetPercent,
        containerPort,
        healthCheckPath,
        spot: r.boolean("webSpot"),
        containerInsights: r.boolean("webContainerInsights"),
        certificateArn,
        domainName,
        vpcId,
        subnetIds,
        keepImages,
        schedule: readSchedule(r, problems),
    };
    // Ranges were reported by the reader with the value as written; the one-per-key rule drops the repeats.
    problems.push(...webServiceProblems(web));
    return web;
}

/** Every problem of these settings, one sentence each, naming the config key; empty when they are usable. */
export function webServiceProblems(s: WebServiceConfig): string[] {
    const problems: string[] = [];
    const range = (key: Parameters<typeof wholeNumberProblem>[0], value: number) => {
        const problem = wholeNumberProblem(key, value);
        if (problem) problems.push(problem);
        return !problem;
    };
    const allowed = FARGATE_MEMORY[s.cpu];
    if (!allowed) {
        problems.push(describe("webCpu", s.cpu, `must be one of ${Object.keys(FARGATE_MEMORY).join(", ")} (Fargate's CPU units)`));
    } else if (!allowed.includes(s.memoryMb)) {
        problems.push(
            describe(
                "webMemoryMb",
                s.memoryMb,
                `is not a Fargate size for webCpu = ${s.cpu}; allowed: ${allowed[0]} to ${allowed[allowed.length - 1]} in steps of ${allowed[1] - allowed[0]}`,
            ),
        );
    }
    const counts = [range("webMinCount", s.minCount), range("webMaxCount", s.maxCount), range("webDesiredCount", s.desiredCount)];
    if (counts.every(Boolean)) {
        if (s.minCount > s.maxCount)
            problems.push(describe("webMinCount", s.minCount, `must not exceed cloud-labs:webMaxCount = ${s.maxCount}`));
        else if (s.desiredCount < s.minCount || s.desiredCount > s.maxCount) {
            problems.push(
                describe(
                    "webDesiredCount",
                    s.desiredCount,
                    `must lie between cloud-labs:webMinCount = ${s.minCount} and cloud-labs:webMaxCount = ${s.maxCount}`,
                ),
            );
        }
        if (s.schedule && s.minCount < 1) {
            // At the start time Application Auto Scaling raises the count only to the new minimum, and target tracking
            // has no CPU metric from zero tasks: with a minimum of 0 the service would never start again.
            problems.push(
                describe(
                    "webMinCount",
                    s.minCount,
                    "must be at least 1 with cloud-labs:webStartSchedule: at the start time the service scales out only to webMinCount, and with 0 tasks there is no CPU metric to scale on, so it would never start again",
                ),
            );
        }
    }
    range("webCpuTargetPercent", s.cpuTargetPercent);
    if (range("webContainerPort", s.containerPort) && !s.image && s.containerPort !== BUILT_IMAGE_PORT) {
        problems.push(
            describe(
                "webContainerPort",
                s.containerPort,
                `must be ${BUILT_IMAGE_PORT} for the image built from containers/httpd; set cloud-labs:webImage to run another image on another port`,
            ),
        );
    }
    range("webKeepImages", s.keepImages);
    if (s.certificateArn && !s.domainName) {
        problems.push(
            describe(
                "webDomainName",
                "",
                "is required with cloud-labs:webCertificateArn: the host name the certificate covers, which you point at the load balancer (the load balancer's own name is not on the certificate)",
            ),
        );
    } else if (s.domainName && !s.certificateArn) {
        problems.push(
            describe(
                "webDomainName",
                s.domainName,
                "needs cloud-labs:webCertificateArn, a certificate for this name; without one the service is plain HTTP on the load balancer's name",
            ),
        );
    }
    if (Boolean(s.vpcId) !== s.subnetIds.length > 0) {
        problems.push(
            describe(
                s.vpcId ? "webSubnetIds" : "webVpcId",
                s.vpcId ? "[]" : "",
                "webVpcId and webSubnetIds go together: set both, or neither for the default VPC",
            ),
        );
    } else if (s.vpcId && s.subnetIds.length < 2) {
        problems.push(
            describe(
                "webSubnetIds",
                JSON.stringify(s.subnetIds),
                "an Application Load Balancer needs subnets in at least two availability zones",
            ),
        );
    }
    return problems;
}

/**
 * A container image reference as Docker and ECS read it: `[registry[:port]/]path[:tag][@digest]`, the path in lower
 * case (github.com/distribution/reference's grammar).
 */
export function isImageReference(ref: string): boolean {
    const match = /^([^@]+?)(?::([\w][\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$/.exec(
        ref,
    );
    if (!match || match[1].length > 255) return false;
    const parts = match[1].split("/");
    const first = parts[0];
    const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
    if (
        hasRegistry &&
        !/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/.test(first)
    )
        return false;
    const path = hasRegistry ? parts.slice(1) : parts;
    return path.length > 0 && path.every((component) => /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(component));
}
