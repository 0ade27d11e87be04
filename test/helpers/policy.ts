import type { ProgramResource } from "./program";
import { statementsOf, type Statement } from "../../shared/guardrails/iam-statements";

export { ACTIONS_WITHOUT_RESOURCES, list, statementsOf, type Statement } from "../../shared/guardrails/iam-statements";

/** Every action and resource an IAM policy resource grants, for least-privilege checks. */
export function grants(resource: ProgramResource): Statement[] {
    return statementsOf(resource.inputs.policy);
}
