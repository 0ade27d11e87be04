/**
 * Where the speech function reads and writes. No SDK imports: the Pulumi program uses these too (for the
 * notification filter and the MP3 URLs), and must not pull the Lambda's clients into itself.
 */
export const TEXT_PREFIX = "text/";
export const AUDIO_PREFIX = "audio/";

/** `text/a/b c.txt` → `audio/a/b c.mp3` */
export function audioKeyFor(textKey: string): string {
    return AUDIO_PREFIX + textKey.slice(TEXT_PREFIX.length).replace(/\.txt$/i, "") + ".mp3";
}
