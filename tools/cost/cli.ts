/**
 * `npm run cost -- --stack NAME [--requests-per-month N] [--hours H] [--uploads-per-month N]
 *  [--signups-per-day N --campaign-days D] [--no-free-tier] [--json]`
 * Runs the program under mocks with that stack's config and prices what it would create.
 */
import { EXIT, numberFlag, parseCommandLine, runMain, UsageError, type CliIo } from "../../shared/cli";
import { runProgram, shippedStacks, stackConfig } from "../../shared/resource-graph";
import { shippedStackFlag } from "../../shared/stack-files";
import { DEFAULT_ASSUMPTIONS, estimate, lookUpLines, type Assumptions, type CostReport } from "../../shared/pricing/estimate";
import { PRICES_TAKEN } from "../../shared/pricing/prices";

export const USAGE = `Usage: npm run cost -- --stack NAME [--requests-per-month N] [--hours H] [--uploads-per-month N]
       [--signups-per-day N --campaign-days D] [--no-free-tier] [--json]

  --stack NAME              a stack with a Pulumi.NAME.yaml (${shippedStacks().join(", ")})
  --requests-per-month N    requests to each HTTP route and to the web service (default ${DEFAULT_ASSUMPTIONS.requestsPerMonth})
  --hours H                 hours a month the stack is up (default ${DEFAULT_ASSUMPTIONS.hours}, a whole month)
  --uploads-per-month N     texts uploaded to the audio lab (default ${DEFAULT_ASSUMPTIONS.uploadsPerMonth})
  --signups-per-day N       the sign-up lab's campaign: N sign-ups a day (with --campaign-days)
  --campaign-days D         for D days (1 to 31), all in the month priced (default: no campaign,
                            the lab gets --requests-per-month sign-ups)
  --no-free-tier            price as an account past its free tiers
  --json                    print the report as JSON
  --help                    show this`;

const OPTIONS = {
    stack: { type: "string" },
    "requests-per-month": { type: "string" },
    hours: { type: "string" },
    "uploads-per-month": { type: "string" },
    "signups-per-day": { type: "string" },
    "campaign-days": { type: "string" },
    "no-free-tier": { type: "boolean" },
    json: { type: "boolean" },
} as const;

/** The command line, checked; throws UsageError. */
export function parseArgs(argv: string[]): { stack: string; json: boolean; assumptions: Assumptions; help: boolean } {
    const { values } = parseCommandLine(argv, OPTIONS);
    const assumptions: Assumptions = { ...DEFAULT_ASSUMPTIONS, durationMs: { ...DEFAULT_ASSUMPTIONS.durationMs } };
    if (values.help) return { stack: "", json: false, assumptions, help: true };
    const stack = shippedStackFlag(values.stack);
    if (values["requests-per-month"] !== undefined)
        assumptions.requestsPerMonth = numberFlag("--requests-per-month", values["requests-per-month"], 0, 1e12);
    if (values.hours !== undefined) assumptions.hours = numberFlag("--hours", values.hours, 0, 744);
    if (values["uploads-per-month"] !== undefined)
        assumptions.uploadsPerMonth = numberFlag("--uploads-per-month", values["uploads-per-month"], 0, 1e9);
    const perDay = values["signups-per-day"];
    const days = values["campaign-days"];
    if ((perDay === undefined) !== (days === undefined))
        throw new UsageError("--signups-per-day and --campaign-days go together: give both, or neither");
    if (perDay !== undefined && days !== undefined) {
        assumptions.campaign = {
            signupsPerDay: numberFlag("--signups-per-day", perDay, 0, 1e9),
            days: numberFlag("--campaign-days", days, 1, 31, true),
        };
    }
    if (values["no-free-tier"]) assumptions.freeTier = false;
    return { stack, json: Boolean(values.json), assumptions, help: false };
}

export async function main(argv: string[], io: CliIo): Promise<number> {
    let args: ReturnType<typeof parseArgs>;
    try {
        args = parseArgs(argv);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.err(`${error.message}\n\n${USAGE}`);
        return EXIT.usage;
    }
    if (args.help) {
        io.out(USAGE);
        return EXIT.ok;
    }
    const report = await costReport(args.stack, args.assumptions);
    io.out(args.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return EXIT.ok;
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
            ? [
                  `Sign-up campaign: ${a.campaign.signupsPerDay.toLocaleString("en-US")} sign-ups a day for ${a.campaign.days} days, ${a.statusPollsPerSignup} status polls each`,
              ]
            : []),
        ...lookUpLines(a.lookUps),
        "",
    ];
    const width = Math.max(40, ...report.labs.flatMap((l) => l.items.map((i) => i.item.length + 2)));
    for (const lab of report.labs) {
        lines.push(`${lab.lab}`.padEnd(width) + "idle".padStart(10) + "usage".padStart(10));
        for (const item of lab.items)
            lines.push(`  ${item.item}`.padEnd(width) + usd(item.idleMonthly).padStart(10) + usd(item.usageMonthly).padStart(10));
        lines.push(`  total ${lab.lab}`.padEnd(width) + usd(lab.idleMonthly).padStart(10) + usd(lab.usageMonthly).padStart(10), "");
    }
    lines.push("TOTAL".padEnd(width) + usd(report.total.idleMonthly).padStart(10) + usd(report.total.usageMonthly).padStart(10));
    lines.push(`Idle + usage: ${usd(report.total.idleMonthly + report.total.usageMonthly)} a month.`);
    return lines.join("\n");
}

if (require.main === module) runMain(main, USAGE);
