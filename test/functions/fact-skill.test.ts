/**
 * The Alexa fact skill function (alexaFactSkill: function), fed the request JSON Alexa sends for each intent
 * (as the Alexa developer console's test tab shows it), in test/functions/alexa-requests/.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createFactSkill, WrongSkillError, type AlexaRequestEnvelope } from "../../functions/fact-skill/core";
import { memoryLogger } from "../../functions/shared/log";
import { bundle } from "../../stacks/bundle";

const SKILL_ID = "amzn1.ask.skill.0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
/** The en-US facts of the alexa-skills-kit-nodejs-factskill sample, in its order, written out here. */
const SAMPLE_FACTS = [
    "A year on Mercury is just 88 days long.",
    "Despite being farther from the Sun, Venus experiences higher temperatures than Mercury.",
    "Venus rotates counter-clockwise, possibly because of a collision in the past with an asteroid.",
    "On Mars, the Sun appears about half the size as it does on Earth.",
    "Earth is the only planet not named after a god.",
    "Jupiter has the shortest day of all the planets.",
    "The Milky Way galaxy will collide with the Andromeda Galaxy in about 5 billion years.",
    "The Sun contains 99.86% of the mass in the Solar System.",
    "The Sun is an almost perfect sphere.",
    "A total solar eclipse can happen once every 1 to 2 years. This makes them a rare event.",
    "Saturn radiates two and a half times more energy into space than it receives from the sun.",
    "The temperature inside the Sun can reach 15 million degrees Celsius.",
    "The Moon is moving approximately 3.8 cm away from our planet every year.",
];
const request = (name: string): AlexaRequestEnvelope =>
    JSON.parse(fs.readFileSync(path.join(__dirname, "alexa-requests", `${name}.json`), "utf8"));

describe("fact skill function", () => {
    // 0.5 of 13 facts: the seventh.
    const skill = createFactSkill({ skillId: SKILL_ID, random: () => 0.5 });
    const middleFact = "The Milky Way galaxy will collide with the Andromeda Galaxy in about 5 billion years.";

    it("LaunchRequest tells a fact, shows it on a card and ends the session", async () => {
        const { version, response } = await skill(request("launch"));
        assert.equal(version, "1.0");
        assert.deepEqual(response.outputSpeech, { type: "PlainText", text: `Here's your fact: ${middleFact}` });
        assert.deepEqual(response.card, { type: "Simple", title: "Space Facts", content: middleFact });
        assert.equal(response.shouldEndSession, true);
    });

    it("GetNewFactIntent tells a fact", async () => {
        const { response } = await skill(request("get-new-fact"));
        assert.equal(response.outputSpeech?.text, `Here's your fact: ${middleFact}`);
        assert.equal(response.shouldEndSession, true);
    });

    it("picks every fact of the sample, from the first to the last, by the random number", async () => {
        const told: string[] = [];
        for (let i = 0; i < 13; i++) {
            const pick = createFactSkill({ skillId: SKILL_ID, random: () => i / 13 });
            told.push((await pick(request("get-new-fact"))).response.card!.content);
        }
        assert.deepEqual(told, SAMPLE_FACTS);
        const first = createFactSkill({ skillId: SKILL_ID, random: () => 0 });
        assert.equal((await first(request("launch"))).response.card!.content, "A year on Mercury is just 88 days long.");
        const top = createFactSkill({ skillId: SKILL_ID, random: () => 0.9999999 });
        assert.equal(
            (await top(request("launch"))).response.card!.content,
            "The Moon is moving approximately 3.8 cm away from our planet every year.",
        );
    });

    it("AMAZON.HelpIntent says what to say and keeps the session open with a reprompt", async () => {
        const { response } = await skill(request("help"));
        assert.equal(response.outputSpeech?.text, "You can say tell me a space fact, or, you can say exit... What can I help you with?");
        assert.deepEqual(response.reprompt, { outputSpeech: { type: "PlainText", text: "What can I help you with?" } });
        assert.equal(response.shouldEndSession, false);
    });

    for (const name of ["stop", "cancel"]) {
        it(`AMAZON.${name === "stop" ? "Stop" : "Cancel"}Intent says goodbye and ends the session`, async () => {
            const { response } = await skill(request(name));
            assert.deepEqual(response.outputSpeech, { type: "PlainText", text: "Goodbye!" });
            assert.equal(response.shouldEndSession, true);
            assert.equal(response.card, undefined);
        });
    }

    it("AMAZON.FallbackIntent says what the skill can do and keeps listening", async () => {
        const { response } = await skill(request("fallback"));
        assert.equal(
            response.outputSpeech?.text,
            "The Space Facts skill can't help you with that. It can help you discover facts about space if you say tell me a space fact. What can I help you with?",
        );
        assert.deepEqual(response.reprompt, { outputSpeech: { type: "PlainText", text: "What can I help you with?" } });
        assert.equal(response.shouldEndSession, false);
    });

    it("SessionEndedRequest gets an empty response, and its error is logged", async () => {
        assert.deepEqual(await skill(request("session-ended")), { version: "1.0", response: {} });
        const logger = memoryLogger();
        const logged = createFactSkill({ skillId: SKILL_ID, logger });
        assert.deepEqual(await logged(request("session-ended-error")), { version: "1.0", response: {} });
        const error = logger.entries.find((e) => e.level === "ERROR")!;
        assert.equal(error.reason, "ERROR");
        assert.deepEqual(error.error, {
            type: "INVALID_RESPONSE",
            message: "An exception occurred while dispatching the request to the skill.",
        });
    });

    it("refuses a request from another skill", async () => {
        const other = createFactSkill({ skillId: "amzn1.ask.skill.11111111-2222-3333-4444-555555555555" });
        await assert.rejects(
            other(request("launch")),
            (e: Error) => e instanceof WrongSkillError && /expected amzn1\.ask\.skill\.1111/.test(e.message),
        );
    });

    it("the deployed bundle reads the skill ID from ALEXA_SKILL_ID and answers Alexa", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fact-skill-"));
        const saved = process.env.ALEXA_SKILL_ID;
        try {
            const file = path.join(dir, "index.js");
            fs.writeFileSync(file, bundle("functions/fact-skill/index.ts").code);
            delete process.env.ALEXA_SKILL_ID;
            assert.throws(() => require(file), /Environment variable ALEXA_SKILL_ID is required/);
            delete require.cache[file];
            process.env.ALEXA_SKILL_ID = SKILL_ID;
            const { handler } = require(file);
            const { response } = await handler(request("get-new-fact"));
            assert.ok(
                SAMPLE_FACTS.some((fact) => response.outputSpeech.text === `Here's your fact: ${fact}`),
                response.outputSpeech.text,
            );
        } finally {
            if (saved === undefined) delete process.env.ALEXA_SKILL_ID;
            else process.env.ALEXA_SKILL_ID = saved;
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
