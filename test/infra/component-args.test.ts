/**
 * A component checks its own arguments with the config's rules: `new EmployeeDirectory(...)` or `new AudioLab(...)`
 * with bad arguments fails before creating anything, naming every bad value as bad config would.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { AudioLab } from "../../stacks/audio";
import { ComponentArgsError, loadConfig } from "../../stacks/config";
import { EmployeeDirectory } from "../../stacks/directory";
import { SignupLab } from "../../stacks/signup";

describe("components check their own arguments", () => {
    before(() =>
        pulumi.runtime.setMocks(
            { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs },
            "cloud-labs",
            "component-args",
        ),
    );

    it("EmployeeDirectory: every bad argument at once, in the config's words", () => {
        assert.throws(
            () =>
                new EmployeeDirectory("dir", {
                    dataPrefix: "/users",
                    throttle: { burst: 0, rate: 20 },
                    extraCorsOrigins: ["http://x/path"],
                }),
            (error: unknown) => {
                assert.ok(error instanceof ComponentArgsError);
                assert.match(error.message, /^Invalid arguments to EmployeeDirectory "dir":/);
                assert.deepEqual(error.problems, [
                    'cloud-labs:directoryDataPrefix = "/users": must be 1-200 safe S3 key characters, not starting with /.',
                    'cloud-labs:apiThrottleBurst = "0": must be a whole number from 1 to 5000.',
                    'cloud-labs:apiCorsExtraOrigins = "http://x/path": each entry must be an origin like http://localhost:3000 (no path).',
                ]);
                return true;
            },
        );
    });

    it("AudioLab: a voice without the engine, a missing seed text and a bad skill id", () => {
        assert.throws(
            () =>
                new AudioLab("audio", {
                    voice: "Joanna",
                    engine: "loud",
                    seedTexts: ["nope.txt"],
                    factSkill: { from: "function", skillId: "skill" },
                }),
            (error: unknown) => {
                assert.ok(error instanceof ComponentArgsError);
                assert.deepEqual(
                    error.problems.map((p) => p.split(" = ")[0]),
                    ["cloud-labs:audioEngine", "cloud-labs:audioSeedTexts", "cloud-labs:alexaSkillId"],
                );
                return true;
            },
        );
    });

    it("SignupLab: a concurrency below the event source mapping's minimum, a batch above 10, no receives", () => {
        assert.throws(
            () => new SignupLab("signup", { maxConcurrency: 1, batchSize: 11, maxReceiveCount: 0 }),
            (error: unknown) => {
                assert.ok(error instanceof ComponentArgsError);
                assert.deepEqual(error.problems, [
                    'cloud-labs:signupBatchSize = "11": must be a whole number from 1 to 10.',
                    'cloud-labs:signupMaxConcurrency = "1": must be a whole number from 2 to 1000.',
                    'cloud-labs:signupMaxReceiveCount = "0": must be a whole number from 1 to 1000.',
                ]);
                return true;
            },
        );
    });

    it("the same rule says the same sentence from config and from code", () => {
        let fromConfig = "";
        try {
            loadConfig((key) => ({ labs: '["directory"]', apiThrottleBurst: "0" })[key]);
        } catch (error) {
            fromConfig = (error as ComponentArgsError).problems[0];
        }
        let fromCode = "";
        try {
            new EmployeeDirectory("dir2", { throttle: { burst: 0, rate: 20 } });
        } catch (error) {
            fromCode = (error as ComponentArgsError).problems[0];
        }
        assert.equal(fromConfig, 'cloud-labs:apiThrottleBurst = "0": must be a whole number from 1 to 5000.');
        assert.equal(fromCode, fromConfig);
    });

    it("good arguments build", () => {
        assert.doesNotThrow(() => new EmployeeDirectory("ok", { dataPrefix: "users", throttle: { burst: 50, rate: 20 } }));
    });
});
