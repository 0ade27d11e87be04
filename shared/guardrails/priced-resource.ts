/**
 * A resource as the policy engine hands it to a stack policy, turned into what the cost estimate reads
 * (shared/pricing/estimate.ts, shared with `npm run cost`).
 */
import type { PolicyResource } from "@pulumi/policy";
// The engine wraps props in a proxy that throws on values unknown during preview. A FileAsset's path is a
// Promise, which cannot be awaited through that proxy, so assets are read from the proxy's target.
// The module is internal to @pulumi/policy (no types), so its three exports are declared here.
const proxy = require("@pulumi/policy/proxy") as {
    isSpecialProxy: string;
    getSpecialProxyTarget: string;
    UnknownValueError: new () => Error;
};
import type { PricedResource } from "../pricing/estimate";

const OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";

export function pricedResource(r: PolicyResource): PricedResource {
    return {
        type: r.type,
        name: r.name,
        inputs: r.type === OBJECT ? objectInputs(r.props) : r.props,
        // A provider reference is `<urn>::<id>`; labOf reads the provider's name from it, the id does not matter.
        provider: r.provider ? `${r.provider.urn}::${r.provider.name}-id` : undefined,
    };
}

/** An uploaded object's `source` (the file asset itself) and `content` (empty while unknown: a few bytes at most). */
function objectInputs(props: Record<string, any>): Record<string, unknown> {
    const source = props.source;
    let content: unknown;
    try {
        content = props.content;
    } catch (error) {
        if (!(error instanceof proxy.UnknownValueError)) throw error;
        content = undefined;
    }
    return { source: source?.[proxy.isSpecialProxy] ? source[proxy.getSpecialProxyTarget] : source, content };
}
