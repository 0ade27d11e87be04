/** What the project's command-line tools share: a usage error, and parsing that exits 2 with the usage text. */
import * as path from "node:path";

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

/**
 * Splits `--flag=value` into `--flag value` for the flags that take a value, so both forms work; other tokens are
 * kept as they are (a `--switch=x` then reads as an unknown option).
 */
export function splitFlagValues(argv: string[], valued: readonly string[]): string[] {
    return argv.flatMap((token) => {
        const eq = token.indexOf("=");
        if (!token.startsWith("--") || eq < 0 || !valued.includes(token.slice(0, eq))) return [token];
        return [token.slice(0, eq), token.slice(eq + 1)];
    });
}

/**
 * A path the user typed, made absolute from the folder they ran the command in: npm runs scripts from the package
 * root and passes the caller's folder as INIT_CWD.
 */
export function fromCallerDir(p: string): string {
    return path.resolve(process.env.INIT_CWD || process.cwd(), p);
}
