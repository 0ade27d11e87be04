/**
 * The cloud-labs policy pack, run by `pulumi preview --policy-pack policy`. It only constructs the pack (which
 * starts the CLI's analyzer server and never returns); the policies live in policies.ts, where tests and
 * `npm run policy` import them.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "../shared/guardrails/policies";

new PolicyPack("cloud-labs", { policies, enforcementLevel: "mandatory" });
