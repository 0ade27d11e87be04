/**
 * Keeps Pulumi.yaml's `config:` block and README.md's config table in step with stacks/config.ts, the one place
 * config keys are declared. `npm run config:sync` rewrites both; the tests fail when either has drifted.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { CONFIG_SCHEMA } from "../stacks/config";

const ROOT = path.resolve(__dirname, "..");
const README_START = "<!-- config-table:start (npm run config:sync) -->";
const README_END = "<!-- config-table:end -->";

/** The `config:` block of Pulumi.yaml, as an object. */
export function pulumiConfigBlock(): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(CONFIG_SCHEMA).map(([key, spec]) => [
            key,
            {
                type: spec.type,
                ...("items" in spec ? { items: { type: spec.items } } : {}),
                description: spec.description,
                default: spec.default,
            },
        ]),
    );
}

/** The README's config table. */
export function readmeConfigTable(): string {
    const rows = Object.entries(CONFIG_SCHEMA).map(
        ([key, spec]) => `| \`cloud-labs:${key}\` | ${spec.type} | \`${JSON.stringify(spec.default)}\` | ${spec.description} |`,
    );
    return [README_START, "| key | type | default | what it does |", "|---|---|---|---|", ...rows, README_END].join("\n");
}

export function renderPulumiYaml(current: string): string {
    const head = current.split(/^config:\s*$/m)[0].trimEnd();
    return `${head}\nconfig:\n${stringify(pulumiConfigBlock(), { indent: 2 }).replace(/^/gm, "  ").trimEnd()}\n`;
}

export function renderReadme(current: string): string {
    const start = current.indexOf(README_START);
    const end = current.indexOf(README_END);
    if (start < 0 || end < 0) throw new Error(`README.md lacks the ${README_START} … ${README_END} markers`);
    return current.slice(0, start) + readmeConfigTable() + current.slice(end + README_END.length);
}

if (require.main === module) {
    for (const [file, render] of [
        ["Pulumi.yaml", renderPulumiYaml],
        ["README.md", renderReadme],
    ] as const) {
        const full = path.join(ROOT, file);
        fs.writeFileSync(full, render(fs.readFileSync(full, "utf8")));
        console.log(`updated ${file}`);
    }
}
