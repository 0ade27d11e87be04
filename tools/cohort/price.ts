/**
 * Each environment as the program would create it: the program run under mocks with the base stack's config, the
 * learner's overrides and the learner's stack name (so bad config fails here, naming the key, before anything is
 * deployed), priced by the same estimate as `npm run cost`.
 */
import { runProgram, stackConfig } from "../../shared/resource-graph";
import { DEFAULT_ASSUMPTIONS, estimate } from "../../shared/pricing/estimate";
import { HOURS_PER_MONTH } from "../../shared/pricing/prices";
import { fullConfigKey, PlanError, type Environment } from "./plan";

export interface EnvironmentPrice {
    stack: string;
    idleMonthly: number;
    idleHourly: number;
    /** Resources by type, for the account limits. */
    types: Record<string, number>;
}

/** One run per base stack and config in a process: the stack name changes no price. */
const runs = new Map<string, Promise<{ idleMonthly: number; types: Record<string, number> }>>();

/**
 * Prices every environment. One account's free tier is shared by the whole cohort, so environments are priced
 * without it. Environments with the same config are run once.
 */
export async function priceEnvironments(base: string, envs: Environment[]): Promise<{ region: string; prices: EnvironmentPrice[] }> {
    const region = stackConfig(base)["aws:region"] ?? "us-east-1";
    const problems: string[] = [];
    const prices: EnvironmentPrice[] = [];
    for (const env of envs) {
        const overrides = Object.fromEntries(Object.entries(env.config).map(([k, v]) => [fullConfigKey(k), v]));
        const key = JSON.stringify([base, Object.entries(overrides).sort()]);
        if (!runs.has(key)) {
            runs.set(
                key,
                (async () => {
                    const run = await runProgram(base, overrides, [], { stackName: env.stack });
                    const report = await estimate(env.stack, region, run.resources, { ...DEFAULT_ASSUMPTIONS, freeTier: false });
                    const types: Record<string, number> = {};
                    for (const r of run.resources) types[r.type] = (types[r.type] ?? 0) + 1;
                    return { idleMonthly: report.total.idleMonthly, types };
                })(),
            );
        }
        try {
            const { idleMonthly, types } = await runs.get(key)!;
            prices.push({ stack: env.stack, idleMonthly, idleHourly: idleMonthly / HOURS_PER_MONTH, types });
        } catch (error) {
            problems.push(
                `learner ${env.name} (stack ${env.stack}): ${(error as Error).message
                    .split("\n")
                    .map((l) => l.trim())
                    .filter(Boolean)
                    .join(" ")}`,
            );
        }
    }
    if (problems.length) throw new PlanError(problems.join("\n"));
    return { region, prices };
}
