/** Reads a required environment variable at module load, failing fast with the variable's name. */
export function requireEnv(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`Environment variable ${name} is required but not set`);
    return value;
}
