import { gzipSync } from "node:zlib";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent) => Promise<HttpResult>;

/** Bodies smaller than this are sent as they are: gzip would save too little to pay for itself. */
export const GZIP_MIN_BYTES = 4 * 1024;

/** An error whose message is safe to show the caller, with the status it maps to. */
export class HttpError extends Error {
    constructor(
        readonly statusCode: number,
        message: string,
    ) {
        super(message);
        this.name = "HttpError";
    }
}

/**
 * True when the request's Accept-Encoding allows gzip: listed with a q above 0, or covered by `*` with a q above
 * 0 and not listed itself. An explicit `gzip;q=0` wins over `*` (RFC 9110 §12.5.3).
 */
export function acceptsGzip(event: Pick<HttpEvent, "headers">): boolean {
    const header = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === "accept-encoding")?.[1] ?? "";
    const weights = new Map<string, number>();
    for (const part of header.split(",")) {
        const [coding, ...params] = part
            .trim()
            .toLowerCase()
            .split(";")
            .map((p) => p.trim());
        if (!coding) continue;
        const q = params.find((p) => p.startsWith("q="));
        const weight = q === undefined ? 1 : Number(q.slice(2));
        weights.set(coding, Number.isNaN(weight) ? 0 : weight);
    }
    const gzip = weights.get("gzip") ?? weights.get("x-gzip") ?? weights.get("*");
    return gzip !== undefined && gzip > 0;
}

/**
 * A JSON response as API Gateway (payload 2.0) expects it; gzip-compressed and base64-encoded when the client
 * accepts gzip and the body is large enough to be worth it.
 */
export function jsonResponse(statusCode: number, body: unknown, event?: Pick<HttpEvent, "headers">): HttpResult {
    return jsonTextResponse(statusCode, JSON.stringify(body), event);
}

/** As `jsonResponse`, for a body already serialized to JSON text. */
export function jsonTextResponse(statusCode: number, text: string, event?: Pick<HttpEvent, "headers">): HttpResult {
    const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
    if (event && Buffer.byteLength(text) >= GZIP_MIN_BYTES && acceptsGzip(event)) {
        return {
            statusCode,
            headers: { ...headers, "content-encoding": "gzip", vary: "accept-encoding" },
            body: gzipSync(text).toString("base64"),
            isBase64Encoded: true,
        };
    }
    return { statusCode, headers, body: text, isBase64Encoded: false };
}
