/**
 * The CI role recipe in docs/ci.md against the program under mocks: every AWS service the program creates resources
 * in has actions in it, and its IAM statements cover the names the program's roles really get.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, runProgram } from "../helpers/program";

/** The IAM service prefixes each provider module's resources (and look-ups) need. */
const SERVICES: Record<string, string[]> = {
    apigatewayv2: ["apigateway"],
    appautoscaling: ["application-autoscaling"],
    budgets: ["budgets"],
    // Log groups, and the sign-up lab's dead-letter alarm.
    cloudwatch: ["logs", "cloudwatch"],
    dynamodb: ["dynamodb"],
    sqs: ["sqs"],
    ec2: ["ec2"],
    vpc: ["ec2"],
    ecr: ["ecr"],
    ecs: ["ecs"],
    iam: ["iam"],
    // getCallerIdentity and getRegion: sts:GetCallerIdentity needs no permission, the region none at all.
    index: [],
    lambda: ["lambda"],
    lb: ["elasticloadbalancing"],
    s3: ["s3"],
    serverlessrepository: ["serverlessrepo", "cloudformation"],
};

interface Statement {
    Sid?: string;
    Action: string | string[];
    Resource: string | string[];
}
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

function recipe(): Statement[] {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "ci.md"), "utf8");
    const section = doc.slice(doc.indexOf("## The CI role's policy"));
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(json, 'docs/ci.md has the policy as a ```json block under "The CI role\'s policy"');
    return JSON.parse(json).Statement;
}

/** An IAM ARN pattern (`*` any run of characters, `${aws:PrincipalAccount}` this account) as a RegExp. */
const pattern = (arn: string) =>
    new RegExp(
        `^${arn
            .split("${aws:PrincipalAccount}")
            .map((part) =>
                part
                    .split("*")
                    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
                    .join(".*"),
            )
            .join("123456789012")}$`,
    );

describe("docs/ci.md's CI role policy", function () {
    this.timeout(600_000);
    const statements = recipe();
    const actions = statements.flatMap((s) => list(s.Action));

    it("has actions for every AWS service the program creates resources in or looks up, with every lab, fact skill mode and guardrail on", async () => {
        const everything = {
            budgetMonthlyUsd: 40,
            budgetEmail: "lab@example.com",
            webStopSchedule: "cron(0 19 ? * MON-FRI *)",
            webStartSchedule: "cron(0 7 ? * MON-FRI *)",
        };
        const runs = [
            await runProgram("dev", { ...everything, alexaFactSkill: "sar", alexaFactSkillVersion: "1.2.3" }),
            await runProgram("dev", { alexaFactSkill: "function", alexaSkillId: "amzn1.ask.skill.00000000-0000-0000-0000-000000000000" }),
        ];
        const modules = new Set<string>();
        for (const run of runs) {
            for (const r of run.resources) {
                const aws = /^aws:([a-z0-9]+)\//.exec(r.type)?.[1];
                if (aws) modules.add(aws);
                if (r.type.startsWith("awsx:ecr:")) modules.add("ecr");
            }
            for (const l of run.lookUps) {
                const aws = /^aws:([a-z0-9]+)\//.exec(l.token)?.[1];
                if (aws) modules.add(aws);
            }
        }
        assert.ok(modules.has("budgets") && modules.has("serverlessrepository") && modules.has("appautoscaling"), [...modules].join(", "));
        for (const module of modules) {
            assert.ok(SERVICES[module], `a new AWS service, ${module}: add it to SERVICES here and its actions to docs/ci.md`);
            for (const service of SERVICES[module])
                assert.ok(
                    actions.some((a) => a.startsWith(`${service}:`)),
                    `docs/ci.md grants no ${service}: action (the program uses aws:${module})`,
                );
        }
        for (const needed of ["ec2:DescribeVpcs", "ec2:DescribeSubnets", "tag:GetResources"])
            assert.ok(actions.includes(needed) || actions.includes(`${needed.split(":")[0]}:*`), needed);

        // IAM: every role, as Pulumi auto-names it (logical name, hyphen, 7 hex digits), is covered by the IAM statements.
        const roles = new Set(runs.flatMap((r) => r.ofType("aws:iam/role:Role").map((role) => role.inputs.name ?? `${role.name}-1a2b3c4`)));
        for (const sid of ["LabRoles", "PassLabRoles"]) {
            const statement = statements.find((s) => s.Sid === sid)!;
            assert.ok(statement, sid);
            for (const role of roles) {
                const arn = `arn:aws:iam::123456789012:role/${role}`;
                assert.ok(
                    list(statement.Resource).some((r) => pattern(r).test(arn)),
                    `${sid} covers ${arn}`,
                );
            }
            assert.ok(!list(statement.Resource).some((r) => /role\/cloud-labs-\*/.test(r)), "no cloud-labs-* pattern: no role is named so");
        }
        assert.ok(list(statements.find((s) => s.Sid === "LabRoles")!.Action).includes("iam:CreateRole"));
    });

    it("lets a deploy with budgetMonthlyUsd create and tag its budget", () => {
        const budget = statements.filter((s) => list(s.Action).some((a) => a.startsWith("budgets:"))).flatMap((s) => list(s.Action));
        for (const action of [
            "budgets:ModifyBudget",
            "budgets:ViewBudget",
            "budgets:TagResource",
            "budgets:UntagResource",
            "budgets:ListTagsForResource",
        ]) {
            assert.ok(budget.includes(action), action);
        }
    });

    it("scopes IAM by pattern only: no iam:* and no iam action on Resource *, but the service-linked roles", () => {
        for (const s of statements) {
            const iam = list(s.Action).filter((a) => a.startsWith("iam:"));
            assert.ok(!iam.includes("iam:*"), s.Sid);
            if (iam.length > 0 && list(s.Resource).includes("*")) assert.deepEqual(iam, ["iam:CreateServiceLinkedRole"], s.Sid);
        }
    });
});
