import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { markers, OUT_DIR, recordArtifacts, renderArtifacts, staleArtifacts, writeRun } from "../../bench/record";
import { ROOT } from "../helpers/program";

describe("benchmark recording convention", () => {
    let root: string;
    const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-record-"));
        fs.writeFileSync(
            path.join(root, "PAGE.md"),
            "intro\n<!-- a:start (cmd) -->\nold a\n<!-- a:end -->\nmiddle\n<!-- b:start (cmd) -->\nold b\n<!-- b:end -->\nend\n",
        );
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("replaces only the blocks between their markers, several in one page, and writes whole files whole", () => {
        const changed = recordArtifacts(root, [
            { file: "PAGE.md", text: "new a", markers: markers("a", "cmd") },
            { file: "PAGE.md", text: "new b\nsecond line", markers: markers("b", "cmd") },
            { file: "sub/whole.json", text: "{}\n" },
        ]);
        assert.deepEqual(changed.sort(), ["PAGE.md", "sub/whole.json"]);
        assert.equal(
            read("PAGE.md"),
            "intro\n<!-- a:start (cmd) -->\nnew a\n<!-- a:end -->\nmiddle\n<!-- b:start (cmd) -->\nnew b\nsecond line\n<!-- b:end -->\nend\n",
        );
        assert.equal(read("sub/whole.json"), "{}\n");
        assert.deepEqual(fs.readdirSync(path.join(root, "sub")), ["whole.json"], "no temporary file is left");
    });

    it("writes nothing when one page lacks its markers, and names it", () => {
        const before = read("PAGE.md");
        assert.throws(
            () =>
                recordArtifacts(root, [
                    { file: "PAGE.md", text: "new a", markers: markers("a", "cmd") },
                    { file: "PAGE.md", text: "x", markers: markers("c", "cmd") },
                ]),
            /PAGE\.md lacks the markers <!-- c:start \(cmd\) -->/,
        );
        assert.equal(read("PAGE.md"), before);
    });

    it("reports a file stale when it differs from what its artifacts render, or is missing", () => {
        const current = [{ file: "PAGE.md", text: "old a", markers: markers("a", "cmd") }];
        assert.deepEqual(staleArtifacts(root, current), []);
        assert.deepEqual(staleArtifacts(root, [{ file: "PAGE.md", text: "other", markers: markers("a", "cmd") }]), ["PAGE.md"]);
        assert.deepEqual(staleArtifacts(root, [{ file: "missing.md", text: "x" }]), ["missing.md"]);
        assert.equal(renderArtifacts(root, current).get("PAGE.md"), read("PAGE.md"));
    });

    it("a run without --record writes only bench/out/, prints the tables and names what --record would write", () => {
        const lines: string[] = [];
        const io = { out: (t: string) => lines.push(`out: ${t}`), err: (t: string) => lines.push(`err: ${t}`) };
        const written = writeRun(
            root,
            {
                name: "surge",
                results: { n: 1 },
                markdown: "| n |\n|---|\n| 1 |",
                tracked: [{ file: "PAGE.md", text: "new a", markers: markers("a", "cmd") }],
                record: false,
            },
            io,
        );
        assert.deepEqual(written, [`${OUT_DIR}/surge.json`, `${OUT_DIR}/surge.md`]);
        assert.equal(read("bench/out/surge.json"), '{\n  "n": 1\n}\n');
        assert.equal(read("bench/out/surge.md"), "| n |\n|---|\n| 1 |\n");
        assert.match(read("PAGE.md"), /old a/);
        assert.deepEqual(lines, [
            "out: | n |\n|---|\n| 1 |",
            "err: wrote bench/out/surge.json and bench/out/surge.md (not tracked by git)",
            "err: --record would also write PAGE.md",
        ]);
    });

    it("bench/out/ is ignored by git", () => {
        const ignored = fs
            .readFileSync(path.join(ROOT, ".gitignore"), "utf8")
            .split("\n")
            .map((l) => l.trim());
        assert.ok(ignored.includes(`${OUT_DIR}/`), `.gitignore lists ${OUT_DIR}/`);
    });
});
