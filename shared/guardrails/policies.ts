/**
 * The cloud-labs guardrails as CrossGuard policies: run by `pulumi preview --policy-pack policy` (policy/index.ts
 * builds the pack from them) and by `npm run policy -- --stack NAME` under mocks (tools/policy). Every policy is
 * mandatory; each message names the resource and the fix.
 *
 * Resources are matched by type token, not by @pulumi/aws classes, so the pack loads without the AWS SDK.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { DEFAULT_ASSUMPTIONS, estimate } from "../pricing/estimate";
import { ACTIONS_WITHOUT_RESOURCES, isAnonymous, list, statementsOf } from "./iam-statements";
import { pricedResource } from "./priced-resource";

export const TYPES = {
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ecrRepository: "aws:ecr/repository:Repository",
    dynamodbTable: "aws:dynamodb/table:Table",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    lambda: "aws:lambda/function:Function",
    labBucket: "cloud-labs:s3:LabBucket",
} as const;

/** IAM resources whose `policy` input is a policy document. */
const IAM_POLICY_TYPES = [
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
];

/**
 * The buckets the program makes public on purpose, by LabBucket name, with the only keys anyone may read:
 * the directory's website, the audio bucket's MP3s and the sign-up page. Any other anonymous access is a violation.
 */
export const DECLARED_PUBLIC_BUCKETS: Record<string, string[]> = {
    "directory-website": ["*"],
    "audio-bucket": ["audio/*"],
    "signup-website": ["*"],
};

/** The idle monthly cost the pack allows by default (maxIdleMonthlyUsd in the pack's config). */
export const DEFAULT_MAX_IDLE_MONTHLY_USD = 60;

/** The name and type of a resource's parent, from its URN (`urn:pulumi:stack::project::a$b$type::name`). */
function parentOf(parentUrn: string | undefined): { type: string; name: string } | undefined {
    const [, , types, ...name] = (parentUrn ?? "").split("::");
    return types && name.length > 0 ? { type: types.split("$").pop()!, name: name.join("::") } : undefined;
}

/** The LabBucket a bucket policy or access block belongs to, if it was declared public; undefined otherwise. */
function declaredPublicPaths(args: ResourceValidationArgs): { bucket: string; paths: string[] } | undefined {
    const parent = parentOf(args.opts.parent);
    if (parent?.type !== TYPES.labBucket) return undefined;
    const paths = DECLARED_PUBLIC_BUCKETS[parent.name];
    return paths ? { bucket: parent.name, paths } : undefined;
}

const publicOnlyWhereDeclared: ResourceValidationPolicy = {
    name: "public-only-where-declared",
    description: `Anonymous access only on the buckets the program declares public (${Object.entries(DECLARED_PUBLIC_BUCKETS)
        .map(([b, p]) => `${b}: ${p.join(", ")}`)
        .join("; ")}).`,
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type === TYPES.bucketPolicy) {
            const declared = declaredPublicPaths(args);
            statementsOf(args.props.policy).forEach((s, i) => {
                if (s.Effect !== "Allow" || !isAnonymous(s.Principal)) return;
                const what = `${args.name}: statement ${s.Sid ?? i} allows anyone (Principal "*")`;
                if (!declared) {
                    report(
                        `${what}, but its bucket is not declared public. Fix: remove the statement (LabBucket publicReadPaths), or declare the bucket in shared/guardrails/policies.ts DECLARED_PUBLIC_BUCKETS.`,
                    );
                    return;
                }
                const actions = list(s.Action);
                if (s.NotAction !== undefined || actions.some((a) => a !== "s3:GetObject")) {
                    report(
                        `${what} to ${JSON.stringify(s.NotAction ?? s.Action)}; a public bucket may only allow s3:GetObject. Fix: allow anonymous s3:GetObject only.`,
                    );
                }
                for (const resource of list(s.Resource)) {
                    const key = /^arn:aws[\w-]*:s3:::[^/]+\/(.+)$/.exec(resource)?.[1];
                    if (key === undefined || !declared.paths.includes(key)) {
                        report(
                            `${what} on ${resource}; ${declared.bucket} is public only for ${declared.paths.join(", ")}. Fix: narrow publicReadPaths to the declared keys.`,
                        );
                    }
                }
            });
        }
        if (args.type === TYPES.publicAccessBlock) {
            const open = (["blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"] as const).filter(
                (flag) => args.props[flag] !== true,
            );
            if (open.length === 0) return;
            const declared = declaredPublicPaths(args);
            const acls = open.filter((f) => f.endsWith("Acls"));
            if (!declared) {
                report(
                    `${args.name}: Block Public Access has ${open.join(", ")} off on a bucket not declared public. Fix: set all four flags to true (a LabBucket without publicReadPaths does).`,
                );
            } else if (acls.length > 0) {
                report(
                    `${args.name}: Block Public Access has ${acls.join(", ")} off; public buckets here are public by bucket policy only. Fix: keep blockPublicAcls and ignorePublicAcls true.`,
                );
            }
        }
    },
};

const nothingSurvivesDestroy: ResourceValidationPolicy = {
    name: "nothing-survives-destroy",
    description:
        "pulumi destroy removes everything: buckets have forceDestroy, ECR repositories forceDelete, DynamoDB tables no deletion protection, nothing is protected or retained on delete.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if ((args.type === TYPES.bucket || args.type === TYPES.bucketV2) && args.props.forceDestroy !== true) {
            report(
                `${args.name}: bucket without forceDestroy, so pulumi destroy fails while it holds objects. Fix: set forceDestroy: true (LabBucket does).`,
            );
        }
        if (args.type === TYPES.ecrRepository && args.props.forceDelete !== true) {
            report(
                `${args.name}: ECR repository without forceDelete, so pulumi destroy fails while it holds images. Fix: set forceDelete: true.`,
            );
        }
        if (args.type === TYPES.dynamodbTable && args.props.deletionProtectionEnabled === true) {
            report(
                `${args.name}: DynamoDB table with deletion protection, so pulumi destroy fails on it. Fix: set deletionProtectionEnabled: false.`,
            );
        }
        if (args.opts.protect) {
            report(`${args.name} (${args.type}) is protected, so pulumi destroy refuses to remove it. Fix: drop the protect option.`);
        }
        // `pulumi preview --policy-pack` cannot trigger this check: the analyzer protocol's resource options
        // (AnalyzerResourceOptions in @pulumi/pulumi/proto/analyzer.proto) carry protect but no retainOnDelete, so
        // the pack never sees it. `npm run policy` (the program under mocks) sees every option and does trigger it;
        // it stays for that. test/policy/analyzer.test.ts fails when the protocol starts to carry it.
        if ((args.opts as { retainOnDelete?: boolean }).retainOnDelete) {
            report(
                `${args.name} (${args.type}) has retainOnDelete, so pulumi destroy leaves it behind in AWS. Fix: drop the retainOnDelete option.`,
            );
        }
    },
};

const logGroupsHaveRetention: ResourceValidationPolicy = {
    name: "log-groups-have-retention",
    description: "Every CloudWatch log group expires its logs.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== TYPES.logGroup) return;
        const days = args.props.retentionInDays;
        if (typeof days !== "number" || days <= 0) {
            report(
                `${args.name}: log group without retention keeps (and bills for) logs forever. Fix: set retentionInDays (the logRetentionDays config, default 7).`,
            );
        }
    },
};

const lambdasLogToOwnGroup: StackValidationPolicy = {
    name: "lambdas-log-to-own-group",
    description: "Every Lambda function logs to a log group this stack creates (so it has retention and goes on destroy).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        // A log group is named, or (so two deployments of one stack never collide) given a prefix AWS completes.
        const groups = args.resources
            .filter((r) => r.type === TYPES.logGroup)
            .map((r) => ({ name: r.props.name as string | undefined, prefix: r.props.namePrefix as string | undefined }));
        const created = (group: string) => groups.some((g) => g.name === group || (g.prefix !== undefined && group.startsWith(g.prefix)));
        for (const fn of args.resources.filter((r) => r.type === TYPES.lambda)) {
            const group = fn.props.loggingConfig?.logGroup as string | undefined;
            if (!group || !created(group)) {
                report(
                    `${fn.name}: Lambda logs to ${group ? `${group}, a log group this stack does not create` : "Lambda's implicit /aws/lambda group, which nothing expires or deletes"}. Fix: create the log group in the stack and set loggingConfig.logGroup (NodeFunction does).`,
                    fn.urn,
                );
            }
        }
    },
};

const iamLeastPrivilege: ResourceValidationPolicy = {
    name: "iam-least-privilege",
    description: `IAM grants no "*" or "service:*" actions, and Resource "*" only to actions that have no resource (${ACTIONS_WITHOUT_RESOURCES.join(", ")}).`,
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const documents: { label: string; policy: unknown }[] = [];
        if (IAM_POLICY_TYPES.includes(args.type)) documents.push({ label: args.name, policy: args.props.policy });
        if (args.type === "aws:iam/role:Role") {
            for (const inline of args.props.inlinePolicies ?? [])
                documents.push({ label: `${args.name} inline policy ${inline.name}`, policy: inline.policy });
        }
        for (const { label, policy } of documents) {
            if (policy === undefined || policy === "") continue;
            statementsOf(policy).forEach((s, i) => {
                if (s.Effect !== "Allow") return;
                const where = `${label}: statement ${s.Sid ?? i}`;
                if (s.NotAction !== undefined)
                    report(
                        `${where} allows NotAction ${JSON.stringify(s.NotAction)}, i.e. every other action. Fix: list the actions it needs.`,
                    );
                const wild = list(s.Action).filter((a) => a === "*" || /^[\w-]+:\*$/.test(a));
                if (wild.length > 0) report(`${where} allows ${wild.join(", ")}. Fix: list the actions it needs.`);
                if (list(s.Resource).includes("*")) {
                    const unscoped = list(s.Action).filter((a) => !ACTIONS_WITHOUT_RESOURCES.includes(a));
                    if (unscoped.length > 0)
                        report(
                            `${where} allows ${unscoped.join(", ")} on Resource "*". Fix: name the ARNs; only ${ACTIONS_WITHOUT_RESOURCES.join(", ")} may use "*".`,
                        );
                }
            });
        }
    },
};

const idleCostCap: StackValidationPolicy = {
    name: "idle-cost-cap",
    description: "The stack's idle monthly cost, by the estimate of `npm run cost`, stays within maxIdleMonthlyUsd.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            maxIdleMonthlyUsd: { type: "number", minimum: 0, default: DEFAULT_MAX_IDLE_MONTHLY_USD },
        },
    },
    validateStack: async (args, report: ReportViolation) => {
        // The CLI fills in the schema's default; the analyzer alone (no config sent) gives {}.
        const maxIdleMonthlyUsd = args.getConfig<{ maxIdleMonthlyUsd?: number }>().maxIdleMonthlyUsd ?? DEFAULT_MAX_IDLE_MONTHLY_USD;
        const stack = /^urn:pulumi:([^:]+)::/.exec(args.resources[0]?.urn ?? "")?.[1] ?? "stack";
        // Prices are us-east-1 list prices, as for `npm run cost`.
        const cost = await estimate(stack, "us-east-1", args.resources.map(pricedResource), DEFAULT_ASSUMPTIONS);
        const idle = cost.total.idleMonthly;
        if (idle <= maxIdleMonthlyUsd) return;
        const breakdown = cost.labs
            .flatMap((lab) => lab.items.filter((i) => i.idleMonthly > 0).map((i) => `${lab.lab} ${i.item} $${i.idleMonthly.toFixed(2)}`))
            .join("; ");
        report(
            `Stack ${stack} idles at $${idle.toFixed(2)} a month, above maxIdleMonthlyUsd = $${maxIdleMonthlyUsd} (${breakdown}). ` +
                "Fix: switch labs off, use webSpot or webStopSchedule/webStartSchedule, smaller webCpu/webMemoryMb or fewer tasks, " +
                "or raise maxIdleMonthlyUsd with --policy-pack-config.",
        );
    },
};

/** Every policy of the pack, in the order they are reported. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    publicOnlyWhereDeclared,
    nothingSurvivesDestroy,
    logGroupsHaveRetention,
    lambdasLogToOwnGroup,
    iamLeastPrivilege,
    idleCostCap,
];
