import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { placeholderUserFiles, userGenerator } from "../../shared/placeholder-users";
import { ROOT } from "../helpers/program";

describe("placeholder users", () => {
    it("reproduces the lab's seed data, data/users_1.json … users_3.json, byte for byte", () => {
        placeholderUserFiles(1500, 500).forEach((users, i) => {
            const file = path.join(ROOT, "data", `users_${i + 1}.json`);
            assert.equal(JSON.stringify(users, null, 1) + "\n", fs.readFileSync(file, "utf8"), `data/users_${i + 1}.json`);
        });
    });

    it("numbers the records across files, the last file holding what is left", () => {
        const files = placeholderUserFiles(5, 2);
        assert.deepEqual(
            files.map((f) => f.map((u) => u.id.value)),
            [["E00001", "E00002"], ["E00003", "E00004"], ["E00005"]],
        );
    });

    it("gives each generator its own sequence, so one caller does not shift another's records", () => {
        const a = userGenerator();
        a(1);
        assert.deepEqual(userGenerator()(1), placeholderUserFiles(1, 1)[0][0]);
        assert.notDeepEqual(a(2), userGenerator()(2));
    });
});
