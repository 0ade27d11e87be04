/**
 * Reads raw config values by the schema's types: the typo check of keys, the one-message-per-key rule and the
 * standard sentence for a bad value. The labs' own rules are in rules/.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_SCHEMA, WHOLE_NUMBER_RANGES, type ConfigKey, type WholeNumberKey } from "./schema";

/** The problem of a whole-number key's value (`shown` is what the user wrote), or undefined when it is in range. */
export function wholeNumberProblem(key: WholeNumberKey, value: number, shown: unknown = value): string | undefined {
    const [min, max] = WHOLE_NUMBER_RANGES[key];
    return Number.isInteger(value) && value >= min && value <= max
        ? undefined
        : describe(key, shown, `must be a whole number from ${min} to ${max}`);
}

/** Thrown when one or more config values are invalid; the message names every key, value and what is allowed. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`Invalid cloud-labs config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/**
 * Thrown by a component whose arguments break the rules the config reader checks: the same sentences, naming the
 * config key that sets each value, all problems at once (as CDK's ValidationError does for construct props).
 */
export class ComponentArgsError extends ConfigError {
    constructor(component: string, name: string, problems: string[]) {
        super(problems);
        this.message = `Invalid arguments to ${component} "${name}":\n${problems.map((p) => `  - ${p}`).join("\n")}`;
        this.name = "ComponentArgsError";
    }
}

/** Throws a ComponentArgsError when `problems` is not empty. */
export function checkArgs(component: string, name: string, problems: string[]): void {
    if (problems.length > 0) throw new ComponentArgsError(component, name, onePerKey(problems));
}

/** Where raw values come from: Pulumi's config in a program, a plain map in tests and scripts. */
export type ConfigSource = (key: string) => string | undefined;

/** What loadConfig checks besides the values. */
export interface LoadConfigOptions {
    /**
     * Every config key the stack sets, namespaced (`cloud-labs:labs`, `aws:region`): keys of the project's
     * namespace that CONFIG_SCHEMA does not declare are errors, namespaces one typo away from it are warnings.
     * @default the Pulumi program's config when no source is given, else none (no key check)
     */
    keys?: readonly string[];
    /** Where warnings go. @default pulumi.log.warn when no source is given, else nowhere */
    warn?: (message: string) => void;
}

export const PROJECT = "cloud-labs";

/**
 * Every key the stack sets in the project's namespace must be declared in CONFIG_SCHEMA (a typo would otherwise
 * deploy as if unset); a namespace one or two typos away from the project's (`cloudlabs:labs`) is warned about.
 */
export function checkKeys(keys: readonly string[], problems: string[], warn: (message: string) => void): void {
    const known = Object.keys(CONFIG_SCHEMA);
    for (const full of keys) {
        const colon = full.indexOf(":");
        if (colon < 0) continue;
        const namespace = full.slice(0, colon);
        const key = full.slice(colon + 1);
        if (namespace === PROJECT) {
            if (!Object.hasOwn(CONFIG_SCHEMA, key)) {
                const near = nearest(key, known);
                problems.push(
                    `${PROJECT}:${key} is not a ${PROJECT} setting${near ? ` (did you mean ${near}?)` : ""}; the settings are listed in Pulumi.yaml.`,
                );
            }
        } else if (editDistance(namespace.toLowerCase(), PROJECT) <= 2) {
            const near = Object.hasOwn(CONFIG_SCHEMA, key) ? key : nearest(key, known);
            warn(
                `${full} is ignored: ${namespace} is not this project's namespace${near ? ` (did you mean ${PROJECT}:${near}?)` : ` (it is ${PROJECT})`}`,
            );
        }
    }
}

/** The known key closest to `key`, if it is close enough to be a typo of it. */
function nearest(key: string, known: string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of known) {
        const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
        if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
    }
    return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}

/** The first problem of each key: a value that fails its own check is not reported again by checks built on it. */
export function onePerKey(problems: string[]): string[] {
    const seen = new Set<string>();
    return problems.filter((problem) => {
        const key = new RegExp(`^${PROJECT}:([\\w-]+)`).exec(problem)?.[1];
        if (key === undefined) return true;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}

export function pulumiSource(): ConfigSource {
    const config = new pulumi.Config(PROJECT);
    return (key) => config.get(key);
}

/** The standard sentence for a bad value: key, value, rule. */
export function describe(key: string, value: unknown, rule: string): string {
    return `${PROJECT}:${key} = ${JSON.stringify(String(value))}: ${rule}.`;
}

/** Parses raw config strings by the schema's type, falling back to the schema default; records problems. */
export class RawReader {
    constructor(
        private readonly source: ConfigSource,
        private readonly problems: string[],
    ) {}

    private raw(key: ConfigKey): string | undefined {
        const value = this.source(key);
        return value === undefined || value === "" ? undefined : value;
    }

    /** Whether the stack sets the key (to anything but an empty string). */
    isSet(key: ConfigKey): boolean {
        return this.raw(key) !== undefined;
    }

    string(key: ConfigKey): string {
        return this.raw(key) ?? (CONFIG_SCHEMA[key].default as string);
    }

    oneOf<T extends string>(key: ConfigKey, allowed: readonly T[]): T {
        const value = this.string(key);
        if (!(allowed as readonly string[]).includes(value)) {
            this.problems.push(describe(key, value, `must be one of ${allowed.join(", ")}`));
        }
        return value as T;
    }

    /** A whole number within the key's range (WHOLE_NUMBER_RANGES). */
    integer(key: WholeNumberKey): number {
        const raw = this.raw(key);
        const value = this.wholeNumber(key, raw);
        const problem = wholeNumberProblem(key, value, raw);
        if (problem) this.problems.push(problem);
        return value;
    }

    /** The raw value as a plain decimal integer (NaN if it is not one), or the default when unset. */
    private wholeNumber(key: ConfigKey, raw: string | undefined): number {
        // Plain digits only: Number() would also read "0x100", "1e3" and " 256 ".
        return raw === undefined ? (CONFIG_SCHEMA[key].default as number) : /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    }

    /** A plain integer from a fixed list; one message for anything else. */
    integerOneOf(key: ConfigKey, allowed: readonly number[]): number {
        const raw = this.raw(key);
        const value = this.wholeNumber(key, raw);
        if (!allowed.includes(value)) this.problems.push(describe(key, raw, `must be one of ${allowed.join(", ")}`));
        return value;
    }

    boolean(key: ConfigKey): boolean {
        const raw = this.raw(key);
        if (raw === undefined) return CONFIG_SCHEMA[key].default as boolean;
        if (raw !== "true" && raw !== "false") this.problems.push(describe(key, raw, "must be true or false"));
        return raw === "true";
    }

    array(key: ConfigKey): string[] {
        const raw = this.raw(key);
        if (raw === undefined) return [...(CONFIG_SCHEMA[key].default as string[])];
        let parsed: unknown;
        try {
            parsed = JSON.parse(raw);
        } catch {
            parsed = undefined;
        }
        if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === "string")) {
            this.problems.push(describe(key, raw, "must be a list of strings (a YAML list in Pulumi.<stack>.yaml)"));
            return [];
        }
        return parsed;
    }
}
