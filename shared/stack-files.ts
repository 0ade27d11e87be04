/**
 * The stacks the repository ships (Pulumi.<stack>.yaml) and their config as the Pulumi CLI hands it to the
 * program. Shared by the mocks runner, `npm run cost` and `npm run leftovers`; no Pulumi SDK needed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { UsageError } from "./cli";

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

/** The `--stack NAME` of a tool that runs the program under mocks: a shipped stack, or a UsageError naming them. */
export function shippedStackFlag(stack: string | undefined): string {
    if (!stack) throw new UsageError("--stack is required");
    if (!fs.existsSync(stackFile(stack))) {
        throw new UsageError(
            `unknown stack ${JSON.stringify(stack)}: there is no Pulumi.${stack}.yaml (stacks: ${shippedStacks().join(", ")})`,
        );
    }
    return stack;
}

/** A stack file that cannot be read as Pulumi reads it; the message names the file and the problem. */
export class StackFileError extends Error {
    constructor(
        readonly file: string,
        problem: string,
    ) {
        super(`${path.relative(ROOT, file) || file} ${problem}`);
        this.name = "StackFileError";
    }
}

/** The path of a stack's file, `Pulumi.<stack>.yaml` at the root. */
export function stackFile(stack: string): string {
    return path.join(ROOT, `Pulumi.${stack}.yaml`);
}

/** A stack's config as the Pulumi CLI hands it to the program: `ns:key` → string (JSON for non-strings). */
export function stackConfig(stack: string): Record<string, string> {
    return readStackConfig(stackFile(stack));
}

/**
 * The config of one stack file. A file that is missing, not YAML, empty, or whose `config` is not a mapping is a
 * StackFileError naming the file, never silently the defaults.
 */
export function readStackConfig(file: string): Record<string, string> {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new StackFileError(file, code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? (error as Error).message})`);
    }
    let doc: unknown;
    try {
        doc = parse(text);
    } catch (error) {
        throw new StackFileError(file, `is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
    }
    if (doc === null || doc === undefined) throw new StackFileError(file, "is empty: it needs a config: mapping with at least aws:region");
    if (!isMapping(doc)) {
        throw new StackFileError(file, `must be a YAML mapping with a config: section; it holds ${describeYaml(doc)}`);
    }
    const config = doc.config ?? {};
    if (!isMapping(config)) {
        throw new StackFileError(
            file,
            `has config: ${describeYaml(config)}; config must be a mapping of keys to values (e.g. aws:region: us-east-1)`,
        );
    }
    return toConfigStrings(config);
}

function isMapping(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeYaml(value: unknown): string {
    if (Array.isArray(value)) return `a list (${JSON.stringify(value).slice(0, 60)})`;
    return `a ${typeof value} (${JSON.stringify(value).slice(0, 60)})`;
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
