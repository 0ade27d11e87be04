import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readStackConfig, StackFileError } from "../../shared/stack-files";

describe("stack files: bad content is named, never the defaults (issue 18)", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-stack-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const read = (content: string) => {
        const file = path.join(dir, "Pulumi.broken.yaml");
        fs.writeFileSync(file, content);
        return () => readStackConfig(file);
    };
    const fails = (content: string, problem: RegExp) =>
        assert.throws(read(content), (error: unknown) => {
            assert.ok(error instanceof StackFileError, String(error));
            assert.match(error.message, /Pulumi\.broken\.yaml /, "names the file");
            assert.match(error.message, problem);
            return true;
        });

    it("names the file of invalid YAML, with the parser's line", () => {
        fails("config:\n  aws:region: [us-east-1\n", /is not valid YAML: .*line \d+/);
    });
    it("refuses an empty file and a comments-only file", () => {
        fails("", /is empty/);
        fails("# nothing here\n", /is empty/);
    });
    it("refuses a plain string, a list, and a config that is not a mapping", () => {
        fails("hello", /must be a YAML mapping with a config: section; it holds a string \("hello"\)/);
        fails("- 1\n- 2\n", /must be a YAML mapping.*a list/);
        fails("config: [1, 2]\n", /has config: a list \(\[1,2\]\); config must be a mapping/);
        fails("config: 3\n", /has config: a number/);
    });
    it("says a missing file does not exist", () => {
        assert.throws(() => readStackConfig(path.join(dir, "Pulumi.gone.yaml")), /Pulumi\.gone\.yaml does not exist/);
    });
    it("still reads a good file, namespacing bare keys and JSON-encoding non-strings", () => {
        assert.deepEqual(read("config:\n  aws:region: eu-west-1\n  cloud-labs:labs: [hello]\n  tracing: true\n")(), {
            "aws:region": "eu-west-1",
            "cloud-labs:labs": '["hello"]',
            "cloud-labs:tracing": "true",
        });
    });
});
