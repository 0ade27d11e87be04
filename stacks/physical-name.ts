import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * Physical names for the few resources AWS requires a name for (everything else is auto-named by Pulumi, which
 * appends its own random suffix). Two deployments of a stack with the same name — every student's `dev` in one
 * training account — must not collide, so such names end in a random suffix made once per stack and kept in its
 * state: `<project>-<stack>-<name>-<suffix>`, readable, and stable across updates.
 */

/** What one kind of AWS name may hold. */
export interface NameRule {
    /** What the name is, for the error message, e.g. "an ECS task definition family". */
    what: string;
    /** The longest name AWS accepts. */
    maxLength: number;
    /** Every character the name may hold. */
    characters: RegExp;
    /** Those characters in words. */
    charactersText: string;
}

export const NAME_RULES = {
    ecsTaskFamily: {
        what: "an ECS task definition family",
        maxLength: 255,
        characters: /^[A-Za-z0-9_-]+$/,
        charactersText: "letters, digits, hyphens and underscores",
    },
} satisfies Record<string, NameRule>;

/** Length of the per-stack suffix: 36^6 ≈ 2 billion values. */
export const SUFFIX_LENGTH = 6;

/** The per-stack random suffix (lower-case letters and digits), created once and kept in the stack's state. */
export function stackNameSuffix(opts?: pulumi.CustomResourceOptions): pulumi.Output<string> {
    return new random.RandomString("name-suffix", { length: SUFFIX_LENGTH, upper: false, special: false }, opts).result;
}

/**
 * `<project>-<stack>-<name>-<suffix>`, the prefix cut so the whole fits `rule.maxLength`. Fails at preview, naming
 * the stack, when the stack name holds a character this kind of name cannot.
 */
export function physicalName(name: string, suffix: pulumi.Input<string>, rule: NameRule): pulumi.Output<string> {
    const stack = pulumi.getStack();
    const base = `${pulumi.getProject()}-${stack}-${name}`;
    if (!rule.characters.test(base)) {
        throw new StackNameError(stack, `${rule.what} made from it ("${base}-…") may hold only ${rule.charactersText}`);
    }
    const prefix = base.slice(0, rule.maxLength - SUFFIX_LENGTH - 1);
    return pulumi.interpolate`${prefix}-${suffix}`;
}

/** The stack's name cannot be part of a physical name; the message says which name and what it may hold. */
export class StackNameError extends Error {
    constructor(stack: string, reason: string) {
        super(
            `The stack name "${stack}" cannot be used: ${reason}. Create a stack whose name has only letters, digits and hyphens (pulumi stack init <name>).`,
        );
        this.name = "StackNameError";
    }
}
