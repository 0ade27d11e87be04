/** What the project's command-line tools share: a usage error, and parsing that exits 2 with the usage text. */
export class UsageError extends Error {}

/** Parses the process's arguments; on a UsageError prints it with the usage text and exits with code 2. */
export function parseOrExit<T>(parse: (argv: string[]) => T, usage: string): T {
    try {
        return parse(process.argv.slice(2));
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        console.error(`${error.message}\n\n${usage}`);
        process.exit(2);
    }
}
