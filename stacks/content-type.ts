import * as path from "node:path";

const TYPES: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".mp3": "audio/mpeg",
};

/** The Content-Type S3 should serve a file with, by its extension. */
export function contentTypeOf(file: string): string {
    return TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
}
