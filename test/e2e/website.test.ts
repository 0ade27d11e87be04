/**
 * The employee-directory website in real headless Chromium (Debian's /usr/bin/chromium through playwright-core),
 * against the local lab: the same page, handler core and S3 API a user gets from `npm start`.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../helpers/chromium";
import { startLab, type RunningLab } from "../../local/lab-server";
import { localS3Client } from "../../shared/local-s3";
import { memoryLogger } from "../../functions/shared/log";
import { ROOT } from "../helpers/program";

const SCREENSHOT = path.join(ROOT, "test-output", "directory.png");

describe("directory website in headless Chromium", function () {
    this.timeout(120_000);
    let lab: RunningLab;
    let browser: Browser;
    let page: Page;
    let labDir: string;

    before(async function () {
        const launched = await launchChromium(this);
        if (!launched) return;
        browser = launched;
        labDir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-labs-e2e-"));
        lab = await startLab({ labDir, port: 0, labs: ["directory", "hello"], log: () => undefined, logger: memoryLogger() });
    });
    after(async () => {
        await browser?.close();
        await lab?.close();
        if (labDir) fs.rmSync(labDir, { recursive: true, force: true });
    });
    beforeEach(async () => {
        page = await browser.newPage();
    });
    afterEach(async () => {
        await page.close();
    });

    const count = () => page.locator("#count");
    const rows = () => page.locator("#users tbody tr");

    it("shows 1,500 employees in a table with names, and saves a screenshot", async () => {
        await page.goto(`${lab.url}/`);
        await page.waitForFunction(() => document.querySelector("#count")?.textContent === "1,500 employees");
        assert.equal(await rows().count(), 1500);
        const first = rows().first().locator("td");
        assert.match((await first.nth(1).textContent()) ?? "", /^\p{L}+$/u, "first name");
        assert.match((await first.nth(2).textContent()) ?? "", /^\p{L}+$/u, "last name");
        assert.match((await first.nth(3).textContent()) ?? "", /^\d+$/, "age");
        assert.ok(await page.locator("#loading").isHidden());
        assert.ok(await page.locator("#error").isHidden());
        fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT });
        console.log(`      screenshot: ${path.relative(process.cwd(), SCREENSHOT)}`);
    });

    it("fits a phone screen without sideways scrolling", async () => {
        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(`${lab.url}/`);
        await page.waitForFunction(() => document.querySelector("#count")?.textContent === "1,500 employees");
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
        await page.screenshot({ path: SCREENSHOT.replace(".png", "-phone.png") });
    });

    it("narrows the list as you type in the search box", async () => {
        await page.goto(`${lab.url}/`);
        await page.waitForFunction(() => document.querySelector("#count")?.textContent === "1,500 employees");
        await page.fill("#search", "engineering");
        await page.waitForFunction(
            () =>
                document.querySelector("#count")?.textContent !== "1,500 employees" &&
                !/^\s*$/.test(document.querySelector("#count")?.textContent ?? ""),
        );
        const expected = ((await (await fetch(`${lab.apiUrl}/users?q=engineering`)).json()) as { total: number }).total;
        assert.ok(expected > 0 && expected < 1500);
        assert.equal(await count().textContent(), `${expected.toLocaleString("en-US")} employees`);
        assert.equal(await rows().count(), expected);
        await page.fill("#search", "zzzz-nobody");
        await page.waitForSelector("#empty", { state: "visible" });
        assert.equal(await count().textContent(), "0 employees");
    });

    it("shows the API's error message, not a blank page, when the API fails", async () => {
        await page.route("**/users*", (route) =>
            route.fulfill({
                status: 502,
                contentType: "application/json",
                body: JSON.stringify({ message: "The data bucket does not exist (NoSuchBucket)" }),
            }),
        );
        await page.goto(`${lab.url}/`);
        await page.waitForSelector("#error", { state: "visible" });
        assert.match(
            (await page.locator("#error-message").textContent()) ?? "",
            /Could not load the directory: The data bucket does not exist/,
        );
        assert.ok(await page.locator("#users").isHidden());
        assert.ok(await page.locator("#loading").isHidden());
    });

    it("shows the error state when the API cannot be reached at all", async () => {
        await page.route("**/users*", (route) => route.abort("connectionrefused"));
        await page.goto(`${lab.url}/`);
        await page.waitForSelector("#error", { state: "visible" });
        assert.match((await page.locator("#error-message").textContent()) ?? "", /Could not load the directory: /);
        await page.unroute("**/users*");
        await page.click("#retry");
        await page.waitForSelector("#users", { state: "visible" });
        assert.ok(await page.locator("#error").isHidden());
    });

    // Last: it changes the lab's data.
    it("shows 1,000 after users_1.json is deleted through the S3 API and the page is reloaded", async () => {
        await page.goto(`${lab.url}/`);
        await page.waitForFunction(() => document.querySelector("#count")?.textContent === "1,500 employees");
        const s3 = localS3Client(lab.s3Endpoint);
        await s3.send(new DeleteObjectCommand({ Bucket: lab.bucket, Key: "users_1.json" }));
        s3.destroy();
        await page.reload();
        await page.waitForFunction(() => document.querySelector("#count")?.textContent === "1,000 employees");
        assert.equal(await rows().count(), 1000);
    });
});
