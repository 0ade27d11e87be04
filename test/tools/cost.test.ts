import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { UsageError, TYPESCRIPT_HOOK } from "../../shared/cli";
import { costReport, formatReport, main as costMain, parseArgs } from "../../tools/cost/cli";
import { DEFAULT_ASSUMPTIONS, estimate, type CostReport } from "../../shared/pricing/estimate";
import { PRICES } from "../../shared/pricing/prices";
import { ROOT, runProgram } from "../helpers/program";

const item = (report: CostReport, lab: string, name: RegExp) => {
    const found = report.labs.find((l) => l.lab === lab)!.items.filter((i) => name.test(i.item));
    assert.equal(
        found.length,
        1,
        `one ${name} item in ${lab}: ${JSON.stringify(report.labs.find((l) => l.lab === lab)?.items.map((i) => i.item))}`,
    );
    return found[0];
};
const cents = (n: number) => Math.round(n * 100) / 100;

describe("npm run cost", function () {
    this.timeout(120_000);

    it("prices the serverless stack at lab usage at $0.00 within the free tier, and shows the gross separately", async () => {
        const report = await costReport("serverless", DEFAULT_ASSUMPTIONS);
        assert.deepEqual(
            report.labs.map((l) => l.lab),
            ["audio", "directory", "hello", "signup"],
        );
        assert.ok(Math.abs(report.total.idleMonthly) < 0.005, `idle ${report.total.idleMonthly} prints as $0.00`);
        assert.ok(Math.abs(report.total.usageMonthly) < 0.005, `usage ${report.total.usageMonthly} prints as $0.00`);
        assert.match(formatReport(report), /^TOTAL\s+\$0\.00\s+\$0\.00$/m);
        const polly = item(report, "audio", /^Polly \(standard\)$/);
        assert.ok(polly.usageMonthly > 0, "the gross Polly cost is shown");
        assert.equal(item(report, "audio", /^Polly \(standard\) \(free tier\)$/).usageMonthly, -polly.usageMonthly);
    });

    it("offsets every free-tier credit in the column of its charge, in every lab alike (no idle S3 storage dust)", async () => {
        const report = await costReport("serverless", DEFAULT_ASSUMPTIONS);
        let checked = 0;
        for (const lab of report.labs) {
            for (const credit of lab.items.filter((i) => i.item.endsWith(" (free tier)"))) {
                const gross = lab.items.find((i) => i.item === credit.item.replace(/ \(free tier\)$/, ""))!;
                assert.ok(gross, `${lab.lab}: ${credit.item} credits a charge`);
                assert.equal(
                    credit.idleMonthly !== 0,
                    gross.idleMonthly !== 0,
                    `${lab.lab}: ${credit.item} in the idle column exactly when its charge is`,
                );
                assert.equal(
                    credit.usageMonthly !== 0,
                    gross.usageMonthly !== 0,
                    `${lab.lab}: ${credit.item} in the usage column exactly when its charge is`,
                );
                checked++;
            }
        }
        assert.ok(checked > 10);
        const storage = item(report, "directory", /^S3 storage$/);
        assert.ok(storage.idleMonthly > 0, "the directory's data and site files are priced");
        assert.equal(item(report, "directory", /^S3 storage \(free tier\)$/).idleMonthly, -storage.idleMonthly);
        for (const lab of report.labs) assert.equal(lab.idleMonthly, 0, `${lab.lab} is idle-free within the free tier`);
        assert.equal(report.total.idleMonthly, 0);
    });

    it("prices the serverless stack past its free tiers at heavy usage above zero", async () => {
        const report = await costReport("serverless", { ...DEFAULT_ASSUMPTIONS, requestsPerMonth: 5e6, freeTier: false });
        const api = item(report, "directory", /^API Gateway HTTP API$/);
        assert.equal(cents(api.usageMonthly), 5.0, "5M requests × $1 per million");
        assert.ok(report.total.usageMonthly > 5);
    });

    it("prices the container stack's idle month as ALB + task + public IPv4 (+ image storage), by hand", async () => {
        const report = await costReport("containers", DEFAULT_ASSUMPTIONS);
        const hours = 730;
        const alb = 0.0225 * hours;
        const task = (0.25 * 0.03238 + 0.5 * 0.00356) * hours; // one ARM64 task, 256 CPU / 512 MiB
        const ipv4 = 3 * 0.005 * hours; // two for the ALB's subnets, one for the task
        const ecr = (60 / 1024) * 0.1;
        assert.ok(
            Math.abs(report.total.idleMonthly - (alb + task + ipv4 + ecr)) < 1e-5,
            `${report.total.idleMonthly} vs ${alb + task + ipv4 + ecr}`,
        );
        assert.equal(cents(report.total.idleMonthly), 34.59);
        assert.ok(Math.abs(item(report, "webService", /^Application Load Balancer$/).idleMonthly - alb) < 1e-6);
        assert.ok(Math.abs(item(report, "webService", /^Public IPv4/).idleMonthly - ipv4) < 1e-6);
    });

    it("prices the container stack with a weekday 07:00-19:00 schedule: tasks and their address bill 261 of 730 h, by hand", async () => {
        const run = await runProgram("containers", {
            webStopSchedule: "cron(0 19 ? * MON-FRI *)",
            webStartSchedule: "cron(0 7 ? * MON-FRI *)",
        });
        const report = await estimate("containers", "us-east-1", run.resources, DEFAULT_ASSUMPTIONS);
        const running = (261 * 12) / 12; // 2026's 261 weekdays × 12 h, a twelfth of the year
        const task = (0.25 * 0.03238 + 0.5 * 0.00356) * running;
        const ipv4 = 2 * 0.005 * 730 + 1 * 0.005 * running; // the ALB's two stay up, the task's goes with it
        const alb = 0.0225 * 730;
        const ecr = (60 / 1024) * 0.1;
        const tasks = item(report, "webService", /^Fargate tasks \(ARM64, scheduled 261 h\/month\)$/);
        assert.ok(Math.abs(tasks.idleMonthly - task) < 1e-6, `${tasks.idleMonthly} vs ${task}`);
        assert.ok(Math.abs(item(report, "webService", /^Public IPv4/).idleMonthly - ipv4) < 1e-6);
        assert.ok(
            Math.abs(report.total.idleMonthly - (alb + task + ipv4 + ecr)) < 1e-5,
            `${report.total.idleMonthly} vs ${alb + task + ipv4 + ecr}`,
        );
        assert.equal(cents(report.total.idleMonthly), 27.61);
        assert.match(formatReport(report), /^ {2}Fargate tasks \(ARM64, scheduled 261 h\/month\)\s+\$2\.58\s/m);
    });

    it("prices the public IPv4 addresses of the two subnets the load balancer is given, not of six default subnets, and says the mocks chose them", async () => {
        const six = ["1", "2", "3", "4", "5", "6"].map((n, i) => [`subnet-0${n.repeat(16)}`, `us-east-1${"abcdef"[i]}`]);
        const calls = {
            "aws:ec2/getSubnets:getSubnets": () => ({ id: "x", ids: [...six].reverse().map(([id]) => id) }),
            "aws:ec2/getSubnet:getSubnet": (inputs: Record<string, any>) => ({
                ...inputs,
                availabilityZone: six.find(([id]) => id === inputs.id)![1],
            }),
        };
        const run = await runProgram("containers", {}, [], { calls });
        const report = await estimate("containers", "us-east-1", run.resources, DEFAULT_ASSUMPTIONS, run.lookUps);
        const ipv4 = item(report, "webService", /^Public IPv4/);
        assert.ok(Math.abs(ipv4.idleMonthly - 3 * 0.005 * 730) < 1e-6, `two for the load balancer, one for the task: ${ipv4.detail}`);
        assert.match(ipv4.detail, /^2 for the load balancer/);
        const [subnets] = report.assumptions.lookUps;
        assert.match(
            subnets,
            /^subnets: the default VPC's default subnets were taken to be subnet-06{16} \(us-east-1f\), .*subnet-01{16} \(us-east-1a\)/,
        );
        assert.match(subnets, /priced for the 2 the program passed it: subnet-01{16}, subnet-02{16}$/);
        assert.match(
            formatReport(report),
            /^Mocked look-ups that decided a price \(a real account may answer otherwise\):\n {2}- subnets: /m,
        );
    });

    it("names no look-up where none decided a price (no load balancer)", async () => {
        const report = await costReport("serverless", DEFAULT_ASSUMPTIONS);
        assert.deepEqual(report.assumptions.lookUps, []);
        assert.doesNotMatch(formatReport(report), /Mocked look-ups/);
        assert.equal((await costReport("containers", DEFAULT_ASSUMPTIONS)).assumptions.lookUps.length, 1);
    });

    it("Spot cuts the task cost by the stated 70%, and arm64 by the Fargate price ratio", async () => {
        const price = async (overrides: Record<string, unknown>) =>
            item(
                await estimate("containers", "us-east-1", (await runProgram("containers", overrides)).resources, DEFAULT_ASSUMPTIONS),
                "webService",
                /^Fargate tasks/,
            ).idleMonthly;
        const x86 = await price({ webArchitecture: "X86_64" });
        const arm = await price({ webArchitecture: "ARM64" });
        const armSpot = await price({ webArchitecture: "ARM64", webSpot: true });
        const expectedRatio = (0.25 * 0.03238 + 0.5 * 0.00356) / (0.25 * 0.04048 + 0.5 * 0.004445);
        assert.ok(Math.abs(arm / x86 - expectedRatio) < 1e-4, `arm/x86 ${arm / x86} vs ${expectedRatio}`);
        assert.ok(Math.abs(armSpot / arm - (1 - PRICES.fargate.spotDiscount)) < 1e-4, `spot/on-demand ${armSpot / arm}`);
    });

    it("scales with --hours: a one-hour container lab costs one hour of idle", async () => {
        const report = await costReport("containers", { ...DEFAULT_ASSUMPTIONS, hours: 1 });
        const oneHour = 0.0225 + (0.25 * 0.03238 + 0.5 * 0.00356) + 3 * 0.005;
        const imageStorage = (60 / 1024) * 0.1; // billed per month, whatever the hours
        assert.ok(Math.abs(report.total.idleMonthly - (oneHour + imageStorage)) < 1e-5, `${report.total.idleMonthly}`);
    });

    it("has the documented JSON shape, and a table per lab", async () => {
        const report = await costReport("dev", DEFAULT_ASSUMPTIONS);
        assert.deepEqual(Object.keys(report).sort(), ["assumptions", "labs", "stack", "total"]);
        assert.equal(report.assumptions.pricesTaken, "2026-11-28");
        assert.deepEqual(
            report.labs.map((l) => l.lab),
            ["audio", "directory", "hello", "signup", "webService"],
        );
        for (const lab of report.labs) {
            assert.deepEqual(Object.keys(lab).sort(), ["idleMonthly", "items", "lab", "usageMonthly"]);
            for (const i of lab.items) assert.deepEqual(Object.keys(i).sort(), ["detail", "idleMonthly", "item", "usageMonthly"]);
        }
        assert.deepEqual(Object.keys(report.total).sort(), ["idleMonthly", "usageMonthly"]);
        const text = formatReport(report);
        assert.match(text, /^webService\s+idle\s+usage$/m);
        assert.match(text, /^TOTAL\s+\$34\.59\s+\$0\.00$/m);
        assert.doesNotMatch(text, /\$-/);
    });

    it("rejects an unknown stack, a missing --stack and bad numbers with usage errors", () => {
        assert.throws(
            () => parseArgs(["--stack", "prod"]),
            (e: Error) =>
                e instanceof UsageError &&
                /unknown stack "prod": there is no Pulumi\.prod\.yaml \(stacks: containers, dev, serverless\)/.test(e.message),
        );
        assert.throws(() => parseArgs([]), /--stack is required/);
        assert.throws(() => parseArgs(["--stack", "dev", "--hours=-3"]), /--hours needs a number from 0 to 744; received "-3"/);
        assert.throws(
            () => parseArgs(["--stack", "dev", "--hours", "-3"]),
            /--hours needs a value; one starting with "-" is written --hours=-VALUE/,
        );
        assert.throws(() => parseArgs(["--stack", "dev", "--requests-per-month", "lots"]), /--requests-per-month needs a number/);
        assert.throws(() => parseArgs(["--stack", "dev", "--bogus"]), /unknown option --bogus/);
        assert.equal(parseArgs(["--stack", "dev", "--requests-per-month", "5000", "--json"]).assumptions.requestsPerMonth, 5000);
        assert.equal(parseArgs(["--stack=dev", "--hours=5"]).assumptions.hours, 5, "--flag=value works as --flag value");
        assert.throws(() => parseArgs(["--stack", "dev", "--json=yes"]), /--json takes no value/);
    });

    it("main(argv, io): --help on stdout with exit 0, usage errors on stderr with exit 2", async () => {
        const out: string[] = [];
        const err: string[] = [];
        const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: {}, cwd: ROOT, isTTY: false };
        assert.equal(await costMain(["--help"], io), 0);
        assert.match(out.join(""), /^Usage: npm run cost -- --stack NAME/);
        assert.equal(await costMain(["--stack", "dev", "--hours", "lots"], io), 2);
        assert.match(err.join(""), /--hours needs a number from 0 to 744; received "lots"\n\nUsage: npm run cost/);
    });

    it("the command exits 2 on a bad stack and prints JSON with --json", async () => {
        const run = (args: string[]) =>
            promisify(execFile)(process.execPath, ["-r", TYPESCRIPT_HOOK, path.join(ROOT, "tools", "cost", "cli.ts"), ...args], {
                cwd: ROOT,
            })
                .then((r) => ({ code: 0, out: r.stdout + r.stderr, stdout: r.stdout }))
                .catch((e) => ({ code: e.code as number, out: `${e.stdout}${e.stderr}`, stdout: String(e.stdout) }));
        const err: string[] = [];
        const io = { out: () => undefined, err: (t: string) => err.push(t), env: {}, cwd: ROOT, isTTY: false };
        assert.equal(await costMain(["--stack", "nope"], io), 2);
        assert.match(err.join(""), /unknown stack "nope"/);
        // A real process: with --json, stdout holds the report and nothing else.
        const ok = await run(["--stack", "containers", "--json", "--hours", "10"]);
        assert.equal(ok.code, 0, ok.out);
        const report = JSON.parse(ok.stdout);
        assert.equal(report.stack, "containers");
        assert.equal(report.assumptions.hours, 10);
    });
});

describe("npm run cost: the sign-up lab", function () {
    this.timeout(120_000);
    let serverless: Awaited<ReturnType<typeof runProgram>>;
    before(async () => {
        serverless = await runProgram("serverless");
    });
    const price = (a: Partial<typeof DEFAULT_ASSUMPTIONS>) =>
        estimate("serverless", "us-east-1", serverless.resources, { ...DEFAULT_ASSUMPTIONS, ...a });

    it("bills idle only the dead-letter alarm and the consumer's long polls, both inside permanent free tiers", async () => {
        const report = await price({});
        const lab = report.labs.find((l) => l.lab === "signup")!;
        assert.equal(lab.idleMonthly, 0);
        assert.equal(item(report, "signup", /^CloudWatch alarms$/).idleMonthly, PRICES.cloudwatchAlarm.perAlarmMonth);
        assert.equal(cents(item(report, "signup", /^SQS idle polling$/).idleMonthly), 0.26, "657,000 long polls × $0.40 per million");
        const past = (await price({ freeTier: false })).labs.find((l) => l.lab === "signup")!;
        assert.equal(cents(past.idleMonthly), 0.36, "past the free tiers: $0.10 alarm + $0.26 polling");
    });

    it("prices a campaign of N sign-ups a day for D days by hand: DynamoDB, SQS and the API", async () => {
        const report = await price({ campaign: { signupsPerDay: 100_000, days: 3 }, freeTier: false });
        const signups = 300_000;
        const polls = signups * DEFAULT_ASSUMPTIONS.statusPollsPerSignup;
        const dynamo = item(report, "signup", /^DynamoDB on-demand requests$/).usageMonthly;
        assert.equal(
            dynamo,
            Math.round(
                (signups * 2 * PRICES.dynamodbOnDemand.perWriteRequestUnit + polls * PRICES.dynamodbOnDemand.perReadRequestUnit) * 1e6,
            ) / 1e6,
        );
        assert.equal(cents(dynamo), 0.53);
        assert.equal(cents(item(report, "signup", /^SQS requests$/).usageMonthly), 0.36, "900,000 requests × $0.40 per million");
        assert.equal(cents(item(report, "signup", /^API Gateway HTTP API$/).usageMonthly), 1.5, "300,000 POSTs + 1.2M status calls");
        assert.match(formatReport(report), /^Sign-up campaign: 100,000 sign-ups a day for 3 days, 4 status polls each$/m);
    });

    it("takes the campaign flags together, with whole days from 1 to 31", () => {
        assert.deepEqual(parseArgs(["--stack", "dev", "--signups-per-day", "5000", "--campaign-days=3"]).assumptions.campaign, {
            signupsPerDay: 5000,
            days: 3,
        });
        assert.throws(() => parseArgs(["--stack", "dev", "--campaign-days", "3"]), /--signups-per-day and --campaign-days go together/);
        assert.throws(
            () => parseArgs(["--stack", "dev", "--signups-per-day", "10", "--campaign-days", "40"]),
            /--campaign-days needs a whole number from 1 to 31; received "40"/,
        );
        assert.throws(
            () => parseArgs(["--stack", "dev", "--signups-per-day", "10", "--campaign-days", "0"]),
            /--campaign-days needs a whole number from 1 to 31; received "0"/,
        );
    });
});

describe("docs/cost.md samples", function () {
    this.timeout(120_000);
    it("show what npm run cost prints today for each stack", async () => {
        const fs = await import("node:fs");
        const page = fs.readFileSync(path.join(ROOT, "docs", "cost.md"), "utf8");
        for (const stack of ["containers", "serverless", "dev"]) {
            const text = formatReport(await costReport(stack, DEFAULT_ASSUMPTIONS));
            assert.ok(
                page.includes(text),
                `docs/cost.md's sample for ${stack} is stale: paste the output of npm run cost -- --stack ${stack}`,
            );
        }
    });
});

describe("npm run cost: bad input", function () {
    this.timeout(120_000);

    it("prices zero hours up without NaN or null: only the per-month image storage remains", async () => {
        const report = await costReport("containers", { ...DEFAULT_ASSUMPTIONS, hours: 0 });
        const json = JSON.stringify(report);
        assert.doesNotMatch(json, /null|NaN/);
        for (const lab of report.labs)
            for (const i of lab.items) assert.ok(Number.isFinite(i.idleMonthly) && Number.isFinite(i.usageMonthly), i.item);
        assert.ok(Math.abs(report.total.idleMonthly - (60 / 1024) * 0.1) < 1e-6, `${report.total.idleMonthly}`);
        assert.equal(report.total.usageMonthly, 0);
        assert.doesNotMatch(formatReport(report), /NaN/);
        assert.equal(parseArgs(["--stack", "containers", "--hours", "0"]).assumptions.hours, 0);
    });

    it("says in the heading and the JSON that a stack outside us-east-1 is priced at us-east-1 list prices", async () => {
        const run = await runProgram("serverless");
        const report = await estimate("serverless", "ap-south-1", run.resources, DEFAULT_ASSUMPTIONS);
        assert.equal(report.assumptions.region, "ap-south-1");
        assert.equal(report.assumptions.pricesRegion, "us-east-1");
        assert.match(report.assumptions.pricesNote, /us-east-1 list prices, not ap-south-1's/);
        const heading = formatReport(report).split("\n")[0];
        assert.match(
            heading,
            /^Cost estimate for stack serverless \(ap-south-1, USD per month, us-east-1 list prices, not ap-south-1's: prices in ap-south-1 may differ; taken 2026-11-28\)$/,
        );
        const home = await estimate("serverless", "us-east-1", run.resources, DEFAULT_ASSUMPTIONS);
        assert.equal(home.assumptions.pricesRegion, "us-east-1");
        assert.match(formatReport(home).split("\n")[0], /\(us-east-1, USD per month, list prices taken 2026-11-28\)$/);
    });
});
