import { requireEnv } from "../shared/env";
import { consoleLogger } from "../shared/log";
import { createFactSkill } from "./core";

/** The Lambda entry Alexa invokes: the fact skill for the skill named by ALEXA_SKILL_ID. */
export const handler = createFactSkill({ skillId: requireEnv("ALEXA_SKILL_ID"), logger: consoleLogger });
