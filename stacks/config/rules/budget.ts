/** The stack budget: an amount and an address, both or neither. */
import { describe, type RawReader } from "../reader";
import type { LabConfig } from "../schema";

export function readBudget(r: RawReader, problems: string[]): LabConfig["budget"] {
    const monthlyUsd = r.integer("budgetMonthlyUsd");
    const email = r.string("budgetEmail");
    if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
        problems.push(describe("budgetEmail", email, "must be an email address like you@example.com"));
    if (monthlyUsd > 0 !== (email !== "")) {
        problems.push(
            describe(
                email ? "budgetMonthlyUsd" : "budgetEmail",
                email ? monthlyUsd : "",
                "budgetMonthlyUsd and budgetEmail go together: set both (a whole number of dollars above 0 and an address), or neither",
            ),
        );
    }
    return monthlyUsd > 0 && email ? { monthlyUsd, email } : undefined;
}
