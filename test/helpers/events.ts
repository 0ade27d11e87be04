import { gunzipSync } from "node:zlib";
import type { HttpEvent, HttpResult } from "../../functions/shared/http";

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

/** The JSON body of a handler result, un-gzipping it when it is base64 gzip. */
export function jsonBody<T = any>(result: HttpResult): T {
    const raw = result.isBase64Encoded ? gunzipSync(Buffer.from(result.body ?? "", "base64")).toString("utf8") : result.body ?? "";
    return JSON.parse(raw) as T;
}
