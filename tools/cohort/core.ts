/**
 * The cohort's orchestration, behind a small interface (CohortBackend) so tests drive it with a fake and the CLI
 * with the Automation API (automation.ts): bounded parallelism, retry of throttling errors with backoff, one
 * environment's failure never stopping or undoing the others, expiry, and the reports cohort.json / cohort.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CliIo } from "../../shared/cli";
import { COHORT_TAG, EXPIRES_TAG, expiryOf, LEARNER_TAG, type Environment } from "./plan";

/** One stack of this project in the current backend, with its stack tags. */
export interface StackInfo {
    name: string;
    tags: Record<string, string>;
}

/** What the orchestration needs of Pulumi: the Automation API in the CLI, a fake in tests. */
export interface CohortBackend {
    /** Creates or selects the stack, writes its config (the base stack's plus `config`) and sets its tags. */
    prepare(stack: string, config: Record<string, string>, tags: Record<string, string>): Promise<void>;
    /** `pulumi up`; the stack's outputs afterwards. `onOutput` gets the engine's output as it comes. */
    up(stack: string, onOutput?: (text: string) => void): Promise<Record<string, unknown>>;
    /** The stack's outputs now. */
    outputs(stack: string): Promise<Record<string, unknown>>;
    /** The stack's config (`ns:key` → value), read before a destroy removes the stack file. */
    config(stack: string): Promise<Record<string, string>>;
    /** `pulumi destroy`. */
    destroy(stack: string, onOutput?: (text: string) => void): Promise<void>;
    /** `pulumi stack rm` (the stack file goes with it). */
    remove(stack: string): Promise<void>;
    /** This project's stacks in the current backend, with their tags. */
    list(): Promise<StackInfo[]>;
}

export type State = "queued" | "deploying" | "verifying" | "ready" | "failed" | "destroying" | "destroyed" | "skipped";

/** One learner's environment as the reports show it. */
export interface EnvironmentResult {
    learner: string;
    stack: string;
    state: State;
    websiteUrl?: string;
    apiUrl?: string;
    helloWorldApi?: string;
    serviceUrl?: string;
    verify?: VerifyOutcome;
    /** Idle cost of this environment, USD. */
    idleMonthlyUsd?: number;
    /** The first line of the error that failed it. */
    error?: string;
    /** Attempts `pulumi up` took (more than 1 after throttling). */
    attempts?: number;
    leftovers?: string[];
}

export interface VerifyOutcome {
    passed: number;
    failed: number;
    /** The first failed check, "lab · check: detail". */
    firstFailure?: string;
}

/** Shows each learner's state as it changes (a live table on a terminal, plain lines in CI). */
export interface ProgressSink {
    update(row: EnvironmentResult): void;
    done(): void;
}

export interface RetryPolicy {
    /** Tries in all, the first included. */
    attempts: number;
    /** Wait before the second try; doubled before each further one. */
    baseDelayMs: number;
    sleep(ms: number): Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 15_000, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** AWS (through the provider) or the backend said "slow down": worth another try after a wait. */
export function isThrottling(error: unknown): boolean {
    const text = errorText(error);
    return /Throttling|ThrottlingException|TooManyRequests|Rate exceeded|RequestLimitExceeded|SlowDown|\b429\b|Too Many Requests/i.test(
        text,
    );
}

function errorText(error: unknown): string {
    if (error instanceof Error) {
        const result = (error as { commandResult?: { stderr?: string; stdout?: string } }).commandResult;
        return `${error.message}\n${result?.stderr ?? ""}\n${result?.stdout ?? ""}`;
    }
    return String(error);
}

/** The line of an error a person needs: Pulumi's `error:` line when there is one, else the first non-empty line. */
export function firstErrorLine(error: unknown): string {
    const text = errorText(error);
    // A CommandError's text: "code: 255", " stdout: …", " stderr: …", " err?: …"; the labels go, the numbers too.
    const lines = text
        .split("\n")
        .map((l) => l.trim().replace(/^(stdout|stderr|err\?):\s*/, ""))
        .filter((l) => l && !/^code: -?\d+$/.test(l));
    const pulumiError = lines.find((l) => /^error:/.test(l) && !/^error: update failed$/.test(l));
    return (pulumiError ?? lines[0] ?? "unknown error").slice(0, 300);
}

/** Runs `task` again after throttling, waiting baseDelay, 2×baseDelay, …; any other error is thrown at once. */
export async function withRetry<T>(task: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<{ value: T; attempts: number }> {
    for (let attempt = 1; ; attempt++) {
        try {
            return { value: await task(attempt), attempts: attempt };
        } catch (error) {
            if (attempt >= policy.attempts || !isThrottling(error)) throw error;
            await policy.sleep(policy.baseDelayMs * 2 ** (attempt - 1));
        }
    }
}

/** Runs `work` on every item, at most `parallel` at once; a rejection is the item's own and never stops the rest. */
export async function pool<T, R>(items: T[], parallel: number, work: (item: T) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await work(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
    return results;
}

export interface UpOptions {
    cohort: string;
    expiresAt?: Date;
    parallel: number;
    retry: RetryPolicy;
    progress: ProgressSink;
    /** Runs the verify checks against an environment's outputs. */
    verify(env: Environment, outputs: Record<string, unknown>): Promise<VerifyOutcome>;
    /** Idle monthly cost of each stack, from the estimate. */
    idleMonthlyUsd: Record<string, number>;
}

/** The URLs a learner is handed, from the stack outputs. */
function urls(outputs: Record<string, unknown>): Pick<EnvironmentResult, "websiteUrl" | "apiUrl" | "helloWorldApi" | "serviceUrl"> {
    const s = (k: string) => {
        const value = outputs[k];
        return typeof value === "string" ? value : undefined;
    };
    return { websiteUrl: s("websiteUrl"), apiUrl: s("apiUrl"), helloWorldApi: s("helloWorldApi"), serviceUrl: s("serviceUrl") };
}

/** The stack tags of one learner's stack. */
export function cohortTags(cohort: string, learner: string, expiresAt?: Date): Record<string, string> {
    return { [COHORT_TAG]: cohort, [LEARNER_TAG]: learner, ...(expiresAt ? { [EXPIRES_TAG]: expiresAt.toISOString() } : {}) };
}

/** Deploys and verifies every environment; each ends ready or failed with its first error line. */
export async function deployCohort(envs: Environment[], backend: CohortBackend, o: UpOptions): Promise<EnvironmentResult[]> {
    const rows = envs.map<EnvironmentResult>((env) => ({
        learner: env.name,
        stack: env.stack,
        state: "queued",
        idleMonthlyUsd: o.idleMonthlyUsd[env.stack],
    }));
    rows.forEach((row) => o.progress.update(row));
    await pool(envs, o.parallel, async (env) => {
        const row = rows[envs.indexOf(env)];
        const set = (patch: Partial<EnvironmentResult>) => {
            Object.assign(row, patch);
            o.progress.update(row);
        };
        try {
            set({ state: "deploying" });
            const { value: outputs, attempts } = await withRetry(async () => {
                await backend.prepare(env.stack, env.config, cohortTags(o.cohort, env.name, o.expiresAt));
                return backend.up(env.stack);
            }, o.retry);
            set({ state: "verifying", attempts, ...urls(outputs) });
            const verify = await o.verify(env, outputs);
            set(
                verify.failed === 0
                    ? { state: "ready", verify }
                    : { state: "failed", verify, error: `verify: ${verify.firstFailure ?? `${verify.failed} checks failed`}` },
            );
        } catch (error) {
            set({ state: "failed", error: firstErrorLine(error) });
        }
    });
    o.progress.done();
    return rows;
}

/** The cohort's stacks in the backend (by the cohort tag), `only` narrowing to some learners. */
export async function cohortStacks(backend: CohortBackend, cohort: string, only?: string[]): Promise<StackInfo[]> {
    const mine = (await backend.list()).filter((s) => s.tags[COHORT_TAG] === cohort);
    return only ? mine.filter((s) => only.includes(s.tags[LEARNER_TAG] ?? "")) : mine;
}

/** Re-reads every stack of the cohort and re-verifies it. */
export async function cohortStatus(
    stacks: StackInfo[],
    backend: CohortBackend,
    o: Pick<UpOptions, "parallel" | "progress" | "verify">,
): Promise<EnvironmentResult[]> {
    const rows = stacks.map<EnvironmentResult>((s) => ({ learner: s.tags[LEARNER_TAG] ?? s.name, stack: s.name, state: "queued" }));
    await pool(stacks, o.parallel, async (s) => {
        const row = rows[stacks.indexOf(s)];
        try {
            const outputs = await backend.outputs(s.name);
            Object.assign(row, { state: "verifying", ...urls(outputs) });
            o.progress.update(row);
            const verify = await o.verify({ name: row.learner, stack: s.name, config: {} }, outputs);
            Object.assign(
                row,
                verify.failed === 0
                    ? { state: "ready", verify }
                    : { state: "failed", verify, error: `verify: ${verify.firstFailure ?? `${verify.failed} checks failed`}` },
            );
        } catch (error) {
            Object.assign(row, { state: "failed", error: firstErrorLine(error) });
        }
        o.progress.update(row);
    });
    o.progress.done();
    return rows;
}

/** What the leftovers audit is asked about one destroyed stack. */
export interface LeftoverQuery {
    stack: string;
    region: string;
    /** The stack's `deploymentId` output, when the program exported one. */
    deployment?: string;
}

export interface DestroyOptions {
    parallel: number;
    retry: RetryPolicy;
    progress: ProgressSink;
    /** The leftovers audit of one deployment: what of it is still in the account. */
    leftovers(q: LeftoverQuery): Promise<string[]>;
    defaultRegion: string;
}

/**
 * Destroys and removes every stack given, then audits each for leftovers by its deployment identity. A failed
 * destroy leaves that stack in place with its error; the others go on.
 */
export async function destroyStacks(stacks: StackInfo[], backend: CohortBackend, o: DestroyOptions): Promise<EnvironmentResult[]> {
    const rows = stacks.map<EnvironmentResult>((s) => ({ learner: s.tags[LEARNER_TAG] ?? s.name, stack: s.name, state: "queued" }));
    rows.forEach((row) => o.progress.update(row));
    await pool(stacks, o.parallel, async (s) => {
        const row = rows[stacks.indexOf(s)];
        const set = (patch: Partial<EnvironmentResult>) => {
            Object.assign(row, patch);
            o.progress.update(row);
        };
        try {
            set({ state: "destroying" });
            // Read before the destroy: the outputs and the stack file are gone after it.
            const outputs = await backend.outputs(s.name).catch((): Record<string, unknown> => ({}));
            const config = await backend.config(s.name).catch((): Record<string, string> => ({}));
            const deployment = typeof outputs.deploymentId === "string" ? outputs.deploymentId : undefined;
            const region = config["aws:region"] ?? o.defaultRegion;
            const { attempts } = await withRetry(() => backend.destroy(s.name), o.retry);
            await backend.remove(s.name);
            const leftovers = await o
                .leftovers({ stack: s.name, region, deployment })
                .catch((error) => [`the leftovers audit failed: ${firstErrorLine(error)}`]);
            set({ state: "destroyed", attempts, leftovers });
        } catch (error) {
            set({ state: "failed", error: firstErrorLine(error) });
        }
    });
    o.progress.done();
    return rows;
}

/** Splits this project's stacks by their expiry tag: expired (to reap), live, and untagged (never reaped). */
export function expiredStacks(stacks: StackInfo[], now: Date): { expired: StackInfo[]; live: StackInfo[]; untagged: StackInfo[] } {
    const expired: StackInfo[] = [];
    const live: StackInfo[] = [];
    const untagged: StackInfo[] = [];
    for (const s of stacks) {
        const at = expiryOf(s.tags);
        if (!at) untagged.push(s);
        else if (at.getTime() <= now.getTime()) expired.push(s);
        else live.push(s);
    }
    return { expired, live, untagged };
}

/** A silent progress sink (for --json runs and tests that do not look). */
export const NO_PROGRESS: ProgressSink = { update: () => undefined, done: () => undefined };

const ICON: Record<State, string> = {
    queued: "·",
    deploying: "…",
    verifying: "…",
    ready: "✔",
    failed: "✖",
    destroying: "…",
    destroyed: "✔",
    skipped: "–",
};

function rowLine(row: EnvironmentResult, width: number): string {
    const detail =
        row.state === "failed"
            ? `: ${row.error ?? ""}`
            : row.state === "ready" && row.verify
              ? ` (${row.verify.passed} checks passed)`
              : "";
    return `${ICON[row.state]} ${row.learner.padEnd(width)} ${row.stack.padEnd(width + 8)} ${row.state}${detail}`;
}

/**
 * On a terminal, one line per learner redrawn in place as states change; elsewhere (CI logs), a plain line each
 * time a learner's state changes.
 */
export function progressFor(out: (text: string) => void, isTTY: boolean, write?: (raw: string) => void): ProgressSink {
    const rows = new Map<string, EnvironmentResult>();
    const last = new Map<string, string>();
    let drawn = 0;
    const width = () => Math.max(8, ...[...rows.values()].map((r) => r.learner.length));
    if (isTTY && write) {
        const draw = () => {
            const lines = [...rows.values()].map((r) => rowLine(r, width()));
            // Move up over the last drawing, clear each line, draw again.
            write(`${drawn ? `\x1b[${drawn}A` : ""}${lines.map((l) => `\x1b[2K${l}\n`).join("")}`);
            drawn = lines.length;
        };
        return {
            update(row) {
                rows.set(row.stack, { ...row });
                draw();
            },
            done: () => undefined,
        };
    }
    return {
        update(row) {
            rows.set(row.stack, row);
            const line = rowLine(row, width());
            if (last.get(row.stack) === `${row.state}|${row.error ?? ""}`) return;
            last.set(row.stack, `${row.state}|${row.error ?? ""}`);
            out(line);
        },
        done: () => undefined,
    };
}

export interface CohortReport {
    cohort: string;
    generatedAt: string;
    expiresAt?: string;
    environments: EnvironmentResult[];
    totals: { environments: number; ready: number; failed: number; idleMonthlyUsd?: number };
}

export function cohortReport(cohort: string, rows: EnvironmentResult[], now: Date, expiresAt?: Date): CohortReport {
    const costs = rows.map((r) => r.idleMonthlyUsd).filter((c): c is number => c !== undefined);
    return {
        cohort,
        generatedAt: now.toISOString(),
        expiresAt: expiresAt?.toISOString(),
        environments: rows,
        totals: {
            environments: rows.length,
            ready: rows.filter((r) => r.state === "ready").length,
            failed: rows.filter((r) => r.state === "failed").length,
            idleMonthlyUsd: costs.length ? round2(costs.reduce((a, b) => a + b, 0)) : undefined,
        },
    };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
export const usd = (n: number): string => `$${(Math.round(n * 100) / 100).toFixed(2)}`;
const cell = (s: string | undefined) => (s ? s.replace(/\|/g, "\\|") : "–");

/** The hand-out: one table row per learner. */
export function reportMarkdown(report: CohortReport): string {
    const lines = [
        `# Cohort ${report.cohort}`,
        "",
        `${report.totals.ready} of ${report.totals.environments} environments ready${report.totals.failed ? `, ${report.totals.failed} failed` : ""}; written ${report.generatedAt}${report.expiresAt ? `; expires ${report.expiresAt}` : ""}.`,
        "",
        "| learner | stack | website | API | verify | idle cost / month | state |",
        "|---|---|---|---|---|---|---|",
    ];
    for (const r of report.environments) {
        const verify = r.verify ? `${r.verify.passed} passed, ${r.verify.failed} failed` : "–";
        const api = r.apiUrl ?? r.helloWorldApi ?? r.serviceUrl;
        const state = r.state === "failed" ? `failed: ${r.error ?? ""}` : r.state;
        lines.push(
            `| ${cell(r.learner)} | ${cell(r.stack)} | ${cell(r.websiteUrl)} | ${cell(api)} | ${verify} | ${r.idleMonthlyUsd === undefined ? "–" : usd(r.idleMonthlyUsd)} | ${cell(state)} |`,
        );
    }
    if (report.totals.idleMonthlyUsd !== undefined)
        lines.push("", `Idle cost of the cohort: ${usd(report.totals.idleMonthlyUsd)} a month.`);
    return `${lines.join("\n")}\n`;
}

/** Writes cohort.json and cohort.md into `dir`; returns their paths. */
export function writeReports(dir: string, report: CohortReport): string[] {
    fs.mkdirSync(dir, { recursive: true });
    const json = path.join(dir, "cohort.json");
    const md = path.join(dir, "cohort.md");
    fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    fs.writeFileSync(md, reportMarkdown(report));
    return [json, md];
}

/** One line per stack destroyed, failed, or with something left; exit 0 only when every one is gone clean. */
export function reportDestroyed(io: Pick<CliIo, "out" | "err">, rows: EnvironmentResult[]): number {
    let clean = true;
    for (const r of rows) {
        if (r.state === "failed") {
            clean = false;
            io.err(`✖ ${r.stack}: destroy failed, the stack is left in place: ${r.error}`);
        } else if (r.leftovers?.length) {
            clean = false;
            io.err(
                `✖ ${r.stack}: destroyed, but ${r.leftovers.length} thing${r.leftovers.length === 1 ? " is" : "s are"} left:\n${r.leftovers.map((l) => `    ${l}`).join("\n")}`,
            );
        }
    }
    const gone = rows.filter((r) => r.state === "destroyed").length;
    io.out(`${gone} of ${rows.length} stacks destroyed and removed${clean ? ", nothing left behind" : ""}.`);
    return clean ? 0 : 1;
}
