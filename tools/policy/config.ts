/**
 * A policy pack config (`--config FILE`, the JSON of `pulumi preview --policy-pack-config`) checked the way the
 * Pulumi CLI checks it before any policy runs: each key names a policy of the pack (or `all`); its value is an
 * enforcement level or an object of `enforcementLevel` and the properties the policy's `configSchema` declares,
 * of the declared type and range. Anything else is a ConfigError naming the key and what is allowed.
 */
import type { PolicyPackConfig } from "@pulumi/policy";

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;

/** The slice of a policy the config is checked against. */
export interface ConfiguredPolicy {
    name: string;
    configSchema?: { properties?: Record<string, unknown>; required?: string[] };
}

/** A config the pack would refuse: the message names the key. */
export class ConfigError extends Error {}

interface Schema {
    type?: string | string[];
    enum?: unknown[];
    minimum?: number;
    maximum?: number;
    exclusiveMinimum?: number;
    exclusiveMaximum?: number;
    minLength?: number;
    maxLength?: number;
    items?: Schema;
    properties?: Record<string, Schema>;
    required?: string[];
}

/** Checks `config` (parsed JSON) against the policies' schemas; returns it typed, or throws ConfigError. */
export function validatePackConfig(config: unknown, policies: readonly ConfiguredPolicy[]): PolicyPackConfig {
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        throw new ConfigError(
            `the config must be a JSON object of policy names, e.g. {"idle-cost-cap": {"maxIdleMonthlyUsd": 40}}; received ${describe(config)}`,
        );
    }
    const byName = new Map(policies.map((p) => [p.name, p]));
    const names = [...byName.keys()];
    for (const [name, value] of Object.entries(config)) {
        const policy = byName.get(name);
        if (!policy && name !== "all") {
            throw new ConfigError(
                `${JSON.stringify(name)} is not a policy of this pack${suggest(name, names)}; the policies are ${names.join(", ")} (or "all" for every one)`,
            );
        }
        if (typeof value === "string") {
            checkLevel(name, value);
            continue;
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            throw new ConfigError(
                `${name}: must be an enforcement level (${ENFORCEMENT_LEVELS.join(", ")}) or an object; received ${describe(value)}`,
            );
        }
        const properties = (policy?.configSchema?.properties ?? {}) as Record<string, Schema>;
        const allowed = ["enforcementLevel", ...Object.keys(properties)];
        for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
            if (key === "enforcementLevel") {
                if (typeof v !== "string")
                    throw new ConfigError(
                        `${name}.enforcementLevel: must be one of ${ENFORCEMENT_LEVELS.join(", ")}; received ${describe(v)}`,
                    );
                checkLevel(`${name}.enforcementLevel`, v);
                continue;
            }
            if (!(key in properties)) {
                throw new ConfigError(
                    `${name}.${key}: ${name === "all" ? '"all" takes only enforcementLevel' : `not a setting of ${name}${suggest(key, allowed)}; it takes ${allowed.join(", ")}`}`,
                );
            }
            checkValue(`${name}.${key}`, v, properties[key]);
        }
        for (const key of policy?.configSchema?.required ?? []) {
            if (!(key in value)) throw new ConfigError(`${name}.${key}: required by ${name}`);
        }
    }
    return config as PolicyPackConfig;
}

function checkLevel(key: string, value: string): void {
    if (!(ENFORCEMENT_LEVELS as readonly string[]).includes(value)) {
        throw new ConfigError(`${key}: must be one of ${ENFORCEMENT_LEVELS.join(", ")}; received ${JSON.stringify(value)}`);
    }
}

/** The JSON Schema keywords the pack's policies use (type, enum, ranges, lengths, items, properties). */
function checkValue(key: string, value: unknown, schema: Schema): void {
    const types = schema.type === undefined ? [] : [schema.type].flat();
    if (types.length && !types.some((t) => isType(value, t))) {
        throw new ConfigError(`${key}: must be ${types.map(article).join(" or ")}${rangeOf(schema)}; received ${describe(value)}`);
    }
    if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
        throw new ConfigError(
            `${key}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}; received ${describe(value)}`,
        );
    }
    if (typeof value === "number") {
        const out =
            (schema.minimum !== undefined && value < schema.minimum) ||
            (schema.maximum !== undefined && value > schema.maximum) ||
            (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) ||
            (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum);
        if (out) throw new ConfigError(`${key}: must be a number${rangeOf(schema)}; received ${describe(value)}`);
    }
    if (
        typeof value === "string" &&
        ((schema.minLength !== undefined && value.length < schema.minLength) ||
            (schema.maxLength !== undefined && value.length > schema.maxLength))
    ) {
        throw new ConfigError(
            `${key}: must be ${schema.minLength ?? 0} to ${schema.maxLength ?? "any number of"} characters; received ${describe(value)}`,
        );
    }
    if (Array.isArray(value) && schema.items) value.forEach((item, i) => checkValue(`${key}[${i}]`, item, schema.items!));
    if (schema.properties && typeof value === "object" && value !== null && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) {
            if (!(k in schema.properties))
                throw new ConfigError(`${key}.${k}: not allowed; allowed: ${Object.keys(schema.properties).join(", ")}`);
            checkValue(`${key}.${k}`, v, schema.properties[k]);
        }
        for (const k of schema.required ?? []) if (!(k in value)) throw new ConfigError(`${key}.${k}: required`);
    }
}

function isType(value: unknown, type: string): boolean {
    switch (type) {
        case "number":
            return typeof value === "number" && Number.isFinite(value);
        case "integer":
            return Number.isInteger(value);
        case "string":
            return typeof value === "string";
        case "boolean":
            return typeof value === "boolean";
        case "array":
            return Array.isArray(value);
        case "object":
            return typeof value === "object" && value !== null && !Array.isArray(value);
        case "null":
            return value === null;
        default:
            return false;
    }
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function rangeOf(s: Schema): string {
    const parts = [
        s.minimum !== undefined ? `≥ ${s.minimum}` : s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : "",
        s.maximum !== undefined ? `≤ ${s.maximum}` : s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : "",
    ].filter(Boolean);
    return parts.length ? ` ${parts.join(" and ")}` : "";
}

const describe = (value: unknown) => (value === undefined ? "nothing" : JSON.stringify(value));

/** ` (did you mean "x"?)` for a name one or two edits (or a letter case) away from an allowed one. */
function suggest(name: string, allowed: string[]): string {
    const near = allowed.find((a) => a.toLowerCase() === name.toLowerCase() || distance(a.toLowerCase(), name.toLowerCase()) <= 2);
    return near ? ` (did you mean ${JSON.stringify(near)}?)` : "";
}

function distance(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const row = [i];
        for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = row;
    }
    return prev[b.length];
}
