/**
 * The sign-up page in real headless Chromium (Debian's /usr/bin/chromium through playwright-core) against the local
 * sign-up lab: the page posts, shows the id, and its state turns from queued to stored once the consumer core has
 * written it to the local DynamoDB.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import { memoryLogger } from "../../functions/shared/log";
import { startLab, type RunningLab } from "../../local/lab-server";
import { launchChromium } from "../helpers/chromium";

describe("sign-up page in headless Chromium", function () {
    this.timeout(120_000);
    let lab: RunningLab;
    let browser: Browser;
    let labDir: string;

    before(async function () {
        const launched = await launchChromium(this);
        if (!launched) return;
        browser = launched;
        labDir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-e2e-signup-"));
        lab = await startLab({ labDir, port: 0, labs: ["signup"], log: () => undefined, logger: memoryLogger() });
    });
    after(async () => {
        await browser?.close();
        await lab?.close();
        if (labDir) fs.rmSync(labDir, { recursive: true, force: true });
    });

    it("signs up, shows the id, and sees the state change from queued to stored; the same email again is a duplicate", async () => {
        const page = await browser.newPage();
        const requests: string[] = [];
        page.on("request", (r) => requests.push(new URL(r.url()).host));
        try {
            await page.goto(lab.outputs.signupWebsiteUrl!);
            await page.fill("#name", "Grace Hopper");
            await page.fill("#email", "grace@example.org");
            await page.click("#submit");
            await page.waitForFunction(() => (document.querySelector("#signup-id")?.textContent ?? "").length > 0);
            const id = (await page.textContent("#signup-id")) ?? "";
            assert.match(id, /^[0-9a-f-]{36}$/);
            await page.waitForFunction(() => document.querySelector("#status")?.getAttribute("data-state") === "stored");
            assert.match((await page.textContent("#state")) ?? "", /^stored/);
            const status = (await (await fetch(`${lab.url}/signup/${id}`)).json()) as { state: string };
            assert.equal(status.state, "stored", "the page shows what the API answers");

            await page.fill("#email", "GRACE@example.org");
            await page.click("#submit");
            await page.waitForFunction((first) => {
                const shown = document.querySelector("#signup-id")?.textContent;
                return shown !== first && document.querySelector("#status")?.getAttribute("data-state") === "duplicate";
            }, id);

            await page.fill("#email", "not an address");
            await page.click("#submit");
            await page.waitForFunction(() => document.querySelector("#status")?.getAttribute("data-state") === "rejected");
            assert.equal(await page.textContent("#reason"), "(email is not a valid address)");
            assert.deepEqual([...new Set(requests)], [new URL(lab.url).host], "no external assets: every request goes to the lab");
        } finally {
            await page.close();
        }
    });
});
