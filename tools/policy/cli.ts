/**
 * `npm run policy -- --stack NAME [--config FILE]`
 * Runs the policy pack's policies over the stack's resources under mocks (no Pulumi CLI, no AWS) and prints the
 * violations. Exit 1 on a mandatory violation, 0 otherwise, 2 on a usage error or a config the pack refuses. FILE is
 * a JSON policy pack config, checked against the policies' schemas as `pulumi preview --policy-pack-config` does.
 */
import * as fs from "node:fs";
import type { PolicyPackConfig } from "@pulumi/policy";
import { EXIT, fromCallerDir, parseOrUsage, runMain, UsageError, type CliIo } from "../../shared/cli";
import { runProgram, shippedStacks } from "../../shared/resource-graph";
import { shippedStackFlag } from "../../shared/stack-files";
import { policies } from "../../shared/guardrails/policies";
import { lookUpLines, priceDecidingLookUps } from "../../shared/pricing/estimate";
import { ConfigError, validatePackConfig } from "./config";
import { enforcementLevelOf, evaluatePolicies, type Violation } from "./evaluate";

export const USAGE = `Usage: npm run policy -- --stack NAME [--config FILE]

  --stack NAME    a stack with a Pulumi.NAME.yaml (${shippedStacks().join(", ")})
  --config FILE   policy pack config as JSON, as for pulumi preview --policy-pack-config
                  (e.g. {"idle-cost-cap": {"maxIdleMonthlyUsd": 40}} or {"idle-cost-cap": "disabled"});
                  a relative FILE is read from the folder npm was run in
  --help          show this

Exit status: 0 no mandatory violation, 1 a mandatory violation, 2 bad arguments or a config the pack refuses.`;

export async function main(argv: string[], io: CliIo): Promise<number> {
    const parsed = parseOrUsage(argv, io, { stack: { type: "string" }, config: { type: "string" } }, USAGE);
    if (typeof parsed === "number") return parsed;
    let stack: string;
    let config: PolicyPackConfig;
    try {
        stack = shippedStackFlag(parsed.values.stack);
        config = parsed.values.config === undefined ? {} : readConfig(parsed.values.config, io);
    } catch (error) {
        if (error instanceof UsageError) {
            io.err(`${error.message}\n\n${USAGE}`);
            return EXIT.usage;
        }
        if (error instanceof ConfigError) {
            io.err(error.message);
            return EXIT.usage;
        }
        throw error;
    }
    const { violations, lookUps } = await checkStack(stack, config);
    io.out(formatViolations(stack, violations, config, lookUps));
    return violations.some((v) => v.enforcementLevel === "mandatory") ? EXIT.failed : EXIT.ok;
}

/** The config file, from the caller's folder, parsed and checked against the pack; every error names the path tried. */
export function readConfig(file: string, io: Pick<CliIo, "cwd">): PolicyPackConfig {
    const full = fromCallerDir(file, io);
    let text: string;
    try {
        text = fs.readFileSync(full, "utf8");
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason = code === "ENOENT" ? "it does not exist" : code === "EISDIR" ? "it is a folder" : (error as Error).message;
        throw new ConfigError(`--config ${full}: ${reason}`);
    }
    let data: unknown;
    try {
        data = JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch (error) {
        throw new ConfigError(`--config ${full}: not valid JSON (${(error as Error).message})`);
    }
    try {
        return validatePackConfig(data, policies);
    } catch (error) {
        if (error instanceof ConfigError) throw new ConfigError(`--config ${full}: ${error.message}`);
        throw error;
    }
}

/** The violations, and where a mocked look-up decided a price the idle-cost-cap policy weighed. */
export async function checkStack(stack: string, config: PolicyPackConfig = {}): Promise<{ violations: Violation[]; lookUps: string[] }> {
    const run = await runProgram(stack);
    return { violations: await evaluatePolicies(stack, run.resources, config), lookUps: priceDecidingLookUps(run.resources, run.lookUps) };
}

/** The violations, a summary line that counts only the policies that ran, and the mocked look-ups that decided a price. */
export function formatViolations(stack: string, violations: Violation[], config: PolicyPackConfig = {}, lookUps: string[] = []): string {
    const notes = lookUpLines(lookUps);
    const disabled = policies.filter((p) => enforcementLevelOf(p, config) === "disabled");
    const ran = policies.length - disabled.length;
    const off = disabled.length ? ` (disabled by the config: ${disabled.map((p) => p.name).join(", ")})` : "";
    if (violations.length === 0)
        return [`Stack ${stack} passes ${disabled.length ? `the ${ran} enabled` : `all ${ran}`} policies${off}.`, ...notes].join("\n");
    const lines = violations.map((v) => `[${v.enforcementLevel}] ${v.policy}${v.resource ? ` (${v.resource})` : ""}: ${v.message}`);
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    return [
        ...lines,
        "",
        `Stack ${stack}: ${mandatory} mandatory and ${violations.length - mandatory} advisory violation(s)${off}.`,
        ...notes,
    ].join("\n");
}

if (require.main === module) runMain(main, USAGE);
