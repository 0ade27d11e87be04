/**
 * A loopback HTTP proxy in front of s3rver that delays every request (standing for S3's round trip) and counts
 * them by kind, so the number of round trips a handler makes shows in its latency.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { KEEP_ALIVE_TIMEOUT_MS, LISTEN_BACKLOG } from "../shared/local-s3";

export interface LatencyProxy {
    endpoint: string;
    counts: { list: number; get: number; other: number };
    reset(): void;
    close(): Promise<void>;
}

export async function startLatencyProxy(target: string, delayMs: number): Promise<LatencyProxy> {
    const upstream = new URL(target);
    const counts = { list: 0, get: 0, other: 0 };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://proxy");
        const segments = url.pathname.split("/").filter(Boolean);
        if (req.method === "GET" && url.searchParams.get("list-type") === "2") counts.list++;
        else if (req.method === "GET" && segments.length >= 2) counts.get++;
        else counts.other++;
        setTimeout(() => {
            const forward = http.request(
                { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
                (up) => {
                    res.writeHead(up.statusCode ?? 502, up.headers);
                    up.pipe(res);
                },
            );
            forward.on("error", () => {
                res.writeHead(502);
                res.end();
            });
            req.pipe(forward);
        }, delayMs);
    });
    // The directory's GET waves open up to 1,000 connections at once: queue them all, and keep idle ones open
    // while the busy emulator behind works through a wave (see shared/local-s3.ts).
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: LISTEN_BACKLOG }, resolve));
    return {
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        counts,
        reset: () => Object.assign(counts, { list: 0, get: 0, other: 0 }),
        close: () =>
            new Promise<void>((resolve) => {
                agent.destroy();
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}
