/**
 * The audio lab's files, shared by the Pulumi program and the local lab. No Pulumi imports, so `npm start` does
 * not load the SDKs just to find a folder.
 */
import * as path from "node:path";

/** Where the audio lab's seed texts are; `audioSeedTexts` names files in it. */
export const TEXTS_DIR = path.resolve(__dirname, "..", "data", "texts");
