/** The web service's stop/start schedule and the stack budget: config rules, cron parsing, resources under mocks. */
import * as assert from "node:assert/strict";
import { load, rejects } from "../helpers/config";
import { CronError, parseCron, runningHoursPerMonth } from "../../stacks/cron";
import { runProgram } from "../helpers/program";

const WEEKDAYS = { webStopSchedule: "cron(0 19 ? * MON-FRI *)", webStartSchedule: "cron(0 7 ? * MON-FRI *)" };

describe("cron(...) schedules", () => {
    it("match the minutes they name, in UTC", () => {
        const weekdays7pm = parseCron("cron(0 19 ? * MON-FRI *)");
        assert.equal(weekdays7pm.firesAt(new Date("2026-11-27T19:00:00Z")), true, "a Friday");
        assert.equal(weekdays7pm.firesAt(new Date("2026-11-28T19:00:00Z")), false, "a Saturday");
        assert.equal(weekdays7pm.firesAt(new Date("2026-11-27T19:01:00Z")), false);
        const steps = parseCron("cron(*/15 1-3 1,15 JAN,JUL ? *)");
        assert.equal(steps.firesAt(new Date("2026-07-15T02:45:00Z")), true);
        assert.equal(steps.firesAt(new Date("2026-07-15T02:50:00Z")), false);
        assert.equal(steps.firesAt(new Date("2026-08-15T02:45:00Z")), false);
    });

    it("reject what Application Auto Scaling or the estimate cannot take, saying why", () => {
        const cases: [string, RegExp][] = [
            ["rate(1 day)", /must have the form cron\(Minutes Hours Day-of-month Month Day-of-week Year\)/],
            ["cron(0 19 * * ?)", /needs 6 fields/],
            ["cron(0 25 ? * MON *)", /hours field "25": "25" is not a value from 0 to 23/],
            ["cron(0 19 * * MON *)", /exactly one of day-of-month and day-of-week must be \?/],
            ["cron(0 19 ? * ? *)", /exactly one of day-of-month and day-of-week must be \?/],
            ["cron(0 19 L * ? *)", /L, W and # are not supported/],
            ["cron(0 19 ? * 6#3 *)", /L, W and # are not supported/],
            ["cron(0 19 ? * FRI-MON *)", /runs backwards/],
            ["cron(0 19 ? * MON 2027)", /the year field must be \*/],
            ["cron(0 19 ? XYZ MON *)", /month field "XYZ"/],
        ];
        for (const [expression, message] of cases)
            assert.throws(
                () => parseCron(expression),
                (e: Error) => e instanceof CronError && message.test(e.message),
                expression,
            );
    });

    it("count the hours a month a stop/start pair leaves running, by hand", () => {
        // 2026 has 261 weekdays: 261 × 12 h a year, a twelfth of it a month.
        assert.equal(runningHoursPerMonth(parseCron(WEEKDAYS.webStopSchedule), parseCron(WEEKDAYS.webStartSchedule)), 261);
        // Every day 08:00-20:00: 365 × 12 / 12.
        assert.equal(runningHoursPerMonth(parseCron("cron(0 20 * * ? *)"), parseCron("cron(0 8 * * ? *)")), 365);
        // Off from Saturday 00:00 to Monday 00:00: 52 weekends of 48 h out of 8,760; the year wraps into the next.
        assert.equal(runningHoursPerMonth(parseCron("cron(0 0 ? * SAT *)"), parseCron("cron(0 0 ? * MON *)")), (8760 - 52 * 48) / 12);
        // A stop that never fires (31 February) never stops it.
        assert.equal(runningHoursPerMonth(parseCron("cron(0 0 31 2 ? *)"), parseCron("cron(0 8 * * ? *)")), 730);
    });
});

describe("config: schedule and budget", () => {
    it("accepts a stop/start pair and a budget with an address, and has neither by default", () => {
        const config = load({ ...WEEKDAYS, budgetMonthlyUsd: "40", budgetEmail: "lab@example.com" });
        assert.deepEqual(config.web.schedule, { stop: WEEKDAYS.webStopSchedule, start: WEEKDAYS.webStartSchedule });
        assert.deepEqual(config.budget, { monthlyUsd: 40, email: "lab@example.com" });
        assert.equal(load({}).web.schedule, undefined);
        assert.equal(load({}).budget, undefined);
    });

    it("rejects a schedule without its partner, a bad expression and the same time twice, naming the key", () => {
        rejects(
            { webStopSchedule: WEEKDAYS.webStopSchedule },
            /cloud-labs:webStartSchedule = "": webStopSchedule and webStartSchedule go together/,
        );
        rejects(
            { webStartSchedule: WEEKDAYS.webStartSchedule },
            /cloud-labs:webStopSchedule = "": webStopSchedule and webStartSchedule go together/,
        );
        rejects(
            { ...WEEKDAYS, webStopSchedule: "cron(0 19 * * MON-FRI *)" },
            /cloud-labs:webStopSchedule = "cron\(0 19 \* \* MON-FRI \*\)": exactly one of day-of-month and day-of-week/,
        );
        rejects(
            { ...WEEKDAYS, webStartSchedule: "0 7 * * 1-5" },
            /cloud-labs:webStartSchedule = "0 7 \* \* 1-5": must have the form cron\(/,
        );
        rejects(
            { ...WEEKDAYS, webStartSchedule: WEEKDAYS.webStopSchedule },
            /cloud-labs:webStartSchedule = .*: must differ from webStopSchedule/,
        );
    });

    it("rejects a minimum of 0 tasks with a schedule, naming both keys: the start time would never bring a task back", () => {
        rejects(
            { ...WEEKDAYS, webMinCount: "0", webDesiredCount: "0" },
            /cloud-labs:webMinCount = "0": must be at least 1 with cloud-labs:webStartSchedule/,
        );
        assert.equal(load({ webMinCount: "0", webDesiredCount: "0" }).web.minCount, 0, "without a schedule, 0 is a choice");
        assert.equal(load({ ...WEEKDAYS, webMinCount: "1" }).web.minCount, 1);
    });

    it("rejects a budget without an address, an address without a budget, a bad address and a bad amount", () => {
        rejects({ budgetMonthlyUsd: "40" }, /cloud-labs:budgetEmail = "": budgetMonthlyUsd and budgetEmail go together/);
        rejects({ budgetEmail: "lab@example.com" }, /cloud-labs:budgetMonthlyUsd = "0": budgetMonthlyUsd and budgetEmail go together/);
        rejects(
            { budgetMonthlyUsd: "40", budgetEmail: "lab at example" },
            /cloud-labs:budgetEmail = "lab at example": must be an email address/,
        );
        rejects(
            { budgetMonthlyUsd: "-5", budgetEmail: "lab@example.com" },
            /cloud-labs:budgetMonthlyUsd = "-5": must be a whole number from 0 to 1000000/,
        );
    });
});

describe("schedule and budget under mocks (containers stack)", () => {
    it("stops the service at the stop time and restores min..max at the start time, on its scalable target", async () => {
        const run = await runProgram("containers", { ...WEEKDAYS, webMinCount: 2, webDesiredCount: 2, webMaxCount: 4 });
        const target = run.named("web-scaling").inputs;
        const actions = run.ofType("aws:appautoscaling/scheduledAction:ScheduledAction");
        assert.deepEqual(actions.map((a) => a.name).sort(), ["web-start", "web-stop"]);
        for (const a of actions) {
            assert.deepEqual(
                [a.inputs.serviceNamespace, a.inputs.scalableDimension, a.inputs.resourceId, a.inputs.timezone],
                [target.serviceNamespace, target.scalableDimension, target.resourceId, "UTC"],
            );
        }
        assert.equal(run.named("web-stop").inputs.schedule, WEEKDAYS.webStopSchedule);
        assert.deepEqual(run.named("web-stop").inputs.scalableTargetAction, { minCapacity: 0, maxCapacity: 0 });
        assert.equal(run.named("web-start").inputs.schedule, WEEKDAYS.webStartSchedule);
        assert.deepEqual(run.named("web-start").inputs.scalableTargetAction, { minCapacity: 2, maxCapacity: 4 });
        assert.ok(run.named("web-stop").provider?.includes("webService-aws"), "tagged through the lab's provider");
    });

    it("makes a monthly cost budget filtered by the deployment's own tag, alerting at 80% forecast and 100% actual", async () => {
        const run = await runProgram("containers", { budgetMonthlyUsd: 40, budgetEmail: "lab@example.com" });
        const budget = run.named("stack-budget").inputs;
        assert.deepEqual([budget.budgetType, budget.timeUnit, budget.limitAmount, budget.limitUnit], ["COST", "MONTHLY", "40.00", "USD"]);
        const deployment = run.outputs.deploymentId;
        assert.match(deployment, /^cloud-labs-containers-[a-z0-9]{6}$/);
        assert.deepEqual(
            budget.costFilters,
            [{ name: "TagKeyValue", values: [`user:cloud-labs:deployment$${deployment}`] }],
            "not the stack's tag, which every student's containers stack shares",
        );
        const alerts = budget.notifications.map((n: Record<string, unknown>) => [
            n.notificationType,
            n.threshold,
            n.thresholdType,
            n.comparisonOperator,
            n.subscriberEmailAddresses,
        ]);
        assert.deepEqual(alerts, [
            ["FORECASTED", 80, "PERCENTAGE", "GREATER_THAN", ["lab@example.com"]],
            ["ACTUAL", 100, "PERCENTAGE", "GREATER_THAN", ["lab@example.com"]],
        ]);
        assert.deepEqual(budget.tags, {
            "cloud-labs:project": "cloud-labs",
            "cloud-labs:stack": "containers",
            "cloud-labs:deployment": deployment,
        });
    });

    it("has neither without the config", async () => {
        const run = await runProgram("containers");
        assert.equal(run.ofType("aws:appautoscaling/scheduledAction:ScheduledAction").length, 0);
        assert.equal(run.ofType("aws:budgets/budget:Budget").length, 0);
    });
});
