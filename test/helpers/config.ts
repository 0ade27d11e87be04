import * as assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../stacks/config";

/** Loads config from plain `key → raw string` values, as Pulumi hands them over. */
export const load = (values: Record<string, string>) => loadConfig((key) => values[key]);

/** Asserts the values fail with a ConfigError whose message matches every pattern. */
export function rejects(values: Record<string, string>, ...patterns: RegExp[]): void {
    assert.throws(
        () => load(values),
        (error: unknown) => {
            assert.ok(error instanceof ConfigError, String(error));
            for (const p of patterns) assert.match(error.message, p);
            return true;
        },
    );
}
