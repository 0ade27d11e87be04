/** The audio lab's rules: a voice that speaks with the chosen engine, seed texts that exist, the fact skill's mode. */
import * as fs from "node:fs";
import * as path from "node:path";
import { TEXTS_DIR } from "../../audio-files";
import type { LabName } from "../../lab-names";
import { POLLY_ENGINES, POLLY_VOICES } from "../../polly-voices";
import { describe, type RawReader } from "../reader";
import { ALEXA_SKILL_ID, FACT_SKILL_MODES, type FactSkillMode, type LabConfig } from "../schema";

export function readAudio(
    r: RawReader,
    problems: string[],
    labs: readonly LabName[],
): Pick<LabConfig, "audioVoice" | "audioEngine" | "audioSeedTexts" | "alexaFactSkill" | "alexaFactSkillVersion" | "alexaSkillId"> {
    const audioVoice = r.string("audioVoice");
    const audioEngine = r.oneOf("audioEngine", POLLY_ENGINES);
    const voiceEngines = POLLY_VOICES[audioVoice];
    if (!voiceEngines) {
        problems.push(describe("audioVoice", audioVoice, `must be one of ${Object.keys(POLLY_VOICES).join(", ")}`));
    } else if ((POLLY_ENGINES as readonly string[]).includes(audioEngine) && !voiceEngines.includes(audioEngine)) {
        problems.push(
            describe("audioVoice", audioVoice, `supports only the ${voiceEngines.join(" and ")} engine, not cloud-labs:audioEngine = ${audioEngine}`),
        );
    }
    const audioSeedTexts = r.array("audioSeedTexts");
    for (const name of audioSeedTexts) {
        if (!/^[\w.-]+\.txt$/.test(name) || !fs.existsSync(path.join(TEXTS_DIR, name))) {
            problems.push(describe("audioSeedTexts", name, "each entry must name a .txt file in data/texts/"));
        }
    }
    const skillSwitch = r.oneOf("alexaFactSkill", FACT_SKILL_MODES);
    const alexaFactSkill: FactSkillMode = skillSwitch === "true" || skillSwitch === "sar" ? "sar" : skillSwitch === "function" ? "function" : "off";
    const alexaFactSkillVersion = r.string("alexaFactSkillVersion");
    const alexaSkillId = r.string("alexaSkillId");
    if (alexaFactSkill === "function" && !ALEXA_SKILL_ID.test(alexaSkillId)) {
        problems.push(
            describe("alexaSkillId", alexaSkillId, "must be the skill's ID, amzn1.ask.skill.<uuid> (Alexa developer console → your skill → Copy Skill ID), when alexaFactSkill is function"),
        );
    }
    if (alexaFactSkill === "sar" && !/^\d+\.\d+\.\d+$/.test(alexaFactSkillVersion)) {
        problems.push(
            describe(
                "alexaFactSkillVersion",
                alexaFactSkillVersion,
                "must be the semantic version (e.g. 1.2.3) to pin when alexaFactSkill is sar (or true); list them with " +
                    "aws serverlessrepo list-application-versions --application-id " +
                    "arn:aws:serverlessrepo:us-east-1:173334852312:applications/alexa-skills-kit-nodejs-factskill",
            ),
        );
    }

    if (alexaFactSkill !== "off" && !labs.includes("audio")) {
        problems.push(describe("alexaFactSkill", skillSwitch ?? alexaFactSkill, "deploys with the audio lab only: add audio to cloud-labs:labs, or remove alexaFactSkill"));
    }

    return { audioVoice, audioEngine, audioSeedTexts, alexaFactSkill, alexaFactSkillVersion, alexaSkillId };
}
