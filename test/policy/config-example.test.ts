/** The example policy-config.json at the root: what the docs pass as --policy-pack-config, parsed as the pack reads it. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../../shared/guardrails/policies";
import { ROOT } from "../helpers/program";

const FILE = path.join(ROOT, "policy-config.json");
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

describe("policy-config.json (the example pack config)", () => {
    it("parses as the pack's config: policy names (or all), each an enforcement level or an object the policy's schema allows", () => {
        const config = JSON.parse(fs.readFileSync(FILE, "utf8")) as Record<string, unknown>;
        assert.ok(typeof config === "object" && config !== null && !Array.isArray(config), "a JSON object");
        assert.ok(Object.keys(config).length > 0, "an example shows something");
        const byName = new Map(policies.map((p) => [p.name, p]));
        for (const [name, value] of Object.entries(config)) {
            assert.ok(name === "all" || byName.has(name), `${name} is a policy of the pack (${[...byName.keys()].join(", ")})`);
            if (typeof value === "string") {
                assert.ok(LEVELS.includes(value), `${name}: ${value} is an enforcement level`);
                continue;
            }
            assert.ok(typeof value === "object" && value !== null, `${name}: a level or an object`);
            const properties = (byName.get(name)?.configSchema?.properties ?? {}) as Record<string, { type?: string; minimum?: number }>;
            for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
                if (key === "enforcementLevel") {
                    assert.ok(LEVELS.includes(String(v)), `${name}.enforcementLevel: ${String(v)}`);
                    continue;
                }
                const schema = properties[key];
                assert.ok(schema, `${name}.${key} is in the policy's configSchema (${Object.keys(properties).join(", ") || "none"})`);
                if (schema.type === "number")
                    assert.ok(typeof v === "number" && v >= (schema.minimum ?? -Infinity), `${name}.${key}: a number`);
            }
        }
    });

    it("is the file the guardrails docs pass to pulumi preview and npm run policy", () => {
        const docs = fs.readFileSync(path.join(ROOT, "docs", "guardrails.md"), "utf8");
        assert.match(docs, /pulumi preview --stack dev --policy-pack policy --policy-pack-config policy-config\.json/);
        assert.match(docs, /npm run policy -- --stack \w+ --config policy-config\.json/);
        assert.doesNotMatch(docs, /> policy-config\.json/, "the docs use the example, not a file they overwrite");
    });
});
