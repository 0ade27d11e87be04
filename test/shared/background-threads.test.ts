import * as assert from "node:assert/strict";
import * as os from "node:os";
import { Worker } from "node:worker_threads";
import { BACKGROUND_NICE_ENV, backgroundNice } from "../../shared/background-threads";
import { TYPESCRIPT_HOOK } from "../../shared/cli";

describe("background threads (the local stand-ins for other machines)", function () {
    this.timeout(30_000);

    it("read their niceness from CLOUD_LABS_BACKGROUND_NICE: 0 to 19, 0 when unset, a clear error otherwise", () => {
        assert.equal(backgroundNice({}), 0);
        assert.equal(backgroundNice({ [BACKGROUND_NICE_ENV]: "19" }), 19);
        for (const bad of ["-1", "20", "high", "1.5"])
            assert.throws(
                () => backgroundNice({ [BACKGROUND_NICE_ENV]: bad }),
                /CLOUD_LABS_BACKGROUND_NICE=.*whole number from 0 .* to 19/,
            );
    });

    it("lower the priority of their own thread only: the lab's accept path keeps its own", async function () {
        if (process.platform !== "linux") this.skip(); // per-thread niceness is Linux's
        const before = os.getPriority(0);
        const seen = await new Promise<number>((resolve, reject) => {
            const worker = new Worker(
                `const { parentPort, workerData } = require("node:worker_threads");
                 require(workerData.hook);
                 const { niceThisThread } = require(workerData.module);
                 if (!niceThisThread(7)) throw new Error("niceThisThread returned false");
                 parentPort.postMessage(require("node:os").getPriority(0));`,
                { eval: true, workerData: { hook: TYPESCRIPT_HOOK, module: require.resolve("../../shared/background-threads") } },
            );
            worker.once("message", resolve);
            worker.once("error", reject);
        });
        assert.equal(seen, Math.max(before, 7), "the worker thread runs at nice 7");
        assert.equal(os.getPriority(0), before, "this thread's priority is unchanged");
    });
});
