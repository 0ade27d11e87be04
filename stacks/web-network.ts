/**
 * Where the web service runs: the configured VPC and subnets, or two default subnets of the default VPC. An
 * Application Load Balancer needs subnets in two availability zones, and each subnet it sits in holds a public IPv4
 * address billed by the hour, so by default it gets exactly two, in distinct zones, chosen the same way every time.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { WebServiceConfig } from "./config";

export interface WebNetwork {
    vpcId: pulumi.Output<string>;
    /** The subnets of the load balancer and the tasks. */
    subnetIds: pulumi.Output<string[]>;
}

/** How many default subnets the load balancer and tasks get: the two zones an ALB needs, no more to pay for. */
export const DEFAULT_SUBNET_COUNT = 2;

/** Looks up (or checks) the network; errors name the config keys that fix them. */
export function lookUpNetwork(s: Pick<WebServiceConfig, "vpcId" | "subnetIds">, parent: pulumi.Resource): WebNetwork {
    if (s.vpcId) {
        // The load balancer needs subnets in two availability zones; the config check counted them, this checks the zones.
        const zones = s.subnetIds.map((id) => aws.ec2.getSubnetOutput({ id }, { parent }).availabilityZone);
        const subnetIds = pulumi.all(zones).apply((azs) => {
            requireTwoZones(s.subnetIds, azs, "cloud-labs:webSubnetIds");
            return s.subnetIds;
        });
        return { vpcId: pulumi.output(s.vpcId), subnetIds };
    }
    // getVpcs (not getVpc) answers an empty list instead of a raw "no matching VPC" error; the subnets are looked
    // up only once there is a VPC, so a missing one gives exactly one error.
    const network = aws.ec2.getVpcsOutput({ filters: [{ name: "is-default", values: ["true"] }] }, { parent }).ids.apply(async (vpcIds) => {
        if (vpcIds.length === 0) throw new NoDefaultVpcError();
        const filters = [
            { name: "vpc-id", values: [vpcIds[0]] },
            { name: "default-for-az", values: ["true"] },
        ];
        const { ids } = await aws.ec2.getSubnets({ filters }, { parent });
        // Default subnets are one per zone, so their count is the number of zones.
        if (ids.length < 2) {
            throw new Error(
                `The default VPC has ${ids.length} default subnet(s); an Application Load Balancer needs subnets in at least two ` +
                    "availability zones. Recreate them (`aws ec2 create-default-subnet --availability-zone <zone>`) or set " +
                    "cloud-labs:webVpcId and cloud-labs:webSubnetIds (`aws ec2 describe-vpcs`, `aws ec2 describe-subnets`).",
            );
        }
        const subnets = await Promise.all(
            ids.map(async (id) => ({ id, zone: (await aws.ec2.getSubnet({ id }, { parent })).availabilityZone })),
        );
        return { vpcId: vpcIds[0], subnetIds: chooseSubnets(subnets, DEFAULT_SUBNET_COUNT) };
    });
    return { vpcId: network.vpcId, subnetIds: network.subnetIds };
}

/**
 * `count` subnets in distinct zones, the same ones whatever order AWS lists them in: zones in name order, and in
 * each zone the subnet whose id sorts first. Fewer when there are fewer zones.
 */
export function chooseSubnets(subnets: { id: string; zone: string }[], count: number): string[] {
    const byZone = new Map<string, string>();
    for (const s of [...subnets].sort((a, b) => a.zone.localeCompare(b.zone) || a.id.localeCompare(b.id))) {
        if (!byZone.has(s.zone)) byZone.set(s.zone, s.id);
    }
    return [...byZone.values()].slice(0, count);
}

/** The account has no default VPC (common in organization accounts) and none is configured. */
export class NoDefaultVpcError extends Error {
    constructor() {
        super(
            "This account and region have no default VPC, so the web service has nowhere to run. Set cloud-labs:webVpcId " +
                "and cloud-labs:webSubnetIds to a VPC and two or more of its public subnets in different availability zones: " +
                "list them with `aws ec2 describe-vpcs` and `aws ec2 describe-subnets --filters Name=vpc-id,Values=<vpc-id>` " +
                "(public subnets route 0.0.0.0/0 to an internet gateway), then `pulumi config set cloud-labs:webVpcId <vpc-id>` " +
                "and `pulumi config set --path 'cloud-labs:webSubnetIds[0]' <subnet-id>` (and [1], ...).",
        );
        this.name = "NoDefaultVpcError";
    }
}

/** An Application Load Balancer needs subnets in at least two availability zones. */
export function requireTwoZones(subnetIds: string[], zones: string[], where: string): void {
    if (new Set(zones).size >= 2) return;
    const listed = subnetIds.map((id, i) => `${id} (${zones[i]})`).join(", ") || "none";
    throw new Error(
        `${where}: an Application Load Balancer needs subnets in at least two availability zones; found ${listed}. ` +
            "Set cloud-labs:webVpcId and cloud-labs:webSubnetIds to public subnets in two or more zones (`aws ec2 describe-subnets`).",
    );
}
