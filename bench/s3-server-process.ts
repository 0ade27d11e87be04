/**
 * Runs s3rver and the latency proxy in their own process, so the server's CPU time does not compete with the
 * handler being measured (S3's own work happens on AWS's machines, not in the Lambda). Prints one JSON line
 * with the endpoints once ready; the proxy answers GET /__counts and POST /__reset for the request counts.
 *
 *   node --openssl-legacy-provider -r ./shared/typescript-hook.js bench/s3-server-process.ts DIR DELAY_MS
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { startLocalS3 } from "../shared/local-s3";
import { startLatencyProxy } from "./latency-proxy";

void (async () => {
    const [directory, delay] = process.argv.slice(2);
    const s3 = await startLocalS3({ directory, buckets: ["data"] });
    const proxy = await startLatencyProxy(s3.endpoint, Number(delay));
    const control = http.createServer((req, res) => {
        if (req.url === "/__reset") proxy.reset();
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(proxy.counts));
    });
    await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
    console.log(
        JSON.stringify({ s3: s3.endpoint, proxy: proxy.endpoint, control: `http://127.0.0.1:${(control.address() as AddressInfo).port}` }),
    );
    process.on("SIGTERM", () => {
        void proxy
            .close()
            .then(() => s3.close())
            .finally(() => process.exit(0));
    });
})();
