/**
 * The web service's image: what it is built from (containers/httpd) and the tag it is pushed under. SDK-free.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "./bundle";
import type { WebServiceConfig } from "./config";

/** The container the lab builds: Apache httpd serving the sample page (containers/httpd). */
export const CONTAINER_CONTEXT = path.join(PROJECT_ROOT, "containers", "httpd");

/**
 * Version of how the image is built (the Dockerfile's build arguments, the build settings in web-service.ts). Part
 * of the image tag: raise it when the build changes without the build context changing, so a new tag is pushed
 * (the repository's tags are immutable).
 */
export const IMAGE_RECIPE_VERSION = 1;

export function platformOf(architecture: WebServiceConfig["architecture"]): "linux/arm64" | "linux/amd64" {
    return architecture === "ARM64" ? "linux/arm64" : "linux/amd64";
}

/** The image tag: `sha-<hash of the context and the recipe version>-<arm64|amd64>`. */
export function imageTag(dir: string, platform: string, recipeVersion = IMAGE_RECIPE_VERSION): string {
    return `${contextHash(dir, recipeVersion)}-${platform.replace(/^linux\//, "")}`;
}

/** A short hash of every file in the build context and the recipe version. */
export function contextHash(dir: string, recipeVersion = IMAGE_RECIPE_VERSION): string {
    const hash = crypto.createHash("sha256");
    hash.update(`recipe ${recipeVersion}\0`);
    const walk = (d: string): string[] =>
        fs
            .readdirSync(d, { withFileTypes: true })
            .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]))
            .sort();
    for (const file of walk(dir)) {
        hash.update(path.relative(dir, file).split(path.sep).join("/"));
        hash.update("\0");
        hash.update(fs.readFileSync(file));
    }
    return `sha-${hash.digest("hex").slice(0, 16)}`;
}
