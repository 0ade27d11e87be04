/**
 * AWS list prices, us-east-1, in US dollars. Taken 2026-11-28 from shared/reference/aws-prices.md (gathered
 * 2026-11 from the AWS pricing pages); check against the AWS Price List API before quoting a figure.
 */
export const PRICES_TAKEN = "2026-11-28";
/** The region every price below is for; stacks in other regions are priced as if they ran here. */
export const PRICES_REGION = "us-east-1";
export const PRICES_SOURCE = "AWS pricing pages, us-east-1 list prices (via shared/reference/aws-prices.md, 2026-11)";
export const HOURS_PER_MONTH = 730;

export const PRICES = {
    lambda: {
        perRequest: 0.2 / 1e6,
        perGbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 },
        /** Monthly, permanent. */
        freeRequests: 1e6,
        freeGbSeconds: 400_000,
    },
    apiGatewayHttp: { perRequest: 1.0 / 1e6, /** First 12 months only. */ freeRequests: 1e6 },
    s3: {
        perGbMonth: 0.023,
        perPut: 0.005 / 1000,
        perGet: 0.0004 / 1000,
        /** First 12 months only. */
        freeGbMonth: 5,
        freeGets: 20_000,
        freePuts: 2_000,
    },
    fargate: {
        perVcpuHour: { X86_64: 0.04048, ARM64: 0.03238 },
        perGbHour: { X86_64: 0.004445, ARM64: 0.00356 },
        /** Fargate Spot's discount varies; this estimate uses 70 %. */
        spotDiscount: 0.7,
    },
    alb: { perHour: 0.0225, perLcuHour: 0.008 },
    publicIpv4: { perHour: 0.005 },
    ecr: { perGbMonth: 0.1 },
    polly: {
        perCharacter: { standard: 4.0 / 1e6, neural: 16.0 / 1e6 },
        /** First 12 months only. */
        freeCharacters: { standard: 5e6, neural: 1e6 },
    },
    cloudwatchLogs: { perGbIngested: 0.5, perGbMonthStored: 0.03, /** Permanent. */ freeGb: 5 },
    xray: { perTrace: 5.0 / 1e6, /** Permanent. */ freeTraces: 100_000 },
} as const;
