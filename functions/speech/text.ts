/**
 * What the speech function accepts as a text. No SDK imports: the local lab's page refuses a text by these rules
 * at upload without loading the function's clients.
 */

/** Polly's limits on billed characters: SynthesizeSpeech answers synchronously up to 3,000; a task takes 100,000. */
export const SYNC_CHAR_LIMIT = 3000;
export const TASK_CHAR_LIMIT = 100_000;

/**
 * Why a text cannot be spoken ("is empty", "has 100,001 characters, over Polly's 100,000-character limit"), or
 * undefined when it can: the rules the function applies to every upload, for a page to refuse the text up front.
 */
export function textProblem(text: string): string | undefined {
    if (text.includes("\u0000")) return "is not UTF-8 text (it holds NUL bytes)";
    const trimmed = text.trim();
    if (trimmed.length === 0) return text.length === 0 ? "is empty" : "is empty (only whitespace)";
    const characters = [...trimmed].length;
    if (characters > TASK_CHAR_LIMIT) {
        return `has ${characters.toLocaleString("en-US")} characters, over Polly's ${TASK_CHAR_LIMIT.toLocaleString("en-US")}-character limit`;
    }
    return undefined;
}
