/**
 * `npm run verify`'s core: runs the checks of every lab whose outputs are present, with the clients it is given.
 * No process, file or environment access: the CLI (cli.ts) and the tests supply all of that.
 */
import { checkAudio } from "./audio";
import { Interrupted, type CheckResult, type VerifyContext } from "./check";
import { checkDirectory } from "./directory";
import { checkHello } from "./hello";
import type { LabOutputs } from "../outputs";
import { checkWebService } from "./web-service";

export type { CheckResult, VerifyContext } from "./check";

export interface VerifyRun {
    results: CheckResult[];
    /** True when Ctrl-C stopped the run (after lab steps undid what they did). */
    interrupted: boolean;
}

/** Runs the checks, and with `labSteps` the labs' own steps, of the labs present in `outputs`. */
export async function verify(outputs: LabOutputs, ctx: VerifyContext, labSteps = false): Promise<VerifyRun> {
    const results: CheckResult[] = [];
    try {
        const { websiteUrl, apiUrl, dataBucket, helloWorldApi, audioBucket, audioUrlPattern, seedAudioUrl, serviceUrl } = outputs;
        if (websiteUrl && apiUrl && dataBucket) await checkDirectory({ websiteUrl, apiUrl, dataBucket }, ctx, results, labSteps);
        if (helloWorldApi) await checkHello(helloWorldApi, ctx, results);
        if (audioBucket && audioUrlPattern) await checkAudio({ audioBucket, audioUrlPattern, seedAudioUrl }, ctx, results, labSteps);
        if (serviceUrl) await checkWebService(serviceUrl, ctx, results);
    } catch (error) {
        if (error instanceof Interrupted) return { results, interrupted: true };
        throw error;
    }
    return { results, interrupted: false };
}

/** What `--json` prints. */
export function summary(results: CheckResult[]) {
    return {
        checks: results.map(({ lab, name, ok, detail, ms }) => ({ lab, name, ok, detail, ms })),
        passed: results.filter((r) => r.ok).length,
        failed: results.filter((r) => !r.ok).length,
    };
}

/** One line a check: ✔/✖, lab and check, what it proves, the measured detail. */
export function formatResult(r: CheckResult): string {
    return `${r.ok ? "✔" : "✖"} ${r.lab} · ${r.name}: ${r.proves} (${r.detail}; ${r.ms} ms)`;
}
