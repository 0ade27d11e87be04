/** A structured logger: one JSON object a line, which CloudWatch's JSON log format keeps searchable. */
export interface Logger {
    info(event: string, fields?: Record<string, unknown>): void;
    error(event: string, fields?: Record<string, unknown>): void;
}

export const consoleLogger: Logger = {
    info: (event, fields = {}) => console.log(JSON.stringify({ level: "INFO", event, ...fields })),
    error: (event, fields = {}) => console.error(JSON.stringify({ level: "ERROR", event, ...fields })),
};

/** A logger that drops everything (for benchmarks) or collects into an array (for tests). */
export function memoryLogger(into: { level: string; event: string; [k: string]: unknown }[] = []): Logger & {
    entries: typeof into;
} {
    return {
        entries: into,
        info: (event, fields = {}) => into.push({ level: "INFO", event, ...fields }),
        error: (event, fields = {}) => into.push({ level: "ERROR", event, ...fields }),
    };
}
