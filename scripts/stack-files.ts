/**
 * The stacks the repository ships (Pulumi.<stack>.yaml) and their config as the Pulumi CLI hands it to the
 * program. Shared by the mocks runner, `npm run cost` and `npm run leftovers`; no Pulumi SDK needed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const ROOT = path.resolve(__dirname, "..");
export const PROJECT = "cloud-labs";

/** The stacks the repository ships: every `Pulumi.<stack>.yaml` at the root. */
export function shippedStacks(): string[] {
    return fs
        .readdirSync(ROOT)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => Boolean(s))
        .sort();
}

/** A stack's config as the Pulumi CLI hands it to the program: `ns:key` → string (JSON for non-strings). */
export function stackConfig(stack: string): Record<string, string> {
    const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
    const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    return toConfigStrings(doc.config ?? {});
}

function toConfigStrings(config: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        const full = key.includes(":") ? key : `${PROJECT}:${key}`;
        out[full] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return out;
}

/** The lab a resource belongs to, from its provider reference: every lab's AWS provider is named `<lab>-aws`. */
export function labOf(resource: { provider?: string }): string | undefined {
    return /::([^:]+)-aws::[^:]+$/.exec(resource.provider ?? "")?.[1];
}
