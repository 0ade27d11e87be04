import type { Logger } from "../shared/log";
import { SKILL_NAME, SPACE_FACTS } from "./facts";

/** The parts of an Alexa Skills Kit request envelope the skill reads. */
export interface AlexaRequestEnvelope {
    version: string;
    session?: { new?: boolean; application?: { applicationId?: string } };
    context?: { System?: { application?: { applicationId?: string } } };
    request: {
        type: string;
        requestId?: string;
        locale?: string;
        intent?: { name: string };
        reason?: string;
        error?: { type?: string; message?: string };
    };
}

/** An Alexa Skills Kit response envelope (built by hand: no SDK in the bundle). */
export interface AlexaResponseEnvelope {
    version: "1.0";
    response: {
        outputSpeech?: { type: "PlainText"; text: string };
        card?: { type: "Simple"; title: string; content: string };
        reprompt?: { outputSpeech: { type: "PlainText"; text: string } };
        shouldEndSession?: boolean;
    };
}

export const MESSAGES = {
    fact: "Here's your fact: ",
    help: "You can say tell me a space fact, or, you can say exit... What can I help you with?",
    helpReprompt: "What can I help you with?",
    stop: "Goodbye!",
    fallback:
        "The Space Facts skill can't help you with that. It can help you discover facts about space if you say tell me a space fact. What can I help you with?",
    fallbackReprompt: "What can I help you with?",
    error: "Sorry, an error occurred.",
} as const;

export interface FactSkillSettings {
    /** The skill allowed to call; requests from another skill are refused. */
    skillId: string;
    /** The facts to pick from. */
    facts?: readonly string[];
    /** A number in [0, 1), e.g. Math.random. */
    random?: () => number;
    logger?: Logger;
}

/** The request came from another skill than the configured one. */
export class WrongSkillError extends Error {}

/**
 * The fact skill of the sample app: LaunchRequest and GetNewFactIntent tell a random fact; help, stop, cancel and
 * fallback answer as the sample does; SessionEndedRequest gets an empty response.
 */
export function createFactSkill(settings: FactSkillSettings): (event: AlexaRequestEnvelope) => Promise<AlexaResponseEnvelope> {
    const facts = settings.facts ?? SPACE_FACTS;
    const random = settings.random ?? Math.random;
    return async (event) => {
        const caller = event.context?.System?.application?.applicationId ?? event.session?.application?.applicationId;
        if (caller !== settings.skillId) {
            settings.logger?.error("wrong skill", { caller });
            throw new WrongSkillError(`request from skill ${caller ?? "(none)"}, expected ${settings.skillId}`);
        }
        const { type, intent } = event.request;
        settings.logger?.info("request", { type, intent: intent?.name, requestId: event.request.requestId });
        if (type === "LaunchRequest" || (type === "IntentRequest" && intent?.name === "GetNewFactIntent")) {
            const fact = facts[Math.min(facts.length - 1, Math.floor(random() * facts.length))];
            return respond({ speech: MESSAGES.fact + fact, card: fact, end: true });
        }
        if (type === "IntentRequest") {
            switch (intent?.name) {
                case "AMAZON.HelpIntent":
                    return respond({ speech: MESSAGES.help, reprompt: MESSAGES.helpReprompt, end: false });
                case "AMAZON.StopIntent":
                case "AMAZON.CancelIntent":
                    return respond({ speech: MESSAGES.stop, end: true });
                default:
                    return respond({ speech: MESSAGES.fallback, reprompt: MESSAGES.fallbackReprompt, end: false });
            }
        }
        if (type === "SessionEndedRequest") {
            if (event.request.error)
                settings.logger?.error("session ended with an error", { reason: event.request.reason, error: event.request.error });
            return { version: "1.0", response: {} };
        }
        return respond({ speech: MESSAGES.error, reprompt: MESSAGES.error, end: false });
    };
}

function respond(r: { speech: string; card?: string; reprompt?: string; end: boolean }): AlexaResponseEnvelope {
    return {
        version: "1.0",
        response: {
            outputSpeech: { type: "PlainText", text: r.speech },
            ...(r.card ? { card: { type: "Simple", title: SKILL_NAME, content: r.card } } : {}),
            ...(r.reprompt ? { reprompt: { outputSpeech: { type: "PlainText", text: r.reprompt } } } : {}),
            shouldEndSession: r.end,
        },
    };
}
