/** The labs switched on, and the settings every Lambda function shares. */
import { LAB_NAMES, type LabName } from "../../lab-names";
import { describe, type RawReader } from "../reader";
import { LAMBDA_ARCHITECTURES, LOG_RETENTION_DAYS, type LabConfig } from "../schema";

export function readLabs(r: RawReader, problems: string[]): LabName[] {
    const labs = r.array("labs");
    const unknown = labs.filter((l) => !(LAB_NAMES as readonly string[]).includes(l));
    if (unknown.length > 0) {
        problems.push(describe("labs", JSON.stringify(unknown), `each lab must be one of ${LAB_NAMES.join(", ")}`));
    } else if (labs.length === 0 && r.isSet("labs")) {
        problems.push(
            describe("labs", "[]", `must name at least one lab (${LAB_NAMES.join(", ")}); to remove every lab, run pulumi destroy`),
        );
    }
    return labs as LabName[];
}

export function readFunctionSettings(
    r: RawReader,
): Pick<LabConfig, "lambdaArchitecture" | "lambdaMemoryMb" | "logRetentionDays" | "tracing"> {
    return {
        lambdaArchitecture: r.oneOf("lambdaArchitecture", LAMBDA_ARCHITECTURES),
        lambdaMemoryMb: r.integer("lambdaMemoryMb"),
        logRetentionDays: r.integerOneOf("logRetentionDays", LOG_RETENTION_DAYS),
        tracing: r.boolean("tracing"),
    };
}
