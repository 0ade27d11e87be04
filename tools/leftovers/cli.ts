/**
 * `npm run leftovers -- --stack NAME [--region REGION]` (needs AWS credentials): after `pulumi destroy`, lists
 * anything of the stack still in the account. Exit 0: nothing left; 1: something left; 2: bad arguments.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { PROJECT, ROOT, stackConfig } from "../../scripts/stack-files";
import { findLeftovers } from "./core";

const USAGE = "Usage: npm run leftovers -- --stack NAME [--region REGION]";

export interface Clients {
    tagging: ResourceGroupsTaggingAPIClient;
    logs: CloudWatchLogsClient;
}

export async function leftoversMain(argv: string[], makeClients: (region: string) => Clients, print = console.log): Promise<number> {
    let stack: string | undefined;
    let region: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack") stack = argv[++i];
        else if (argv[i] === "--region") region = argv[++i];
        else {
            print(`unknown option ${argv[i]}\n${USAGE}`);
            return 2;
        }
    }
    if (!stack) {
        print(`--stack is required\n${USAGE}`);
        return 2;
    }
    const known = fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`));
    region ??= (known ? stackConfig(stack)["aws:region"] : undefined) ?? process.env.AWS_REGION;
    if (!region) {
        print(`no region: Pulumi.${stack}.yaml sets no aws:region; pass --region\n${USAGE}`);
        return 2;
    }
    const left = await findLeftovers({ ...makeClients(region), project: PROJECT, stack });
    if (left.length === 0) {
        print(`Nothing of stack ${stack} is left in ${region}.`);
        return 0;
    }
    print(`${left.length} thing${left.length === 1 ? "" : "s"} of stack ${stack} left in ${region}:`);
    for (const l of left) print(`  ${l.kind.padEnd(16)} ${l.id}${l.lab ? `  (lab ${l.lab})` : ""}`);
    print("Delete them by hand, or run pulumi destroy again if the stack still lists them.");
    return 1;
}

if (require.main === module) {
    leftoversMain(process.argv.slice(2), (region) => ({
        tagging: new ResourceGroupsTaggingAPIClient({ region }),
        logs: new CloudWatchLogsClient({ region }),
    }))
        .then((code) => process.exit(code))
        .catch((error) => {
            console.error(`leftovers: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
            process.exit(2);
        });
}
