/**
 * `npm run cohort -- <up|status|destroy> [options]`: one lab environment per learner, on the Automation API.
 * Exit 0: every environment ready (or destroyed clean); 1: one or more failed, a quota refuses, or something is
 * left; 2: bad arguments or roster, no Pulumi CLI (or one older than 3.211), no AWS credentials.
 */
import * as fs from "node:fs";
import { EXIT, fromCallerDir, numberFlag, parseOrUsage, runMain, UsageError, type CliIo } from "../../shared/cli";
import { ROOT, shippedStacks, stackConfig } from "../../shared/stack-files";
import { HOURS_PER_MONTH, PRICES_TAKEN } from "../../shared/pricing/prices";
import {
    cohortReport,
    cohortStacks,
    cohortStatus,
    deployCohort,
    destroyStacks,
    progressFor,
    reportDestroyed,
    usd,
    writeReports,
    type EnvironmentResult,
} from "./core";
import { connect, defaultDeps, type CohortDeps } from "./deps";
import {
    countedLearners,
    environments,
    fullConfigKey,
    parseExpiry,
    parseRoster,
    PlanError,
    projectConfigKeys,
    type Environment,
    type Learner,
} from "./plan";
import { priceEnvironments } from "./price";
import { checkQuotas, refusal } from "./quotas";

export const USAGE = `Usage: npm run cohort -- <up|status|destroy> [options]

  up         deploy one stack per learner, verify each, write cohort.json and cohort.md
  status     re-read the cohort's stacks and verify them again
  destroy    destroy and remove the cohort's stacks, then look for anything left in AWS

  --prefix NAME     the cohort; each learner's stack is <prefix>-<learner> (default "cohort")
  --roster FILE     up: a CSV with a name column and optional config columns (e.g. budgetEmail)
  --count N         up: N learners named 01, 02, … (instead of --roster)
  --base STACK      up: the stack file every environment starts from (default serverless; ${shippedStacks().join(", ")})
  --expires WHEN    up: 8h, 90m, 2d or a time like 2026-12-01T18:00Z; npm run reap destroys the cohort after it
  --parallel N      environments deployed or destroyed at once (default 4)
  --only NAME       status, destroy: only this learner (repeat for more)
  --out DIR         up, status: where cohort.json and cohort.md go (default: this folder)
  --yes             do not ask before deploying or destroying (needed when standard input is not a terminal)
  --dry-run         up: print the stacks, their config and the cost, and stop; needs no Pulumi CLI and no AWS

Needs the Pulumi CLI 3.211 or later (DIY backends keep stack tags since then), logged in to any backend, and
AWS credentials. Exit status: 0 every environment ready, 1 one failed or a limit refuses, 2 bad arguments or
roster, no Pulumi CLI, no AWS credentials.`;

const OPTIONS = {
    prefix: { type: "string" },
    roster: { type: "string" },
    count: { type: "string" },
    base: { type: "string" },
    expires: { type: "string" },
    parallel: { type: "string" },
    only: { type: "string", multiple: true },
    out: { type: "string" },
    yes: { type: "boolean" },
    "dry-run": { type: "boolean" },
} as const;

export async function main(argv: string[], io: CliIo, deps: CohortDeps = defaultDeps()): Promise<number> {
    const parsed = parseOrUsage(argv, io, OPTIONS, USAGE, 1);
    if (typeof parsed === "number") return parsed;
    try {
        const { values, positionals } = parsed;
        const command = positionals[0];
        if (!command) throw new UsageError("name a subcommand: up, status or destroy");
        if (!["up", "status", "destroy"].includes(command))
            throw new UsageError(`unknown subcommand ${JSON.stringify(command)}: up, status or destroy`);
        const only = (name: string, allowed: string[]) => {
            if (values[name as keyof typeof values] !== undefined && !allowed.includes(command))
                throw new UsageError(`--${name} goes with ${allowed.join(" or ")}`);
        };
        only("roster", ["up"]);
        only("count", ["up"]);
        only("base", ["up"]);
        only("expires", ["up"]);
        only("dry-run", ["up"]);
        only("only", ["status", "destroy"]);
        only("out", ["up", "status"]);
        const prefix = values.prefix ?? "cohort";
        const parallel = values.parallel === undefined ? 4 : numberFlag("--parallel", values.parallel, 1, 32, true);
        const outDir = fromCallerDir(values.out ?? ".", io);
        if (command === "up") {
            return await up(io, deps, {
                prefix,
                parallel,
                outDir,
                roster: values.roster,
                count: values.count,
                base: values.base ?? "serverless",
                expires: values.expires,
                yes: Boolean(values.yes),
                dryRun: Boolean(values["dry-run"]),
            });
        }
        if (command === "status") return await status(io, deps, { prefix, parallel, outDir, only: values.only });
        return await destroy(io, deps, { prefix, parallel, only: values.only, yes: Boolean(values.yes) });
    } catch (error) {
        if (error instanceof UsageError || error instanceof PlanError) {
            io.err(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : error.message);
            return EXIT.usage;
        }
        throw error;
    }
}

interface UpArgs {
    prefix: string;
    parallel: number;
    outDir: string;
    roster?: string;
    count?: string;
    base: string;
    expires?: string;
    yes: boolean;
    dryRun: boolean;
}

function learnersOf(args: UpArgs, io: CliIo): Learner[] {
    if ((args.roster === undefined) === (args.count === undefined)) throw new UsageError("give one of --roster FILE or --count N");
    if (args.count !== undefined) return countedLearners(numberFlag("--count", args.count, 1, 200, true));
    const file = fromCallerDir(args.roster!, io);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        throw new PlanError(
            `Cannot read the roster ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : (error as Error).message}`,
        );
    }
    return parseRoster(text, args.roster!, projectConfigKeys(ROOT));
}

/** "$0.047" an hour: small hourly figures keep three decimals. */
const hourly = (n: number) => `$${n.toFixed(3)}`;

async function up(io: CliIo, deps: CohortDeps, args: UpArgs): Promise<number> {
    if (!shippedStacks().includes(args.base))
        throw new UsageError(`--base ${JSON.stringify(args.base)} has no Pulumi.${args.base}.yaml (stacks: ${shippedStacks().join(", ")})`);
    const now = deps.now();
    const expiresAt = args.expires === undefined ? undefined : parseExpiry(args.expires, now);
    const envs = environments(args.prefix, learnersOf(args, io));
    const { region, prices } = await priceEnvironments(args.base, envs);
    const priceOf = new Map(prices.map((p) => [p.stack, p]));

    // The plan: stacks, each learner's config, the cost.
    io.out(
        `Cohort ${args.prefix}: ${envs.length} environment${envs.length === 1 ? "" : "s"} from Pulumi.${args.base}.yaml in ${region}, ${expiresAt ? `expiring ${expiresAt.toISOString()} (npm run reap destroys them after it)` : "no expiry (npm run reap never removes them; pass --expires)"}`,
    );
    const w = Math.max(7, ...envs.map((e) => e.name.length));
    const sw = Math.max(5, ...envs.map((e) => e.stack.length));
    io.out(`  ${"learner".padEnd(w)}  ${"stack".padEnd(sw)}  ${"idle/hour".padStart(9)}  ${"idle/month".padStart(10)}  config`);
    for (const env of envs) {
        const p = priceOf.get(env.stack)!;
        const config =
            Object.entries(env.config)
                .map(([k, v]) => `${fullConfigKey(k)}=${v}`)
                .join(" ") || `(Pulumi.${args.base}.yaml as is)`;
        io.out(
            `  ${env.name.padEnd(w)}  ${env.stack.padEnd(sw)}  ${hourly(p.idleHourly).padStart(9)}  ${usd(p.idleMonthly).padStart(10)}  ${config}`,
        );
    }
    const totalMonthly = prices.reduce((a, p) => a + p.idleMonthly, 0);
    io.out(
        `Idle cost of the cohort: ${hourly(totalMonthly / HOURS_PER_MONTH)} an hour, ${usd(totalMonthly)} a month (${HOURS_PER_MONTH} h), list prices taken ${PRICES_TAKEN}, without free tiers (the cohort shares one account's); traffic adds to it: npm run cost -- --stack ${args.base}`,
    );
    if (args.dryRun) {
        io.out("Dry run: nothing was deployed.");
        return EXIT.ok;
    }

    const backend = await connect(deps, io, args.base, region);
    if (typeof backend === "number") return backend;

    const checks = await checkQuotas(
        prices.map((p) => p.types),
        region,
        deps.quotas,
    );
    const refused = checks.filter((c) => !c.ok);
    for (const c of checks.filter((c) => c.ok))
        io.out(`Limit ok: ${c.limit.name}: the cohort needs ${c.need} of ${c.quota.value} (${c.quota.source})`);
    if (refused.length) {
        for (const c of refused) io.err(`Refused: ${refusal(c, region)}`);
        io.err("Nothing was deployed.");
        return EXIT.failed;
    }

    const go = await confirmed(
        io,
        deps,
        args.yes,
        `Deploy ${envs.length} environment${envs.length === 1 ? "" : "s"} for about ${usd(totalMonthly)} a month idle?`,
    );
    if (go !== true) return go;

    const base = stackConfig(args.base);
    const rows = await deployCohort(envs, backend, {
        cohort: args.prefix,
        expiresAt,
        parallel: args.parallel,
        retry: deps.retry,
        progress: progressFor(io.out, io.isTTY, deps.write),
        idleMonthlyUsd: Object.fromEntries(prices.map((p) => [p.stack, p.idleMonthly])),
        verify: (env: Environment, outputs) =>
            deps.verify(
                outputs,
                { ...base, ...Object.fromEntries(Object.entries(env.config).map(([k, v]) => [fullConfigKey(k), v])) },
                io.signal,
            ),
    });
    return finish(io, rows, args.prefix, args.outDir, now, expiresAt);
}

/** true to go on; otherwise the exit code (2: nobody can answer, 1: answered no). */
async function confirmed(io: CliIo, deps: CohortDeps, yes: boolean, question: string): Promise<true | number> {
    if (yes) return true;
    if (!deps.stdinIsTTY) {
        io.err("Standard input is not a terminal, so nobody can confirm: pass --yes to go ahead.");
        return EXIT.usage;
    }
    if (await deps.confirm(question)) return true;
    io.err("Stopped: nothing was changed.");
    return EXIT.failed;
}

function finish(io: CliIo, rows: EnvironmentResult[], cohort: string, outDir: string, now: Date, expiresAt?: Date): number {
    const report = cohortReport(cohort, rows, now, expiresAt);
    const files = writeReports(outDir, report);
    io.out(
        `${report.totals.ready} of ${report.totals.environments} ready${report.totals.failed ? `, ${report.totals.failed} failed` : ""}. Hand-out: ${files.join(", ")}`,
    );
    for (const r of rows.filter((r) => r.state === "failed")) io.err(`✖ ${r.learner} (${r.stack}): ${r.error}`);
    return report.totals.ready === report.totals.environments ? EXIT.ok : EXIT.failed;
}

async function status(
    io: CliIo,
    deps: CohortDeps,
    args: { prefix: string; parallel: number; outDir: string; only?: string[] },
): Promise<number> {
    const backend = await connect(deps, io, "serverless", io.env.AWS_REGION ?? "us-east-1");
    if (typeof backend === "number") return backend;
    const stacks = await cohortStacks(backend, args.prefix, args.only);
    if (stacks.length === 0) {
        io.err(
            `No stack of this project carries the tag cloud-labs:cohort=${args.prefix}${args.only ? ` for ${args.only.join(", ")}` : ""}.`,
        );
        return EXIT.failed;
    }
    const rows = await cohortStatus(stacks, backend, {
        parallel: args.parallel,
        progress: progressFor(io.out, io.isTTY, deps.write),
        verify: async (env, outputs) => deps.verify(outputs, await backend.config(env.stack), io.signal),
    });
    return finish(io, rows, args.prefix, args.outDir, deps.now());
}

async function destroy(
    io: CliIo,
    deps: CohortDeps,
    args: { prefix: string; parallel: number; only?: string[]; yes: boolean },
): Promise<number> {
    const backend = await connect(deps, io, "serverless", io.env.AWS_REGION ?? "us-east-1");
    if (typeof backend === "number") return backend;
    const stacks = await cohortStacks(backend, args.prefix, args.only);
    if (stacks.length === 0) {
        io.out(
            `No stack of this project carries the tag cloud-labs:cohort=${args.prefix}${args.only ? ` for ${args.only.join(", ")}` : ""}: nothing to destroy.`,
        );
        return EXIT.ok;
    }
    const go = await confirmed(
        io,
        deps,
        args.yes,
        `Destroy and remove ${stacks.length} stack${stacks.length === 1 ? "" : "s"} (${stacks.map((s) => s.name).join(", ")})?`,
    );
    if (go !== true) return go;
    const rows = await destroyStacks(stacks, backend, {
        parallel: args.parallel,
        retry: deps.retry,
        progress: progressFor(io.out, io.isTTY, deps.write),
        leftovers: deps.leftovers,
        defaultRegion: io.env.AWS_REGION ?? "us-east-1",
    });
    return reportDestroyed(io, rows);
}

if (require.main === module) runMain(main, USAGE);
