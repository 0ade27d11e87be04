/**
 * API Gateway HTTP API (payload 2.0) events, built by hand: what the benchmark sends the directory handler and
 * what the function tests send every HTTP handler.
 */
import type { HttpEvent } from "../functions/shared/http";

/** A minimal API Gateway payload 2.0 event for `GET path?query`. */
export function getEvent(path: string, query: Record<string, string> = {}, headers: Record<string, string> = {}): HttpEvent {
    const rawQueryString = new URLSearchParams(query).toString();
    return {
        version: "2.0",
        routeKey: `GET ${path}`,
        rawPath: path,
        rawQueryString,
        headers,
        queryStringParameters: Object.keys(query).length ? query : undefined,
        isBase64Encoded: false,
        requestContext: {
            accountId: "123456789012",
            apiId: "test",
            domainName: "test.local",
            domainPrefix: "test",
            http: { method: "GET", path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
            requestId: "test",
            routeKey: `GET ${path}`,
            stage: "$default",
            time: new Date(0).toISOString(),
            timeEpoch: 0,
        },
    };
}
