/** The whole program under mocks, per shipped stack: time and resource count. */
import { runProgram, shippedStacks } from "../shared/resource-graph";
import type { ProgramResult } from "./results";
import { median, timed } from "./stats";

export async function programBench(runs: number): Promise<ProgramResult[]> {
    await runProgram("dev"); // the first run compiles the program; measure the runs after it
    const results: ProgramResult[] = [];
    for (const stack of shippedStacks()) {
        const times: number[] = [];
        let resources = 0;
        for (let i = 0; i < runs; i++) {
            const [ms, run] = await timed(() => runProgram(stack));
            times.push(ms);
            resources = run.resources.length;
        }
        results.push({ stack, medianMs: median(times), resources });
    }
    return results;
}
