/**
 * The one way the project's command-line tools are written: `main(argv, io) → exit code`, parsing by Node's own
 * `util.parseArgs` (strict, so `--flag value` and `--flag=value` both work and an unknown option is an error),
 * `--help` on stdout with exit 0, usage errors on stderr with exit 2, 1 for "checked and failed".
 */
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Exit codes shared by every tool (docs/architecture.md has the table). */
/**
 * The `-r` module that runs this project's TypeScript (shared/typescript-hook.js): `node -r TYPESCRIPT_HOOK entry.ts`
 * runs an entry as its npm script does.
 */
export const TYPESCRIPT_HOOK = path.join(__dirname, "typescript-hook.js");

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** A bad command line: printed with the usage text, exit 2. */
export class UsageError extends Error {}

/** What a tool may touch of its process: tests pass their own. */
export interface CliIo {
    /** Writes to standard output (a line break is added). */
    out: (text: string) => void;
    /** Writes to standard error (a line break is added). */
    err: (text: string) => void;
    env: NodeJS.ProcessEnv;
    /** The folder the user ran the command in (npm passes it as INIT_CWD). */
    cwd: string;
    /** True when standard output is a terminal (live tables, colours). */
    isTTY: boolean;
    /** Aborted on Ctrl-C where the tool runs as a process. */
    signal?: AbortSignal;
}

export function processIo(): CliIo {
    return {
        out: (text) => process.stdout.write(`${text}\n`),
        err: (text) => process.stderr.write(`${text}\n`),
        env: process.env,
        cwd: process.env.INIT_CWD || process.cwd(),
        isTTY: Boolean(process.stdout.isTTY),
    };
}

/** A tool's options, in `util.parseArgs` form; `help` is added to every tool. */
export type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed<O extends Options> {
    values: ReturnType<typeof parseArgs<{ options: O & { help: { type: "boolean" } }; strict: true; allowPositionals: true }>>["values"];
    positionals: string[];
}

/**
 * Parses `argv` strictly. Throws UsageError with Node's own message made plain ("unknown option --x"); positionals
 * are refused unless `positionals` names how many are allowed.
 */
export function parseCommandLine<O extends Options>(argv: string[], options: O, positionals = 0): Parsed<O> {
    try {
        const parsed = parseArgs({
            args: argv,
            options: { ...options, help: { type: "boolean", short: "h" } },
            strict: true,
            allowPositionals: true,
        });
        if (parsed.positionals.length > positionals) {
            throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`);
        }
        return parsed;
    } catch (error) {
        if (error instanceof UsageError) throw error;
        const code = (error as { code?: string }).code;
        if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) throw new UsageError(plainParseError((error as Error).message));
        throw error;
    }
}

/** Node's parse errors, without the advice about `--` that does not apply to npm scripts. */
function plainParseError(message: string): string {
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) return `unknown option ${unknown[1]}`;
    const missing = /Option '(?:-\w, )?(--[^ ']+)[^']*' argument missing/.exec(message);
    if (missing) return `${missing[1]} needs a value`;
    const ambiguous = /Option '(?:-\w, )?(--[^ ']+)[^']*' argument is ambiguous/.exec(message);
    if (ambiguous) return `${ambiguous[1]} needs a value; one starting with "-" is written ${ambiguous[1]}=-VALUE`;
    const noValue = /Option '(--[^ ']+)' does not take an argument/.exec(message);
    if (noValue) return `${noValue[1]} takes no value`;
    return message.split(". ")[0];
}

/** A number flag: finite, within [min, max], or a UsageError naming the flag and the range. */
export function numberFlag(flag: string, value: string | undefined, min: number, max: number, integer = false): number {
    const n = Number(value);
    if (value === undefined || value.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
        const what = integer ? "a whole number" : "a number";
        throw new UsageError(
            `${flag} needs ${what} from ${min.toLocaleString("en-US")} to ${max.toLocaleString("en-US")}; received ${JSON.stringify(value ?? "")}`,
        );
    }
    return n;
}

/** A path the user typed, made absolute from the folder they ran the command in. */
export function fromCallerDir(p: string, io: Pick<CliIo, "cwd"> = processIo()): string {
    return path.resolve(io.cwd, p);
}

/** How `runMain` runs a tool that keeps running (a server): which signals stop it, and whether to exit after. */
export interface RunOptions {
    /**
     * Signals that abort `io.signal` (its reason is the signal's name). Caught every time, so a second Ctrl-C
     * during the clean-up does not kill the process half-way. @default SIGINT, once
     */
    stopSignals?: NodeJS.Signals[];
    /** End the process with main's exit code (handles such as a server's must not keep it alive). @default false */
    exit?: boolean;
}

/**
 * Runs a tool's `main` as the process: usage errors print with the usage text and exit 2, anything unexpected
 * prints its message and exits 1. Call as `if (require.main === module) runMain(main, USAGE)`.
 */
export function runMain(main: (argv: string[], io: CliIo) => Promise<number>, usage: string, options: RunOptions = {}): void {
    const controller = new AbortController();
    const io = { ...processIo(), signal: controller.signal };
    if (options.stopSignals) for (const name of options.stopSignals) process.on(name, () => controller.abort(name));
    else process.once("SIGINT", () => controller.abort());
    void main(process.argv.slice(2), io)
        .catch((error: unknown) => {
            if (error instanceof UsageError) {
                io.err(`${error.message}\n\n${usage}`);
                return EXIT.usage;
            }
            io.err(error instanceof Error ? (error.stack ?? error.message) : String(error));
            return EXIT.failed;
        })
        .then((code) => {
            if (options.exit) process.exit(code);
            process.exitCode = code;
        });
}

/**
 * The common head of `main`: parses, answers `--help` (returns the exit code to stop with) or hands back the
 * parsed arguments. Usage errors are printed here with the usage text.
 */
export function parseOrUsage<O extends Options>(argv: string[], io: CliIo, options: O, usage: string, positionals = 0): Parsed<O> | number {
    try {
        const parsed = parseCommandLine(argv, options, positionals);
        if ((parsed.values as { help?: boolean }).help) {
            io.out(usage);
            return EXIT.ok;
        }
        return parsed;
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.err(`${error.message}\n\n${usage}`);
        return EXIT.usage;
    }
}
