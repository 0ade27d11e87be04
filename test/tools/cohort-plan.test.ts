/** The cohort before anything is deployed: rosters, expiry, stack names. Pure, no Pulumi CLI, no AWS. */
import * as assert from "node:assert/strict";
import {
    countedLearners,
    environments,
    expiryOf,
    parseExpiry,
    parseRoster,
    PlanError,
    projectConfigKeys,
    stackNameProblem,
} from "../../tools/cohort/plan";
import { ROOT } from "../helpers/program";

const KEYS = projectConfigKeys(ROOT);
const rejects = (fn: () => unknown, ...patterns: RegExp[]) =>
    assert.throws(fn, (error: Error) => {
        assert.ok(error instanceof PlanError, `a PlanError, not ${error.name}: ${error.message}`);
        for (const p of patterns) assert.match(error.message, p);
        return true;
    });

describe("cohort roster", () => {
    it("reads a name column and per-learner config, skipping blank and # lines", () => {
        const learners = parseRoster(
            '# class of December\nname,budgetEmail,budgetMonthlyUsd\n\nana,ana@example.com,10\nbo,,\n"cy","cy@example.com",5\n',
            "learners.csv",
            KEYS,
        );
        assert.deepEqual(learners, [
            { name: "ana", config: { budgetEmail: "ana@example.com", budgetMonthlyUsd: "10" } },
            { name: "bo", config: {} },
            { name: "cy", config: { budgetEmail: "cy@example.com", budgetMonthlyUsd: "5" } },
        ]);
    });

    it("names every bad row by its line, and drops none silently", () => {
        const text = [
            "name,budgetEmail",
            "ana,ana@example.com",
            "bo",
            "ana,again@example.com",
            "Ana María,x@example.com",
            ",y@example.com",
            '"cy,cy@example.com',
            "dee,dee@example.com",
        ].join("\n");
        rejects(
            () => parseRoster(text, "learners.csv", KEYS),
            /learners\.csv line 3: 1 fields, the header has 2/,
            /learners\.csv line 4: learner "ana" is already on line 2/,
            /learners\.csv line 5: learner name "Ana María" may hold only letters, digits, hyphens and underscores/,
            /learners\.csv line 6: learner name "" may hold only/,
            /learners\.csv line 7: a quoted field is not closed/,
        );
    });

    it("refuses a column that is not a config key of the project, naming the allowed ones", () => {
        rejects(
            () => parseRoster("name,budgetMail\nana,a@example.com\n", "r.csv", KEYS),
            /r\.csv line 1: column "budgetMail" is not a config key of this project \(name, or one of: .*budgetEmail/,
        );
    });

    it("refuses a roster without a name column, an empty one, and one without learners", () => {
        rejects(() => parseRoster("learner,budgetEmail\nana,a@example.com\n", "r.csv", KEYS), /line 1: the header needs a "name" column/);
        rejects(() => parseRoster("\n# nothing\n", "r.csv", KEYS), /r\.csv is empty/);
        rejects(() => parseRoster("name\n", "r.csv", KEYS), /has a header but no learners/);
    });

    it("names counted learners 01, 02, … wide enough for the count", () => {
        assert.deepEqual(
            countedLearners(3).map((l) => l.name),
            ["01", "02", "03"],
        );
        assert.equal(countedLearners(120)[0].name, "001");
    });
});

describe("cohort expiry", () => {
    const now = new Date("2026-11-30T10:00:00Z");

    it("takes a duration from now: 8h, 90m, 2d, 1d12h", () => {
        assert.equal(parseExpiry("8h", now).toISOString(), "2026-11-30T18:00:00.000Z");
        assert.equal(parseExpiry("90m", now).toISOString(), "2026-11-30T11:30:00.000Z");
        assert.equal(parseExpiry("2d", now).toISOString(), "2026-12-02T10:00:00.000Z");
        assert.equal(parseExpiry("1d12h", now).toISOString(), "2026-12-01T22:00:00.000Z");
    });

    it("takes an ISO time with a zone, like 2026-12-01T18:00Z", () => {
        assert.equal(parseExpiry("2026-12-01T18:00Z", now).toISOString(), "2026-12-01T18:00:00.000Z");
        assert.equal(parseExpiry("2026-12-01T18:00:30+01:00", now).toISOString(), "2026-12-01T17:00:30.000Z");
    });

    it("refuses bad values, saying what it takes", () => {
        rejects(() => parseExpiry("tomorrow", now), /neither a duration \(8h, 90m, 2d, 1d12h\) nor an ISO time with a zone/);
        rejects(() => parseExpiry("8", now), /neither a duration/);
        rejects(() => parseExpiry("0h", now), /no time at all/);
        rejects(() => parseExpiry("2026-12-01T18:00", now), /has no time zone: add Z for UTC \(2026-12-01T18:00Z\)/);
        rejects(() => parseExpiry("2026-02-30T18:00Z", now), /not a real date and time/);
        rejects(() => parseExpiry("2026-12-01T25:00Z", now), /not a real date and time/);
        rejects(() => parseExpiry("2026-11-30T09:00Z", now), /is in the past \(it is now 2026-11-30T10:00:00\.000Z\)/);
        rejects(() => parseExpiry("200d", now), /more than 90 days away/);
    });

    it("reads the expiry tag back, and treats a missing or unreadable tag as no expiry", () => {
        assert.equal(expiryOf({ "cloud-labs:expires-at": "2026-12-01T18:00:00.000Z" })?.toISOString(), "2026-12-01T18:00:00.000Z");
        assert.equal(expiryOf({}), undefined);
        assert.equal(expiryOf({ "cloud-labs:expires-at": "soon" }), undefined);
    });
});

describe("cohort stack names", () => {
    it("are <prefix>-<learner>", () => {
        assert.deepEqual(
            environments("dec", countedLearners(2)).map((e) => e.stack),
            ["dec-01", "dec-02"],
        );
    });

    it("hold what a Pulumi stack name holds: at most 100 characters", () => {
        assert.equal(stackNameProblem("a".repeat(100)), undefined);
        assert.match(stackNameProblem("a".repeat(101)) ?? "", /at most 100 characters; "a+" has 101/);
        assert.match(stackNameProblem("dec/ana") ?? "", /only letters, digits, hyphens, underscores and periods/);
    });

    it("hold what the physical names derived from the stack hold (no period: the ECS task family)", () => {
        assert.match(
            stackNameProblem("dec.v2-ana") ?? "",
            /an ECS task definition family made from it may hold only letters, digits, hyphens and underscores/,
        );
    });

    it("refuse a bad prefix, and a learner whose stack name is too long, naming the learner", () => {
        rejects(() => environments("dec 2026", countedLearners(1)), /--prefix "dec 2026" may hold only/);
        rejects(
            () => environments("p".repeat(90), [{ name: "x".repeat(20), config: {} }]),
            /learner x{20}: stack p{90}-x{20} cannot be used: a Pulumi stack name holds at most 100 characters/,
        );
    });
});
