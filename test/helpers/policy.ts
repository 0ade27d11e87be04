import type { MockedResource } from "./program";
import { statementsOf, type Statement } from "../../policy/iam-statements";

export { ACTIONS_WITHOUT_RESOURCES, list, statementsOf, type Statement } from "../../policy/iam-statements";

/** Every action and resource an IAM policy resource grants, for least-privilege checks. */
export function grants(resource: MockedResource): Statement[] {
    return statementsOf(resource.inputs.policy);
}
