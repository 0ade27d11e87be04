/**
 * Runs the policy pack's policies (shared/guardrails/policies.ts) over the resources a stack registers under mocks, the way
 * the Pulumi CLI's analyzer would hand them over: props behind the same unknown-checking proxy, options, parent
 * URN, provider, and each policy's config with its schema defaults. No CLI, no AWS.
 */
import type {
    EnforcementLevel,
    PolicyPackConfig,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { PROJECT, promiseOf, type ProgramResource } from "../../shared/resource-graph";
import { policies as packPolicies } from "../../shared/guardrails/policies";

const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy: <T>(value: T) => T };

export interface Violation {
    policy: string;
    enforcementLevel: EnforcementLevel;
    /** The resource's logical name; absent for a violation of the whole stack. */
    resource?: string;
    message: string;
}

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** The URN the CLI would give a resource (without the parent type chain: names are unique in this program). */
const urnOf = (stack: string, r: Pick<ProgramResource, "type" | "name">) => `urn:pulumi:${stack}::${PROJECT}::${r.type}::${r.name}`;

/** Every violation the policies report for these resources; `config` is what `--policy-pack-config` would pass. */
export async function evaluatePolicies(
    stack: string,
    resources: ProgramResource[],
    config: PolicyPackConfig = {},
    policies: AnyPolicy[] = packPolicies,
): Promise<Violation[]> {
    const byUrn = new Map<string, ProgramResource>();
    for (const r of resources) byUrn.set(urnOf(stack, r), r);
    const providers = new Map(resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((p) => [p.name, p]));
    const parents = new Map<ProgramResource, string | undefined>();
    for (const r of resources) parents.set(r, r.options.parent ? await promiseOf(r.options.parent.urn) : undefined);

    const providerOf = (r: ProgramResource) => {
        const name = /::([^:]+)::[^:]+$/.exec(r.provider ?? "")?.[1];
        const p = name ? providers.get(name) : undefined;
        return p ? { type: p.type, name: p.name, urn: urnOf(stack, p), props: unknownCheckingProxy(p.inputs) } : undefined;
    };
    const optionsOf = (r: ProgramResource) => ({
        protect: r.options.protect === true,
        ignoreChanges: r.options.ignoreChanges ?? [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: r.options.additionalSecretOutputs ?? [],
        ...(r.options.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: r.options.deleteBeforeReplace } : {}),
        ...(parents.get(r) ? { parent: parents.get(r) } : {}),
        // Not in the analyzer protocol; passed here so the teardown policy sees it under mocks.
        ...(r.options.retainOnDelete ? { retainOnDelete: true } : {}),
    });
    /** What the engine tells a policy about any resource. */
    const described = (r: ProgramResource) => ({
        type: r.type,
        name: r.name,
        urn: urnOf(stack, r),
        props: unknownCheckingProxy(r.inputs),
        opts: optionsOf(r),
        provider: providerOf(r),
        isType: () => false,
        asType: () => undefined,
    });
    const notApplicable = (): never => {
        throw new NotApplicable();
    };

    const violations: Violation[] = [];
    for (const policy of policies) {
        const level = enforcementLevelOf(policy, config);
        if (level === "disabled") continue;
        const getConfig = <T extends object>() => configOf(policy, config) as T;
        const reporter = (resource?: string) => (message: string, urn?: string) =>
            violations.push({
                policy: policy.name,
                enforcementLevel: level,
                resource: urn ? (byUrn.get(urn)?.name ?? urn) : resource,
                message,
            });
        try {
            if ("validateStack" in policy) {
                const stackResources: PolicyResource[] = resources.map((r) => ({
                    ...described(r),
                    dependencies: [],
                    propertyDependencies: {},
                }));
                await policy.validateStack({ resources: stackResources, stackTags: new Map(), getConfig, notApplicable }, reporter());
                continue;
            }
            for (const r of resources) {
                const args: ResourceValidationArgs = { ...described(r), stackTags: new Map(), getConfig, notApplicable };
                for (const validate of [policy.validateResource ?? []].flat()) {
                    try {
                        await validate(args, reporter(r.name));
                    } catch (error) {
                        if (!(error instanceof NotApplicable)) throw error;
                    }
                }
            }
        } catch (error) {
            if (!(error instanceof NotApplicable)) throw error;
        }
    }
    return violations;
}

class NotApplicable extends Error {}

/** A policy's level: the pack config's (`"advisory"` or `{ enforcementLevel }`), else its own, else mandatory. */
export function enforcementLevelOf(policy: Pick<AnyPolicy, "name" | "enforcementLevel">, config: PolicyPackConfig): EnforcementLevel {
    const c = config[policy.name] ?? config.all;
    const level = typeof c === "string" ? c : (c?.enforcementLevel ?? policy.enforcementLevel ?? "mandatory");
    return level === "remediate" ? "mandatory" : level;
}

/** A policy's config: its schema's defaults, overridden by the pack config's values for it. */
function configOf(policy: AnyPolicy, config: PolicyPackConfig): Record<string, unknown> {
    const defaults = Object.fromEntries(
        Object.entries(policy.configSchema?.properties ?? {})
            .filter(([, schema]) => typeof schema === "object" && schema.default !== undefined)
            .map(([key, schema]) => [key, (schema as { default: unknown }).default]),
    );
    const given = config[policy.name];
    const { enforcementLevel: _, ...values } = typeof given === "object" ? given : {};
    return { ...defaults, ...values };
}
