/**
 * `npm run leftovers -- (--deployment ID | --outputs FILE) [--region REGION]` (needs AWS credentials): after
 * `pulumi destroy`, lists anything of that one deployment still in the account. Exit codes: see EXIT.
 */
import * as fs from "node:fs";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { EXIT as CLI_EXIT, fromCallerDir, parseOrUsage, runMain, type CliIo } from "../../shared/cli";
import { findLeftovers } from "../../shared/leftovers";
import { OutputsError, readDeploymentId } from "../../shared/outputs";
import { PROJECT, stackConfig, stackFile } from "../../shared/stack-files";
import { DEPLOYMENT_ID, stackOfDeployment } from "../../shared/tags";

/** What the command's exit code means. */
export const EXIT = {
    /** Nothing of the deployment is left. */
    clean: CLI_EXIT.ok,
    /** Something is left; it is listed. */
    leftovers: CLI_EXIT.failed,
    /** Bad arguments, outputs or stack file: nothing was asked of AWS. */
    usage: CLI_EXIT.usage,
    /** AWS refused or failed (credentials, permissions, throttling, network): the answer is unknown. */
    aws: 3,
} as const;

export const USAGE = `Usage: npm run leftovers -- (--deployment ID | --outputs FILE) [--region REGION]

  --deployment ID   the deployment to look for: its id, <project>-<stack>-<suffix>, which the stack exports as
                    deploymentId (pulumi stack output deploymentId), e.g. cloud-labs-dev-ab12cd
  --outputs FILE    read the id from FILE, what \`pulumi stack output --json\` printed (save it before pulumi destroy)
  --region REGION   where to look (default: aws:region of the stack's Pulumi.<stack>.yaml, then AWS_REGION)
  --help            show this

Exit codes: ${EXIT.clean} nothing left, ${EXIT.leftovers} something left, ${EXIT.usage} bad arguments, outputs or stack file, ${EXIT.aws} AWS call failed`;

const OPTIONS = {
    deployment: { type: "string" },
    outputs: { type: "string" },
    region: { type: "string" },
    // Only to say why it is gone: a stack name is shared by every student's deployment of it.
    stack: { type: "string" },
} as const;

export async function main(argv: string[], io: CliIo): Promise<number> {
    const parsed = parseOrUsage(argv, io, OPTIONS, USAGE);
    if (typeof parsed === "number") return parsed;
    const { values } = parsed;
    const usage = (message: string) => {
        io.err(`${message}\n\n${USAGE}`);
        return EXIT.usage;
    };
    if (values.stack !== undefined) {
        return usage(
            `--stack is gone: a stack name is shared by every deployment of it in the account (every student's dev), so it cannot tell yours apart. ` +
                "Pass --deployment ID (pulumi stack output deploymentId) or --outputs FILE (pulumi stack output --json > FILE, before pulumi destroy)",
        );
    }
    if ((values.deployment === undefined) === (values.outputs === undefined))
        return usage("give exactly one of --deployment ID or --outputs FILE");
    let deployment: string;
    if (values.outputs !== undefined) {
        const file = fromCallerDir(values.outputs, io);
        try {
            deployment = readDeploymentId(fs.readFileSync(file, "utf8"), file);
        } catch (error) {
            if (error instanceof OutputsError) return usage(error.message);
            const e = error as NodeJS.ErrnoException;
            return usage(
                `--outputs ${file}: ${e.code === "ENOENT" ? "it does not exist" : e.code === "EISDIR" ? "it is a folder" : e.message}`,
            );
        }
    } else {
        deployment = values.deployment!;
        if (!DEPLOYMENT_ID.test(deployment)) {
            return usage(
                `--deployment ${JSON.stringify(deployment)} is not a deployment id like ${PROJECT}-dev-ab12cd (the stack's deploymentId output)`,
            );
        }
    }
    let region = values.region;
    if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region))
        return usage(`--region ${JSON.stringify(region)} is not an AWS region name like us-east-1`);
    if (region === undefined) {
        const stack = stackOfDeployment(deployment, PROJECT);
        if (stack && fs.existsSync(stackFile(stack))) {
            try {
                region = stackConfig(stack)["aws:region"];
            } catch (error) {
                return usage((error as Error).message);
            }
        }
        region ??= io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || undefined;
        if (!region)
            return usage(`no region: no Pulumi.${stack ?? "<stack>"}.yaml sets aws:region and AWS_REGION is not set; pass --region`);
    }
    let left;
    try {
        left = await findLeftovers({
            tagging: new ResourceGroupsTaggingAPIClient({ region }),
            logs: new CloudWatchLogsClient({ region }),
            deployment,
        });
    } catch (error) {
        io.err(
            `leftovers: asking AWS in ${region} failed, so nothing is known about what is left: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        );
        return EXIT.aws;
    }
    if (left.length === 0) {
        io.out(`Nothing of deployment ${deployment} is left in ${region}.`);
        return EXIT.clean;
    }
    io.out(`${left.length} thing${left.length === 1 ? "" : "s"} of deployment ${deployment} left in ${region}:`);
    for (const l of left) io.out(`  ${l.kind.padEnd(16)} ${l.id}${l.lab ? `  (lab ${l.lab})` : ""}`);
    io.out("Delete them by hand, or run pulumi destroy again if the stack still lists them.");
    return EXIT.leftovers;
}

if (require.main === module) runMain(main, USAGE);
