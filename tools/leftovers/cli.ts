/**
 * `npm run leftovers -- --stack NAME [--region REGION]` (needs AWS credentials): after `pulumi destroy`, lists
 * anything of the stack still in the account. Exit codes: see EXIT.
 */
import * as fs from "node:fs";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { PROJECT, shippedStacks, stackConfig, stackFile } from "../../shared/stack-files";
import { findLeftovers } from "../../shared/leftovers";

/** What the command's exit code means. */
export const EXIT = {
    /** Nothing of the stack is left. */
    clean: 0,
    /** Something is left; it is listed. */
    leftovers: 1,
    /** Bad arguments or a bad stack file: nothing was asked of AWS. */
    usage: 2,
    /** AWS refused or failed (credentials, permissions, throttling, network): the answer is unknown. */
    aws: 3,
} as const;

const USAGE = `Usage: npm run leftovers -- --stack NAME [--region REGION]
Exit codes: ${EXIT.clean} nothing left, ${EXIT.leftovers} something left, ${EXIT.usage} bad arguments or stack file, ${EXIT.aws} AWS call failed`;

export interface Clients {
    tagging: ResourceGroupsTaggingAPIClient;
    logs: CloudWatchLogsClient;
}

export async function leftoversMain(argv: string[], makeClients: (region: string) => Clients, print = console.log): Promise<number> {
    let stack: string | undefined;
    let region: string | undefined;
    const usage = (message: string) => {
        print(`${message}\n${USAGE}`);
        return EXIT.usage;
    };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        if (flag !== "--stack" && flag !== "--region") return usage(`unknown option ${flag}`);
        const value = argv[++i];
        if (value === undefined || value.trim() === "" || value.startsWith("-")) return usage(`${flag} needs a value`);
        if (flag === "--stack") stack = value;
        else region = value;
    }
    if (!stack) return usage("--stack is required");
    if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region)) return usage(`--region ${JSON.stringify(region)} is not an AWS region name like us-east-1`);
    const file = `Pulumi.${stack}.yaml`;
    if (!fs.existsSync(stackFile(stack))) {
        // A stack removed with `pulumi stack rm` loses its file: checking it needs the region spelled out.
        if (!region) return usage(`unknown stack ${JSON.stringify(stack)}: there is no ${file} (stacks: ${shippedStacks().join(", ")}); for a stack whose file is gone, pass --region`);
        print(`(no ${file}: looking for resources tagged with stack ${stack} in ${region})`);
    } else if (!region) {
        let config: Record<string, string>;
        try {
            config = stackConfig(stack);
        } catch (error) {
            return usage((error as Error).message);
        }
        region = config["aws:region"] ?? process.env.AWS_REGION;
        if (!region) return usage(`no region: ${file} sets no aws:region and AWS_REGION is not set; pass --region`);
    }
    let left;
    try {
        left = await findLeftovers({ ...makeClients(region), project: PROJECT, stack });
    } catch (error) {
        print(`leftovers: asking AWS in ${region} failed, so nothing is known about what is left: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
        return EXIT.aws;
    }
    if (left.length === 0) {
        print(`Nothing of stack ${stack} is left in ${region}.`);
        return EXIT.clean;
    }
    print(`${left.length} thing${left.length === 1 ? "" : "s"} of stack ${stack} left in ${region}:`);
    for (const l of left) print(`  ${l.kind.padEnd(16)} ${l.id}${l.lab ? `  (lab ${l.lab})` : ""}`);
    print("Delete them by hand, or run pulumi destroy again if the stack still lists them.");
    return EXIT.leftovers;
}

if (require.main === module) {
    leftoversMain(process.argv.slice(2), (region) => ({
        tagging: new ResourceGroupsTaggingAPIClient({ region }),
        logs: new CloudWatchLogsClient({ region }),
    }))
        .then((code) => process.exit(code))
        .catch((error) => {
            console.error(`leftovers: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
            process.exit(EXIT.aws);
        });
}
