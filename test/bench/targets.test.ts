import * as assert from "node:assert/strict";
import type { Measurements } from "../../bench/results";
import { targets } from "../../bench/targets";
import { directoryCase, results } from "./fixtures";

const { targets: _recorded, ...measured } = results;

/** The target whose text starts with `prefix`, as `text: measured ✅|❌`. */
function verdict(m: Measurements, prefix: string): string {
    const found = targets(m).filter((t) => t.target.startsWith(prefix));
    assert.equal(found.length, 1, `one target starts with ${prefix}: ${JSON.stringify(found)}`);
    return `${found[0].measured} ${found[0].pass ? "✅" : "❌"}`;
}

describe("benchmark targets", () => {
    it("hold ours within 1.15× of the floor at every round trip of the sweep, cold and warm", () => {
        assert.equal(verdict(measured, "50 files × 100 at 0 ms: ours cold within 1.15× of the floor"), "1.08× ✅");
        assert.equal(verdict(measured, "50 files × 100 at 100 ms: ours warm within 1.15× of the floor"), "1.03× ✅");
        const slow = { ...measured, sweep: [directoryCase("50 files × 100", 0, 100, 116)] };
        assert.equal(verdict(slow, "50 files × 100 at 0 ms: ours cold within 1.15× of the floor"), "1.16× ❌");
    });

    it("allow the 1,500-file case 1.3× of the floor and 256 MB of memory", () => {
        assert.equal(verdict(measured, "1,500 files × 1 at 20 ms: ours cold within 1.3× of the floor"), "1.25× ✅");
        assert.equal(verdict(measured, "1,500 files × 1: peak RSS of the function's own process under 256 MB"), "187 MB ✅");
        const heavy = {
            ...measured,
            directory: [measured.directory[0], measured.directory[1], directoryCase("1,500 files × 1", 20, 1000, 1400, 300)],
        };
        assert.equal(verdict(heavy, "1,500 files × 1 at 20 ms: ours cold within 1.3× of the floor"), "1.40× ❌");
        assert.equal(verdict(heavy, "1,500 files × 1: peak RSS"), "300 MB ❌");
    });

    it("want one LIST per 1,000 keys and no GET when warm and unchanged", () => {
        assert.equal(verdict(measured, "seed: 3 files × 500: warm unchanged"), "1 LIST, 0 GET ✅");
        const many = { ...directoryCase("1,500 files × 1", 20, 1000, 1250), files: 1500 };
        const oneList = { ...measured, directory: [measured.directory[0], measured.directory[1], many] };
        assert.equal(verdict(oneList, "1,500 files × 1: warm unchanged"), "1 LIST, 0 GET ❌");
        const twoLists = {
            ...measured,
            directory: [measured.directory[0], measured.directory[1], { ...many, warm: { ...many.warm, lists: 2 } }],
        };
        assert.equal(verdict(twoLists, "1,500 files × 1: warm unchanged"), "2 LIST, 0 GET ✅");
    });

    it("want cold 50 files 8× faster than the baseline, gzip a quarter, every record, small bundles and a quick start", () => {
        assert.equal(verdict(measured, "cold with 50 files at least 8× faster than the baseline"), "4.5× ❌");
        assert.equal(verdict(measured, "gzip at most a quarter"), "25.0% ✅");
        assert.equal(verdict(measured, "1,500 files: every record returned"), "ours 5000, baseline 5000 ✅");
        assert.equal(verdict(measured, "directory bundle under 600 KB"), "427 KB ✅");
        assert.equal(verdict(measured, "npm start with every lab ready in under 5 s"), "2.5 s ✅");
        assert.ok(
            !targets({ ...measured, labStart: undefined }).some((t) => t.target.startsWith("npm start")),
            "no start-up target without a start-up figure",
        );
    });
});
