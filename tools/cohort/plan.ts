/**
 * What a cohort is before anything is deployed: learners from a roster or a count, each learner's stack name
 * (checked against what a Pulumi stack and the physical names derived from it can hold), their config overrides,
 * and when the cohort expires. Pure: no Pulumi CLI, no AWS.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { NAME_RULES } from "../../stacks/physical-name";

/** Stack tags every cohort stack carries (DIY backends keep stack tags since Pulumi CLI 3.211). */
export const COHORT_TAG = "cloud-labs:cohort";
export const LEARNER_TAG = "cloud-labs:learner";
export const EXPIRES_TAG = "cloud-labs:expires-at";

/** A bad roster, expiry or name: reported as a usage error (exit 2), with every problem named. */
export class PlanError extends Error {}

export interface Learner {
    name: string;
    /** Config overrides by key, without the `cloud-labs:` namespace unless another namespace is named. */
    config: Record<string, string>;
}

export interface Environment extends Learner {
    /** `<prefix>-<learner>` */
    stack: string;
}

/** Learner names: they become part of the stack name and of physical names. */
const LEARNER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** Pulumi's own rule for stack names (pkg/backend: ValidateStackName). */
const PULUMI_STACK_NAME = /^[A-Za-z0-9._-]+$/;
export const PULUMI_STACK_NAME_MAX = 100;

/**
 * Why `stack` cannot be a cohort stack, or undefined when it can: Pulumi's stack name rule, then every physical
 * name the program derives from the stack (stacks/physical-name.ts NAME_RULES: `cloud-labs-<stack>-<name>-<suffix>`).
 */
export function stackNameProblem(stack: string, project = "cloud-labs"): string | undefined {
    if (stack.length > PULUMI_STACK_NAME_MAX)
        return `a Pulumi stack name holds at most ${PULUMI_STACK_NAME_MAX} characters; "${stack}" has ${stack.length}`;
    if (!PULUMI_STACK_NAME.test(stack))
        return `a Pulumi stack name holds only letters, digits, hyphens, underscores and periods; "${stack}" does not`;
    for (const rule of Object.values(NAME_RULES)) {
        if (!rule.characters.test(`${project}-${stack}-web`))
            return `${rule.what} made from it may hold only ${rule.charactersText}; "${stack}" does not`;
    }
    return undefined;
}

/** `01`, `02`, … `N` learners with no config of their own. */
export function countedLearners(count: number): Learner[] {
    const width = Math.max(2, String(count).length);
    return Array.from({ length: count }, (_, i) => ({ name: String(i + 1).padStart(width, "0"), config: {} }));
}

/** The config keys the project declares in Pulumi.yaml (what a roster column may set besides `aws:` keys). */
export function projectConfigKeys(root: string): string[] {
    const doc = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config?: Record<string, unknown> };
    return Object.keys(doc.config ?? {}).sort();
}

/** One CSV line split into fields; double quotes may wrap a field ("" is a quote inside). */
function csvFields(line: string): string[] | string {
    const fields: string[] = [];
    let i = 0;
    while (true) {
        if (line[i] === '"') {
            let value = "";
            i++;
            while (true) {
                if (i >= line.length) return "a quoted field is not closed";
                if (line[i] === '"') {
                    if (line[i + 1] === '"') {
                        value += '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                value += line[i++];
            }
            if (i < line.length && line[i] !== ",") return `text after a closing quote at column ${i + 1}`;
            fields.push(value);
        } else {
            const end = line.indexOf(",", i);
            fields.push((end < 0 ? line.slice(i) : line.slice(i, end)).trim());
            i = end < 0 ? line.length : end;
        }
        if (i >= line.length) return fields;
        i++; // the comma
    }
}

/**
 * Parses a roster: a header with a `name` column and optional config columns (keys of Pulumi.yaml, e.g.
 * budgetEmail), then one learner a line. Blank lines and lines starting with # are skipped. Every bad row is
 * named by its line number in one PlanError; nothing is dropped.
 */
export function parseRoster(text: string, source: string, configKeys: string[]): Learner[] {
    const problems: string[] = [];
    const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
    let header: string[] | undefined;
    const learners: Learner[] = [];
    const seen = new Map<string, number>();
    lines.forEach((raw, index) => {
        const line = index + 1;
        if (raw.trim() === "" || raw.trimStart().startsWith("#")) return;
        const fields = csvFields(raw);
        if (typeof fields === "string") {
            problems.push(`${source} line ${line}: ${fields}`);
            return;
        }
        if (!header) {
            header = fields;
            if (!header.includes("name"))
                problems.push(
                    `${source} line ${line}: the header needs a "name" column; it has ${header.map((h) => JSON.stringify(h)).join(", ")}`,
                );
            for (const column of header) {
                if (column !== "name" && !column.includes(":") && !configKeys.includes(column)) {
                    problems.push(
                        `${source} line ${line}: column "${column}" is not a config key of this project (name, or one of: ${configKeys.join(", ")})`,
                    );
                }
            }
            const doubled = header.filter((h, i) => header!.indexOf(h) !== i);
            if (doubled.length) problems.push(`${source} line ${line}: column "${doubled[0]}" appears twice`);
            return;
        }
        if (fields.length !== header.length) {
            problems.push(`${source} line ${line}: ${fields.length} fields, the header has ${header.length}`);
            return;
        }
        const row = Object.fromEntries(header.map((h, i) => [h, fields[i]]));
        const name = row.name ?? "";
        if (!LEARNER_NAME.test(name)) {
            problems.push(
                `${source} line ${line}: learner name ${JSON.stringify(name)} may hold only letters, digits, hyphens and underscores, starting with a letter or digit`,
            );
            return;
        }
        const first = seen.get(name.toLowerCase());
        if (first !== undefined) {
            problems.push(`${source} line ${line}: learner "${name}" is already on line ${first}`);
            return;
        }
        seen.set(name.toLowerCase(), line);
        const config: Record<string, string> = {};
        for (const [key, value] of Object.entries(row)) if (key !== "name" && value !== "") config[key] = value;
        learners.push({ name, config });
    });
    if (!header && problems.length === 0)
        problems.push(`${source} is empty: it needs a header line with a "name" column and one learner a line`);
    else if (header && learners.length === 0 && problems.length === 0) problems.push(`${source} has a header but no learners`);
    if (problems.length) throw new PlanError(problems.join("\n"));
    return learners;
}

/** Each learner's stack, `<prefix>-<learner>`, every name checked; all problems in one PlanError. */
export function environments(prefix: string, learners: Learner[]): Environment[] {
    const problems: string[] = [];
    if (!LEARNER_NAME.test(prefix))
        problems.push(
            `--prefix ${JSON.stringify(prefix)} may hold only letters, digits, hyphens and underscores, starting with a letter or digit`,
        );
    const envs = learners.map((l) => ({ ...l, stack: `${prefix}-${l.name}` }));
    if (problems.length === 0) {
        for (const env of envs) {
            const problem = stackNameProblem(env.stack);
            if (problem) problems.push(`learner ${env.name}: stack ${env.stack} cannot be used: ${problem}`);
        }
    }
    if (problems.length) throw new PlanError(problems.join("\n"));
    return envs;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Longest a cohort may live: a reaper that never fires is no reaper. */
export const MAX_EXPIRY_DAYS = 90;

/**
 * `--expires`: a duration from now (`8h`, `90m`, `2d`, `1d12h`) or an ISO 8601 time with a zone
 * (`2026-12-01T18:00Z`, `2026-12-01T18:00:00+01:00`). It must lie in the future and within MAX_EXPIRY_DAYS.
 */
export function parseExpiry(value: string, now: Date): Date {
    const text = value.trim();
    let at: Date;
    if (/^(\d+[mhd])+$/.test(text)) {
        let ms = 0;
        for (const [, n, unit] of text.matchAll(/(\d+)([mhd])/g)) ms += Number(n) * UNIT_MS[unit];
        if (ms === 0)
            throw new PlanError(
                `--expires ${JSON.stringify(value)} is no time at all; give a duration like 8h or a time like 2026-12-01T18:00Z`,
            );
        at = new Date(now.getTime() + ms);
    } else {
        const iso = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
        if (!iso) {
            const noZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text);
            throw new PlanError(
                noZone
                    ? `--expires ${JSON.stringify(value)} has no time zone: add Z for UTC (${text}Z) or an offset like +01:00`
                    : `--expires ${JSON.stringify(value)} is neither a duration (8h, 90m, 2d, 1d12h) nor an ISO time with a zone (2026-12-01T18:00Z)`,
            );
        }
        at = new Date(text);
        const [, y, mo, d, h, mi, s] = iso;
        const valid =
            !Number.isNaN(at.getTime()) &&
            Number(mo) >= 1 &&
            Number(mo) <= 12 &&
            Number(d) >= 1 &&
            Number(d) <= new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate() &&
            Number(h) <= 23 &&
            Number(mi) <= 59 &&
            Number(s ?? 0) <= 59;
        if (!valid) throw new PlanError(`--expires ${JSON.stringify(value)} is not a real date and time`);
    }
    if (at.getTime() <= now.getTime())
        throw new PlanError(`--expires ${JSON.stringify(value)} is in the past (it is now ${now.toISOString()})`);
    if (at.getTime() - now.getTime() > MAX_EXPIRY_DAYS * UNIT_MS.d)
        throw new PlanError(`--expires ${JSON.stringify(value)} is more than ${MAX_EXPIRY_DAYS} days away`);
    return at;
}

/** A stack tag's expiry, or undefined when the tag is missing or not a time (such stacks are never reaped). */
export function expiryOf(tags: Record<string, string | undefined>): Date | undefined {
    const value = tags[EXPIRES_TAG];
    if (!value) return undefined;
    const at = new Date(value);
    return Number.isNaN(at.getTime()) ? undefined : at;
}

/** A roster key as the program's config key: `budgetEmail` → `cloud-labs:budgetEmail`; `aws:region` stays. */
export function fullConfigKey(key: string, project = "cloud-labs"): string {
    return key.includes(":") ? key : `${project}:${key}`;
}
