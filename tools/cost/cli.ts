/**
 * `npm run cost -- --stack NAME [--requests-per-month N] [--hours H] [--uploads-per-month N]
 *  [--signups-per-day N --campaign-days D] [--no-free-tier] [--json]`
 * Runs the program under mocks with that stack's config and prices what it would create.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseOrExit, splitFlagValues, UsageError } from "../../shared/cli";
import { ROOT, runProgram, shippedStacks, stackConfig } from "../../shared/resource-graph";
import { DEFAULT_ASSUMPTIONS, estimate, lookUpLines, type Assumptions, type CostReport } from "../../shared/pricing/estimate";
import { PRICES_TAKEN } from "../../shared/pricing/prices";

const USAGE = `Usage: npm run cost -- --stack NAME [--requests-per-month N] [--hours H] [--uploads-per-month N]
       [--signups-per-day N --campaign-days D] [--no-free-tier] [--json]

  --stack NAME              a stack with a Pulumi.NAME.yaml (${shippedStacks().join(", ")})
  --requests-per-month N    requests to each HTTP route and to the web service (default ${DEFAULT_ASSUMPTIONS.requestsPerMonth})
  --hours H                 hours a month the stack is up (default ${DEFAULT_ASSUMPTIONS.hours}, a whole month)
  --uploads-per-month N     texts uploaded to the audio lab (default ${DEFAULT_ASSUMPTIONS.uploadsPerMonth})
  --signups-per-day N       the sign-up lab's campaign: N sign-ups a day (with --campaign-days)
  --campaign-days D         for D days (1 to 31), all in the month priced (default: no campaign,
                            the lab gets --requests-per-month sign-ups)
  --no-free-tier            price as an account past its free tiers
  --json                    print the report as JSON`;

const VALUED_FLAGS = ["--stack", "--requests-per-month", "--hours", "--uploads-per-month", "--signups-per-day", "--campaign-days"] as const;

export function parseArgs(rawArgv: string[]): { stack: string; json: boolean; assumptions: Assumptions } {
    const argv = splitFlagValues(rawArgv, VALUED_FLAGS);
    const assumptions: Assumptions = { ...DEFAULT_ASSUMPTIONS, durationMs: { ...DEFAULT_ASSUMPTIONS.durationMs } };
    let stack: string | undefined;
    let json = false;
    let signupsPerDay: number | undefined;
    let campaignDays: number | undefined;
    const number = (flag: string, value: string | undefined, max: number) => {
        const n = Number(value);
        if (value === undefined || value.trim() === "" || !Number.isFinite(n) || n < 0 || n > max) {
            throw new UsageError(`${flag} needs a number from 0 to ${max.toLocaleString("en-US")}; received ${JSON.stringify(value ?? "")}`);
        }
        return n;
    };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        switch (flag) {
            case "--stack": stack = argv[++i]; break;
            case "--requests-per-month": assumptions.requestsPerMonth = number(flag, argv[++i], 1e12); break;
            case "--hours": assumptions.hours = number(flag, argv[++i], 744); break;
            case "--uploads-per-month": assumptions.uploadsPerMonth = number(flag, argv[++i], 1e9); break;
            case "--signups-per-day": signupsPerDay = number(flag, argv[++i], 1e9); break;
            case "--campaign-days": campaignDays = number(flag, argv[++i], 31); break;
            case "--no-free-tier": assumptions.freeTier = false; break;
            case "--json": json = true; break;
            default: throw new UsageError(`unknown option ${flag}`);
        }
    }
    if (!stack) throw new UsageError("--stack is required");
    if ((signupsPerDay === undefined) !== (campaignDays === undefined)) {
        throw new UsageError("--signups-per-day and --campaign-days go together: give both, or neither");
    }
    if (campaignDays !== undefined && (!Number.isInteger(campaignDays) || campaignDays < 1)) {
        throw new UsageError(`--campaign-days needs a whole number of days from 1 to 31; received ${JSON.stringify(String(campaignDays))}`);
    }
    if (signupsPerDay !== undefined && campaignDays !== undefined) assumptions.campaign = { signupsPerDay, days: campaignDays };
    if (!fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`))) {
        throw new UsageError(`unknown stack ${JSON.stringify(stack)}: there is no Pulumi.${stack}.yaml (stacks: ${shippedStacks().join(", ")})`);
    }
    return { stack, json, assumptions };
}

export async function costReport(stack: string, assumptions: Assumptions): Promise<CostReport> {
    const run = await runProgram(stack);
    return estimate(stack, stackConfig(stack)["aws:region"] ?? "us-east-1", run.resources, assumptions, run.lookUps);
}

/** Whole cents; a credit shows as -$0.01, and float dust as $0.00. */
const usd = (n: number) => (Math.round(n * 100) === 0 ? "$0.00" : `${n < 0 ? "-" : ""}$${Math.abs(n).toFixed(2)}`);

export function formatReport(report: CostReport): string {
    const a = report.assumptions;
    const lines = [
        a.region === a.pricesRegion
            ? `Cost estimate for stack ${report.stack} (${a.region}, USD per month, list prices taken ${PRICES_TAKEN})`
            : `Cost estimate for stack ${report.stack} (${a.region}, USD per month, ${a.pricesNote}; taken ${PRICES_TAKEN})`,
        `Usage: ${a.requestsPerMonth.toLocaleString("en-US")} requests/month per route, ${a.uploadsPerMonth} uploads of ${a.charactersPerUpload} characters, ${a.hours} h up${a.freeTier ? ", free tiers counted" : ", no free tier"}`,
        ...(a.campaign
            ? [`Sign-up campaign: ${a.campaign.signupsPerDay.toLocaleString("en-US")} sign-ups a day for ${a.campaign.days} days, ${a.statusPollsPerSignup} status polls each`]
            : []),
        ...lookUpLines(a.lookUps),
        "",
    ];
    const width = Math.max(40, ...report.labs.flatMap((l) => l.items.map((i) => i.item.length + 2)));
    for (const lab of report.labs) {
        lines.push(`${lab.lab}`.padEnd(width) + "idle".padStart(10) + "usage".padStart(10));
        for (const item of lab.items) lines.push(`  ${item.item}`.padEnd(width) + usd(item.idleMonthly).padStart(10) + usd(item.usageMonthly).padStart(10));
        lines.push(`  total ${lab.lab}`.padEnd(width) + usd(lab.idleMonthly).padStart(10) + usd(lab.usageMonthly).padStart(10), "");
    }
    lines.push("TOTAL".padEnd(width) + usd(report.total.idleMonthly).padStart(10) + usd(report.total.usageMonthly).padStart(10));
    lines.push(`Idle + usage: ${usd(report.total.idleMonthly + report.total.usageMonthly)} a month.`);
    return lines.join("\n");
}

if (require.main === module) {
    (async () => {
        const args = parseOrExit(parseArgs, USAGE);
        const report = await costReport(args.stack, args.assumptions);
        console.log(args.json ? JSON.stringify(report, null, 2) : formatReport(report));
    })().catch((error) => {
        console.error(`cost: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(2);
    });
}
