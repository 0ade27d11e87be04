import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { STACK_TAG, stackTags } from "./lab-provider";

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
}

/**
 * An AWS Budget for what this stack costs: cost filtered by the `cloud-labs:stack` tag every lab resource carries.
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
                // A user-defined tag is written `user:<key>$<value>` in a budget filter.
                costFilters: [{ name: "TagKeyValue", values: [`user:${STACK_TAG}$${pulumi.getStack()}`] }],
                notifications: [notify("FORECASTED", 80), notify("ACTUAL", 100)],
                tags: stackTags(),
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
