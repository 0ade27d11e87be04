/**
 * Turns a Node HTTP request into an API Gateway HTTP API (payload 2.0) event and a handler's result back into an
 * HTTP response, the way API Gateway does, so the local lab runs the Lambda cores unchanged.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpEvent, HttpResult } from "../functions/shared/http";

export function toEvent(req: IncomingMessage, routeKey: string): HttpEvent {
    const url = new URL(req.url ?? "/", "http://local");
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
    }
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
    const now = Date.now();
    return {
        version: "2.0",
        routeKey,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        queryStringParameters: Object.keys(query).length ? query : undefined,
        isBase64Encoded: false,
        requestContext: {
            accountId: "000000000000",
            apiId: "local",
            domainName: headers.host ?? "localhost",
            domainPrefix: "local",
            http: {
                method: req.method ?? "GET",
                path: url.pathname,
                protocol: `HTTP/${req.httpVersion}`,
                sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
                userAgent: headers["user-agent"] ?? "",
            },
            requestId: `local-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
            routeKey,
            stage: "$default",
            time: new Date(now).toISOString(),
            timeEpoch: now,
        },
    };
}

/**
 * Writes a handler result as API Gateway would: status, headers, and the body decoded when base64; for a HEAD
 * request (`headOnly`) the same status and headers without the body.
 */
export function writeResult(res: ServerResponse, result: HttpResult, headOnly = false): void {
    const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8");
    const headers: Record<string, string | number | boolean> = { ...(result.headers ?? {}) };
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
    headers["content-length"] = body.length;
    res.writeHead(result.statusCode ?? 200, headers as Record<string, string | number>);
    res.end(headOnly ? undefined : body);
}
