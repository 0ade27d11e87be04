/**
 * The stack's configuration: the schema (schema.ts), the reader (reader.ts) and each lab's rules (rules/).
 * `loadConfig` reads and validates every key once; all problems are reported together, one message per key.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkKeys, ConfigError, onePerKey, pulumiSource, RawReader, type ConfigSource, type LoadConfigOptions } from "./reader";
import { readAudio } from "./rules/audio";
import { readBudget } from "./rules/budget";
import { readDirectory } from "./rules/directory";
import { readFunctionSettings, readLabs } from "./rules/functions";
import { readWebConfig } from "./rules/web-service";
import type { LabConfig } from "./schema";

export * from "./schema";
export { checkArgs, ComponentArgsError, ConfigError, describe, type ConfigSource, type LoadConfigOptions } from "./reader";
export { isImageReference } from "./rules/web-service";
export { TEXTS_DIR } from "../audio-files";

/**
 * Reads and validates every key once. All problems are reported together so a user fixes them in one go, one
 * message per key (the first thing wrong with it).
 */
export function loadConfig(source?: ConfigSource, options: LoadConfigOptions = {}): LabConfig {
    const fromPulumi = source === undefined;
    const problems: string[] = [];
    const r = new RawReader(source ?? pulumiSource(), problems);
    const keys = options.keys ?? (fromPulumi ? Object.keys(pulumi.runtime.allConfig()) : []);
    checkKeys(keys, problems, options.warn ?? (fromPulumi ? (message) => pulumi.log.warn(message) : () => undefined));

    const labs = readLabs(r, problems);
    const config: LabConfig = {
        labs: new Set(labs),
        ...readFunctionSettings(r),
        ...readDirectory(r, problems),
        ...readAudio(r, problems, labs),
        web: readWebConfig(r, problems),
        budget: readBudget(r, problems),
    };
    if (problems.length > 0) throw new ConfigError(onePerKey(problems));
    return config;
}
