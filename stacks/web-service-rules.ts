/**
 * The rules the web service's settings keep together, in one place: the config reader reports them at preview and
 * `new WebService(...)` checks them again for a caller that builds the settings in code, with the same message
 * (each problem names the config key that sets the value, as CDK's ValidationError and SST's normalizeMemory do).
 */
import { BUILT_IMAGE_PORT, describe, FARGATE_MEMORY, type WebServiceConfig } from "./config";

/** Every problem of these settings, one sentence each, naming the config key; empty when they are usable. */
export function webServiceProblems(s: WebServiceConfig): string[] {
    const problems: string[] = [];
    const whole = (key: string, value: number, min: number, max: number) => {
        if (!Number.isInteger(value) || value < min || value > max) problems.push(describe(key, value, `must be a whole number from ${min} to ${max}`));
        return Number.isInteger(value) && value >= min && value <= max;
    };
    const allowed = FARGATE_MEMORY[s.cpu];
    if (!allowed) {
        problems.push(describe("webCpu", s.cpu, `must be one of ${Object.keys(FARGATE_MEMORY).join(", ")} (Fargate's CPU units)`));
    } else if (!allowed.includes(s.memoryMb)) {
        problems.push(
            describe("webMemoryMb", s.memoryMb, `is not a Fargate size for webCpu = ${s.cpu}; allowed: ${allowed[0]} to ${allowed[allowed.length - 1]} in steps of ${allowed[1] - allowed[0]}`),
        );
    }
    const counts = [whole("webMinCount", s.minCount, 0, 100), whole("webMaxCount", s.maxCount, 1, 100), whole("webDesiredCount", s.desiredCount, 0, 100)];
    if (counts.every(Boolean)) {
        if (s.minCount > s.maxCount) problems.push(describe("webMinCount", s.minCount, `must not exceed cloud-labs:webMaxCount = ${s.maxCount}`));
        else if (s.desiredCount < s.minCount || s.desiredCount > s.maxCount) {
            problems.push(describe("webDesiredCount", s.desiredCount, `must lie between cloud-labs:webMinCount = ${s.minCount} and cloud-labs:webMaxCount = ${s.maxCount}`));
        }
        if (s.schedule && s.minCount < 1) {
            // At the start time Application Auto Scaling raises the count only to the new minimum, and target tracking
            // has no CPU metric from zero tasks: with a minimum of 0 the service would never start again.
            problems.push(
                describe("webMinCount", s.minCount, "must be at least 1 with cloud-labs:webStartSchedule: at the start time the service scales out only to webMinCount, and with 0 tasks there is no CPU metric to scale on, so it would never start again"),
            );
        }
    }
    whole("webCpuTargetPercent", s.cpuTargetPercent, 10, 90);
    if (whole("webContainerPort", s.containerPort, 1, 65535) && !s.image && s.containerPort !== BUILT_IMAGE_PORT) {
        problems.push(
            describe("webContainerPort", s.containerPort, `must be ${BUILT_IMAGE_PORT} for the image built from containers/httpd; set cloud-labs:webImage to run another image on another port`),
        );
    }
    whole("webKeepImages", s.keepImages, 1, 1000);
    if (s.certificateArn && !s.domainName) {
        problems.push(describe("webDomainName", "", "is required with cloud-labs:webCertificateArn: the host name the certificate covers, which you point at the load balancer (the load balancer's own name is not on the certificate)"));
    } else if (s.domainName && !s.certificateArn) {
        problems.push(describe("webDomainName", s.domainName, "needs cloud-labs:webCertificateArn, a certificate for this name; without one the service is plain HTTP on the load balancer's name"));
    }
    if (Boolean(s.vpcId) !== s.subnetIds.length > 0) {
        problems.push(describe(s.vpcId ? "webSubnetIds" : "webVpcId", s.vpcId ? "[]" : "", "webVpcId and webSubnetIds go together: set both, or neither for the default VPC"));
    } else if (s.vpcId && s.subnetIds.length < 2) {
        problems.push(describe("webSubnetIds", JSON.stringify(s.subnetIds), "an Application Load Balancer needs subnets in at least two availability zones"));
    }
    return problems;
}
