/**
 * `npm run policy -- --stack NAME [--config FILE]`
 * Runs the policy pack's policies over the stack's resources under mocks (no Pulumi CLI, no AWS) and prints the
 * violations. Exit 1 on a mandatory violation, 0 otherwise, 2 on a usage error. FILE is a JSON policy pack config,
 * the same as `pulumi preview --policy-pack-config`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyPackConfig } from "@pulumi/policy";
import { parseOrExit, UsageError } from "../../shared/cli";
import { ROOT, runProgram, shippedStacks } from "../../shared/resource-graph";
import { policies } from "../../shared/guardrails/policies";
import { lookUpLines, priceDecidingLookUps } from "../../shared/pricing/estimate";
import { evaluatePolicies, type Violation } from "./evaluate";

const USAGE = `Usage: npm run policy -- --stack NAME [--config FILE]

  --stack NAME    a stack with a Pulumi.NAME.yaml (${shippedStacks().join(", ")})
  --config FILE   policy pack config as JSON, as for pulumi preview --policy-pack-config
                  (e.g. {"idle-cost-cap": {"maxIdleMonthlyUsd": 40}})`;

export function parseArgs(argv: string[]): { stack: string; config: PolicyPackConfig } {
    let stack: string | undefined;
    let config: PolicyPackConfig = {};
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        switch (flag) {
            case "--stack":
                stack = argv[++i];
                break;
            case "--config": {
                const file = argv[++i];
                if (!file) throw new UsageError("--config needs a JSON file");
                try {
                    config = JSON.parse(fs.readFileSync(file, "utf8"));
                } catch (error) {
                    throw new UsageError(`--config ${file}: ${error instanceof Error ? error.message : String(error)}`);
                }
                break;
            }
            default:
                throw new UsageError(`unknown option ${flag}`);
        }
    }
    if (!stack) throw new UsageError("--stack is required");
    if (!fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`))) {
        throw new UsageError(`unknown stack ${JSON.stringify(stack)}: there is no Pulumi.${stack}.yaml (stacks: ${shippedStacks().join(", ")})`);
    }
    return { stack, config };
}

/** The violations, and where a mocked look-up decided a price the idle-cost-cap policy weighed. */
export async function checkStack(stack: string, config: PolicyPackConfig = {}): Promise<{ violations: Violation[]; lookUps: string[] }> {
    const run = await runProgram(stack);
    return { violations: await evaluatePolicies(stack, run.resources, config), lookUps: priceDecidingLookUps(run.resources, run.lookUps) };
}

export function formatViolations(stack: string, violations: Violation[], lookUps: string[] = []): string {
    const notes = lookUpLines(lookUps);
    if (violations.length === 0) return [`Stack ${stack} passes all ${policies.length} policies.`, ...notes].join("\n");
    const lines = violations.map((v) => `[${v.enforcementLevel}] ${v.policy}${v.resource ? ` (${v.resource})` : ""}: ${v.message}`);
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    return [...lines, "", `Stack ${stack}: ${mandatory} mandatory and ${violations.length - mandatory} advisory violation(s).`, ...notes].join("\n");
}

if (require.main === module) {
    (async () => {
        const args = parseOrExit(parseArgs, USAGE);
        const { violations, lookUps } = await checkStack(args.stack, args.config);
        console.log(formatViolations(args.stack, violations, lookUps));
        process.exit(violations.some((v) => v.enforcementLevel === "mandatory") ? 1 : 0);
    })().catch((error) => {
        console.error(`policy: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(2);
    });
}
