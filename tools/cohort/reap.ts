/**
 * `npm run reap -- [--dry-run] [--parallel N]`: expiry on any backend. Lists this project's stacks in the current
 * backend, destroys and removes those whose `cloud-labs:expires-at` tag has passed, skips stacks without the tag,
 * and reports what it did. A stack whose destroy fails stays, with its error, and the others go on.
 * Exit 0: every expired stack is gone; 1: one could not be destroyed or left something; 2: bad arguments, no
 * Pulumi CLI (3.211 or later), no AWS credentials.
 */
import { EXIT, numberFlag, parseOrUsage, runMain, type CliIo } from "../../shared/cli";
import { destroyStacks, expiredStacks, NO_PROGRESS, progressFor, reportDestroyed } from "./core";
import { connect, defaultDeps, type CohortDeps } from "./deps";
import { expiryOf } from "./plan";

export const USAGE = `Usage: npm run reap -- [--dry-run] [--parallel N]

  --dry-run      list the expired stacks and stop
  --parallel N   stacks destroyed at once (default 4)

Destroys and removes every stack of this project whose cloud-labs:expires-at tag (set by npm run cohort -- up
--expires) has passed; stacks without the tag are never touched. Needs the Pulumi CLI 3.211 or later, logged in
to the backend, and AWS credentials. Exit status: 0 every expired stack is gone, 1 one could not be destroyed
or left something behind, 2 bad arguments, no Pulumi CLI, no AWS credentials.`;

export async function main(argv: string[], io: CliIo, deps: CohortDeps = defaultDeps()): Promise<number> {
    const parsed = parseOrUsage(argv, io, { "dry-run": { type: "boolean" }, parallel: { type: "string" } }, USAGE);
    if (typeof parsed === "number") return parsed;
    let parallel: number;
    try {
        parallel = parsed.values.parallel === undefined ? 4 : numberFlag("--parallel", parsed.values.parallel, 1, 32, true);
    } catch (error) {
        io.err(`${(error as Error).message}\n\n${USAGE}`);
        return EXIT.usage;
    }
    const backend = await connect(deps, io, "serverless", io.env.AWS_REGION ?? "us-east-1");
    if (typeof backend === "number") return backend;
    const now = deps.now();
    const { expired, live, untagged } = expiredStacks(await backend.list(), now);
    for (const s of live) io.out(`  keep  ${s.name}: expires ${expiryOf(s.tags)!.toISOString()}`);
    for (const s of untagged) io.out(`  skip  ${s.name}: no cloud-labs:expires-at tag`);
    for (const s of expired)
        io.out(`  ${parsed.values["dry-run"] ? "would reap" : "reap"}  ${s.name}: expired ${expiryOf(s.tags)!.toISOString()}`);
    if (expired.length === 0) {
        io.out(`Nothing has expired (${now.toISOString()}).`);
        return EXIT.ok;
    }
    if (parsed.values["dry-run"]) {
        io.out(`Dry run: ${expired.length} expired stack${expired.length === 1 ? "" : "s"} left in place.`);
        return EXIT.ok;
    }
    const rows = await destroyStacks(expired, backend, {
        parallel,
        retry: deps.retry,
        progress: io.isTTY ? progressFor(io.out, true, deps.write) : NO_PROGRESS,
        leftovers: deps.leftovers,
        defaultRegion: io.env.AWS_REGION ?? "us-east-1",
    });
    return reportDestroyed(io, rows);
}

if (require.main === module) runMain(main, USAGE);
