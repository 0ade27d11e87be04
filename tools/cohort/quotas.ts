/**
 * A cohort multiplies everything: before `up`, what the cohort will create is compared with the account limits
 * it could hit, read with the Service Quotas API where it has them and taken from AWS's documentation otherwise.
 */
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";

/** A limit the cohort could reach, and how much of it one environment takes. */
export interface Limit {
    name: string;
    /** "per Region" or "per account". */
    scope: "region" | "account";
    /** Service Quotas codes, when the service publishes the limit there. */
    serviceCode?: string;
    quotaCode?: string;
    /** AWS's documented default. */
    documentedDefault: number;
    /** Where the default is documented. */
    documentedAt: string;
    /** What one environment needs of it, from the resources the program registers (type → count). */
    need(types: Record<string, number>): number;
    /** What the need is, for the message: "1 HTTP API per environment". */
    unit: string;
}

const count = (types: Record<string, number>, ...names: string[]) => names.reduce((n, t) => n + (types[t] ?? 0), 0);

export const LIMITS: Limit[] = [
    {
        name: "API Gateway APIs per Region",
        scope: "region",
        documentedDefault: 600,
        documentedAt:
            "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html (Regional APIs per Region; not in Service Quotas, cannot be raised)",
        need: (t) => count(t, "aws:apigatewayv2/api:Api"),
        unit: "HTTP API",
    },
    {
        name: "Lambda concurrent executions (shared by every function in the Region)",
        scope: "region",
        serviceCode: "lambda",
        quotaCode: "L-B99A9384",
        documentedDefault: 1000,
        documentedAt: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (new accounts start lower)",
        // One request in flight per function of every environment: the whole class clicking at once.
        need: (t) => count(t, "aws:lambda/function:Function"),
        unit: "function (one request in flight each)",
    },
    {
        name: "Application Load Balancers per Region",
        scope: "region",
        serviceCode: "elasticloadbalancing",
        quotaCode: "L-53DA6B97",
        documentedDefault: 50,
        documentedAt: "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html",
        need: (t) => count(t, "aws:lb/loadBalancer:LoadBalancer"),
        unit: "load balancer",
    },
    {
        name: "S3 general purpose buckets per account",
        scope: "account",
        serviceCode: "s3",
        quotaCode: "L-DC2B2D3D",
        documentedDefault: 10_000,
        documentedAt: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/BucketRestrictions.html",
        need: (t) => count(t, "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"),
        unit: "bucket",
    },
];

/** A limit's value in this account, and where it was read. */
export interface QuotaValue {
    value: number;
    source: string;
}

/** Reads a limit: the Service Quotas API in the CLI, a table in tests. */
export type QuotaReader = (limit: Limit, region: string) => Promise<QuotaValue>;

/** The Service Quotas API: the applied value, else AWS's default there, else the documented default (and why). */
export function serviceQuotasReader(client: (region: string) => ServiceQuotasClient): QuotaReader {
    return async (limit, region) => {
        const documented = (why: string): QuotaValue => ({ value: limit.documentedDefault, source: `documented default (${why})` });
        if (!limit.serviceCode || !limit.quotaCode) return documented("not in Service Quotas");
        const c = client(limit.scope === "account" ? "us-east-1" : region);
        const ids = { ServiceCode: limit.serviceCode, QuotaCode: limit.quotaCode };
        try {
            const applied = await c.send(new GetServiceQuotaCommand(ids));
            if (applied.Quota?.Value !== undefined)
                return { value: applied.Quota.Value, source: `Service Quotas ${limit.serviceCode}/${limit.quotaCode}` };
        } catch (error) {
            if ((error as Error).name !== "NoSuchResourceException") return documented(`Service Quotas: ${(error as Error).name}`);
        }
        try {
            const aws = await c.send(new GetAWSDefaultServiceQuotaCommand(ids));
            if (aws.Quota?.Value !== undefined)
                return { value: aws.Quota.Value, source: `Service Quotas default ${limit.serviceCode}/${limit.quotaCode}` };
        } catch (error) {
            return documented(`Service Quotas: ${(error as Error).name}`);
        }
        return documented("Service Quotas gave no value");
    };
}

export interface QuotaCheck {
    limit: Limit;
    need: number;
    environments: number;
    /** What one environment needs, when every environment needs the same. */
    perEnvironment?: number;
    quota: QuotaValue;
    ok: boolean;
}

/**
 * Compares the cohort's need with each limit it touches (limits it needs none of are left out). `perEnvironment`
 * holds each environment's resource counts by type, as the program registers them under mocks.
 */
export async function checkQuotas(perEnvironment: Record<string, number>[], region: string, read: QuotaReader): Promise<QuotaCheck[]> {
    const checks: QuotaCheck[] = [];
    for (const limit of LIMITS) {
        const needs = perEnvironment.map((types) => limit.need(types));
        const need = needs.reduce((a, b) => a + b, 0);
        if (need === 0) continue;
        const quota = await read(limit, region);
        const same = needs.every((n) => n === needs[0]);
        checks.push({
            limit,
            need,
            environments: needs.length,
            perEnvironment: same ? needs[0] : undefined,
            quota,
            ok: need <= quota.value,
        });
    }
    return checks;
}

/** The refusal: the limit, the need, and how to raise it. */
export function refusal(check: QuotaCheck, region: string): string {
    const where = check.limit.scope === "region" ? ` in ${region}` : "";
    const raise = check.limit.serviceCode
        ? `raise it in the Service Quotas console (service ${check.limit.serviceCode}, quota ${check.limit.quotaCode}) or with \`aws service-quotas request-service-quota-increase --service-code ${check.limit.serviceCode} --quota-code ${check.limit.quotaCode} --desired-value ${check.need}${check.limit.scope === "region" ? ` --region ${region}` : ""}\`, or run a smaller cohort`
        : `it cannot be raised: run a smaller cohort, or split it across Regions`;
    return `${check.limit.name}${where}: the cohort needs ${check.need} (${check.perEnvironment === undefined ? `${check.environments} environments, ${check.limit.unit}s as each one's config asks` : `${check.environments} environments × ${check.perEnvironment} ${check.limit.unit}`}), the account allows ${check.quota.value} (${check.quota.source}); ${raise}.`;
}
