/**
 * The directory lab's files, shared by the Pulumi component and the local lab. No Pulumi imports, so
 * `npm start` does not load the AWS provider SDK just to find a folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The seed files: data/users_*.json, 500 placeholder employees each. */
export const SEED_DIR = path.resolve(__dirname, "..", "data");
/** The web page: site/. */
export const SITE_DIR = path.resolve(__dirname, "..", "site");
/** The sign-up lab's page: site/signup/ (its own website; the directory's upload leaves it out). */
export const SIGNUP_SITE_DIR = path.join(SITE_DIR, "signup");

/** The users_*.json file names in a folder, sorted. */
export function seedFiles(dir = SEED_DIR): string[] {
    return fs
        .readdirSync(dir)
        .filter((f) => /^users_.*\.json$/.test(f))
        .sort();
}

/**
 * The `config.js` the page loads: it carries the API URL so the page hard-codes no endpoint. The local lab adds
 * `audioPage` (the header then links the audio lab's page).
 */
export function siteConfigScript(apiUrl: string, extra: { audioPage?: string } = {}): string {
    return `window.LAB_CONFIG = ${JSON.stringify({ apiUrl, ...extra })};\n`;
}
