/**
 * Writes data/users_1.json … users_3.json: 1,500 placeholder employees, 500 a file (shared/placeholder-users.ts).
 * Seeded and deterministic: running it again yields byte-identical files.
 *
 *   npm run generate:users
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { placeholderUserFiles } from "../shared/placeholder-users";

const FILES = 3;
const PER_FILE = 500;

if (require.main === module) {
    const dir = path.resolve(__dirname, "..", "data");
    fs.mkdirSync(dir, { recursive: true });
    placeholderUserFiles(FILES * PER_FILE, PER_FILE).forEach((users, i) => {
        fs.writeFileSync(path.join(dir, `users_${i + 1}.json`), JSON.stringify(users, null, 1) + "\n");
    });
    console.log(`wrote ${FILES * PER_FILE} users to ${path.relative(process.cwd(), dir)}/users_{1..${FILES}}.json`);
}
