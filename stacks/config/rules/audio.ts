/**
 * The audio lab's rules: a voice that speaks with the chosen engine, seed texts that exist, the fact skill's mode.
 * The config reader reports them at preview, and `new AudioLab(...)` checks its arguments with the same sentences.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TEXTS_DIR } from "../../audio-files";
import type { LabName } from "../../lab-names";
import { POLLY_ENGINES, POLLY_VOICES } from "../../polly-voices";
import { describe, type RawReader } from "../reader";
import { ALEXA_SKILL_ID, FACT_SKILL_MODES, type FactSkillMode, type LabConfig } from "../schema";

/** The audio lab's settings as the component takes them. */
export interface AudioSettings {
    voice: string;
    engine: string;
    seedTexts: readonly string[];
    factSkill?: { from: "sar"; version: string } | { from: "function"; skillId: string };
}

/** Every problem of these settings, one sentence each naming the config key; empty when they are usable. */
export function audioProblems(s: AudioSettings): string[] {
    const problems: string[] = [];
    const voiceEngines = POLLY_VOICES[s.voice];
    if (!(POLLY_ENGINES as readonly string[]).includes(s.engine)) {
        problems.push(describe("audioEngine", s.engine, `must be one of ${POLLY_ENGINES.join(", ")}`));
    }
    if (!voiceEngines) {
        problems.push(describe("audioVoice", s.voice, `must be one of ${Object.keys(POLLY_VOICES).join(", ")}`));
    } else if ((POLLY_ENGINES as readonly string[]).includes(s.engine) && !(voiceEngines as readonly string[]).includes(s.engine)) {
        problems.push(
            describe(
                "audioVoice",
                s.voice,
                `supports only the ${voiceEngines.join(" and ")} engine, not cloud-labs:audioEngine = ${s.engine}`,
            ),
        );
    }
    for (const name of s.seedTexts) {
        if (!/^[\w.-]+\.txt$/.test(name) || !fs.existsSync(path.join(TEXTS_DIR, name))) {
            problems.push(describe("audioSeedTexts", name, "each entry must name a .txt file in data/texts/"));
        }
    }
    if (s.factSkill?.from === "function" && !ALEXA_SKILL_ID.test(s.factSkill.skillId)) {
        problems.push(
            describe(
                "alexaSkillId",
                s.factSkill.skillId,
                "must be the skill's ID, amzn1.ask.skill.<uuid> (Alexa developer console → your skill → Copy Skill ID), when alexaFactSkill is function",
            ),
        );
    }
    if (s.factSkill?.from === "sar" && !/^\d+\.\d+\.\d+$/.test(s.factSkill.version)) {
        problems.push(
            describe(
                "alexaFactSkillVersion",
                s.factSkill.version,
                "must be the semantic version (e.g. 1.2.3) to pin when alexaFactSkill is sar (or true); list them with " +
                    "aws serverlessrepo list-application-versions --application-id " +
                    "arn:aws:serverlessrepo:us-east-1:173334852312:applications/alexa-skills-kit-nodejs-factskill",
            ),
        );
    }
    return problems;
}

export function readAudio(
    r: RawReader,
    problems: string[],
    labs: readonly LabName[],
): Pick<LabConfig, "audioVoice" | "audioEngine" | "audioSeedTexts" | "alexaFactSkill" | "alexaFactSkillVersion" | "alexaSkillId"> {
    const audioVoice = r.string("audioVoice");
    const audioEngine = r.oneOf("audioEngine", POLLY_ENGINES);
    const audioSeedTexts = r.array("audioSeedTexts");
    const skillSwitch = r.oneOf("alexaFactSkill", FACT_SKILL_MODES);
    const alexaFactSkill: FactSkillMode =
        skillSwitch === "true" || skillSwitch === "sar" ? "sar" : skillSwitch === "function" ? "function" : "off";
    const alexaFactSkillVersion = r.string("alexaFactSkillVersion");
    const alexaSkillId = r.string("alexaSkillId");
    problems.push(
        ...audioProblems({
            voice: audioVoice,
            engine: audioEngine,
            seedTexts: audioSeedTexts,
            factSkill:
                alexaFactSkill === "sar"
                    ? { from: "sar", version: alexaFactSkillVersion }
                    : alexaFactSkill === "function"
                      ? { from: "function", skillId: alexaSkillId }
                      : undefined,
        }),
    );
    if (alexaFactSkill !== "off" && !labs.includes("audio")) {
        problems.push(
            describe(
                "alexaFactSkill",
                skillSwitch ?? alexaFactSkill,
                "deploys with the audio lab only: add audio to cloud-labs:labs, or remove alexaFactSkill",
            ),
        );
    }
    return { audioVoice, audioEngine, audioSeedTexts, alexaFactSkill, alexaFactSkillVersion, alexaSkillId };
}
