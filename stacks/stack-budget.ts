import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface StackBudgetArgs {
    /**
     * The monthly limit in US dollars.
     * @example { monthlyUsd: 50 }
     */
    monthlyUsd: number;
    /**
     * Who gets the alerts: at 80 % of the forecast and at 100 % of the actual spend.
     * @example { email: "you@example.com" }
     */
    email: string;
    /**
     * The cost allocation tag the budget counts, as AWS Budgets writes it: `user:<key>$<value>`.
     * @example { costFilterTag: "user:cloud-labs:deployment$cloud-labs-dev-ab12cd" }
     */
    costFilterTag: pulumi.Input<string>;
    /**
     * The budget's own tags (it is made by the default provider, which has none).
     * @example { tags: { "cloud-labs:deployment": "cloud-labs-dev-ab12cd" } }
     */
    tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * An AWS Budget for what this deployment costs: cost filtered by a tag every lab resource carries (index.ts passes
 * the deployment's own, `cloud-labs:deployment`, which no other deployment of the same stack name shares).
 * AWS counts a tag in budgets only once it is activated as a cost allocation tag (Billing → Cost allocation tags).
 */
export class StackBudget extends pulumi.ComponentResource {
    readonly budget: aws.budgets.Budget;

    constructor(name: string, args: StackBudgetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cloud-labs:budgets:StackBudget", name, {}, opts);
        const notify = (notificationType: "FORECASTED" | "ACTUAL", threshold: number) => ({
            notificationType,
            comparisonOperator: "GREATER_THAN",
            threshold,
            thresholdType: "PERCENTAGE",
            subscriberEmailAddresses: [args.email],
        });
        this.budget = new aws.budgets.Budget(
            `${name}-budget`,
            {
                budgetType: "COST",
                timeUnit: "MONTHLY",
                limitAmount: args.monthlyUsd.toFixed(2),
                limitUnit: "USD",
                costFilters: [{ name: "TagKeyValue", values: [args.costFilterTag] }],
                notifications: [notify("FORECASTED", 80), notify("ACTUAL", 100)],
                tags: args.tags,
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
