/**
 * The tags every cloud-labs resource carries, and the identity of one deployment. SDK-free: index.ts builds the
 * lab providers' default tags and the budget's filter from it, `npm run leftovers` (and the cohort tools) search by it.
 *
 * A stack name is not unique in an account: every student's `dev` can live in one training account. What is unique
 * is the deployment: `<project>-<stack>-<suffix>`, the suffix being the random one each stack keeps in its state
 * (stacks/physical-name.ts). The budget filters on it and leftovers search for it; the project, stack and lab tags
 * stay for people who browse the console.
 */

/** The tag keys. */
export const TAG = {
    project: "cloud-labs:project",
    stack: "cloud-labs:stack",
    lab: "cloud-labs:lab",
    /** `<project>-<stack>-<suffix>`: one deployment, shared with no other. */
    deployment: "cloud-labs:deployment",
} as const;

/** Length of the per-stack suffix the id ends in; the same as stacks/physical-name.ts's SUFFIX_LENGTH (a test holds them equal). */
export const DEPLOYMENT_SUFFIX_LENGTH = 6;

/** A deployment id as the program makes it: `<project>-<stack>-<6 lower-case letters or digits>`. */
export const DEPLOYMENT_ID = new RegExp(`^([A-Za-z0-9][A-Za-z0-9._-]*)-([a-z0-9]{${DEPLOYMENT_SUFFIX_LENGTH}})$`);

/** The identity of one deployment: `<project>-<stack>-<suffix>`. */
export function deploymentId(project: string, stack: string, suffix: string): string {
    return `${project}-${stack}-${suffix}`;
}

/** The stack name inside a deployment id of `project` (`cloud-labs-dev-ab12cd` → `dev`), if it is one. */
export function stackOfDeployment(id: string, project: string): string | undefined {
    const match = DEPLOYMENT_ID.exec(id);
    if (!match || !match[1].startsWith(`${project}-`)) return undefined;
    return match[1].slice(project.length + 1) || undefined;
}

/** The tags every resource of a deployment carries, whatever its lab. */
export function deploymentTags(project: string, stack: string, deployment: string): Record<string, string> {
    return { [TAG.project]: project, [TAG.stack]: stack, [TAG.deployment]: deployment };
}

/** A lab's resources: the deployment's tags and the lab's name. */
export function labTags(tags: Record<string, string>, lab: string): Record<string, string> {
    return { ...tags, [TAG.lab]: lab };
}

/** How AWS Budgets writes a filter on a user-defined tag: `user:<key>$<value>`. */
export function budgetTagFilter(key: string, value: string): string {
    return `user:${key}$${value}`;
}
