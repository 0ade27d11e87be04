/**
 * The layers of docs/architecture.md, checked against every relative import in the repository: functions/ ←
 * stacks/ ← shared/ ← entry points, and no entry point imports another.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./helpers/program";

/** The layer of a file (higher imports lower), and its room: the entry point or folder it belongs to. */
export function placeOf(relative: string): { layer: number; room: string } | undefined {
    const parts = relative.split(/[\\/]/);
    switch (parts[0]) {
        case "functions":
            return { layer: 1, room: "functions" };
        case "stacks":
            return { layer: 2, room: "stacks" };
        case "shared":
            return { layer: 3, room: "shared" };
        case "scripts":
            return { layer: 4, room: "scripts" };
        case "index.ts":
            return { layer: 4, room: "index.ts" };
        case "policy":
        case "local":
        case "bench":
            return { layer: 4, room: parts[0] };
        case "tools":
            return { layer: 4, room: `tools/${parts[1]}` };
        default:
            return undefined;
    }
}

/** Every import that breaks the layers, as "from -> to". */
export function layerViolations(files: Map<string, string>): string[] {
    const found: string[] = [];
    const specifier = /(?:from\s+|import\(\s*|require\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g;
    for (const [file, text] of files) {
        const from = placeOf(file);
        if (!from) continue;
        for (const match of text.matchAll(specifier)) {
            const target = path.normalize(path.join(path.dirname(file), match[1]));
            const to = placeOf(target);
            if (target.startsWith("test")) {
                found.push(`${file} -> ${target} (test helpers are for tests only)`);
            } else if (to && to.room !== from.room && to.layer >= from.layer) {
                found.push(`${file} -> ${target} (layer ${from.layer} ${from.room} may not import layer ${to.layer} ${to.room})`);
            }
        }
    }
    return found;
}

function sources(dir = ROOT, out = new Map<string, string>()): Map<string, string> {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (["node_modules", ".git", "test", ".labs", "bin", "dist"].includes(entry.name)) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) sources(full, out);
        else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts"))
            out.set(path.relative(ROOT, full), fs.readFileSync(full, "utf8"));
    }
    return out;
}

describe("the layers of docs/architecture.md", () => {
    it("no file imports a layer above it, a folder beside it, or a test helper", () => {
        assert.deepEqual(layerViolations(sources()), []);
    });

    it("the check itself catches an upward, a sideways and a test import", () => {
        const broken = new Map([
            ["stacks/a.ts", 'import { x } from "../shared/outputs";'],
            ["tools/cost/cli.ts", 'import { y } from "../verify/cli";'],
            ["local/start.ts", 'import { z } from "../tools/verify/cli";'],
            ["bench/run.ts", 'import { e } from "../test/helpers/events";'],
            ["shared/ok.ts", 'import { f } from "../stacks/config";'],
        ]);
        assert.deepEqual(
            layerViolations(broken).map((v) => v.split(" ")[0]),
            ["stacks/a.ts", "tools/cost/cli.ts", "local/start.ts", "bench/run.ts"],
        );
    });
});
