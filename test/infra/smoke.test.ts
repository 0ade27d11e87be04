import * as assert from "node:assert/strict";
import { runProgram } from "../helpers/program";

describe("smoke", () => {
    it("runs dev", async () => {
        const run = await runProgram("dev");
        console.log(run.resources.map((r) => `${r.type} ${r.name} ${r.provider ?? ""}`).join("\n"));
        console.log(JSON.stringify(run.outputs, null, 1));
        assert.ok(run.resources.length > 10);
    });
});
