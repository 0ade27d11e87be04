/** Headless Chromium for the page tests: Debian's /usr/bin/chromium through playwright-core. */
import * as fs from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/**
 * Launches Chromium, or skips the suite (`SKIP_BROWSER=1`) when it is missing; without that setting a missing
 * Chromium fails, saying how to install it. Call from `before` with its `this`.
 */
export async function launchChromium(suite: Mocha.Context, extraArgs: string[] = []): Promise<Browser | undefined> {
    if (!fs.existsSync(CHROMIUM)) {
        if (process.env.SKIP_BROWSER === "1") return void suite.skip();
        throw new Error(`${CHROMIUM} is missing: install it with 'apt-get install chromium' (or set SKIP_BROWSER=1 to skip this test)`);
    }
    return chromium.launch({
        executablePath: CHROMIUM,
        args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            ...extraArgs,
        ],
    });
}
