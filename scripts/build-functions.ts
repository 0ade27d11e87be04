/**
 * `npm run build`: bundles every Lambda (functions/<name>/index.ts) exactly as `pulumi up` does, into
 * dist/functions/<name>/index.js, so the deployed code can be read and its size checked.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { bundle, functionEntries, PROJECT_ROOT } from "../stacks/bundle";

if (require.main === module) {
    for (const entry of functionEntries()) {
        const name = path.basename(path.dirname(entry));
        const out = path.join(PROJECT_ROOT, "dist", "functions", name, "index.js");
        fs.mkdirSync(path.dirname(out), { recursive: true });
        const { code } = bundle(entry);
        fs.writeFileSync(out, code);
        console.log(`${path.relative(PROJECT_ROOT, out)}  ${(Buffer.byteLength(code) / 1024).toFixed(1)} KB`);
    }
}
