import * as http from "node:http";
import * as https from "node:https";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { LIST_PAGE_SIZE } from "./core";

/**
 * Sockets the directory's S3 client may open at once: one wave of GETs (a listing page of changed files, see
 * `UserStore`) plus the listing that continues while the wave is in flight. The SDK's default pool is 50,
 * which would queue a 1,000-file wave into 20 round trips. Lambda allows 1,024 open files per execution
 * environment, so this leaves a small margin and must not grow.
 */
export const DIRECTORY_SOCKET_POOL = LIST_PAGE_SIZE + 1;

/**
 * The directory function's S3 client: keep-alive agents (HTTPS for AWS, HTTP for a local endpoint) whose socket
 * pool matches the largest GET wave, so a wave goes out at once and a warm container reuses its connections.
 * `config` is merged in (the tests and the benchmark point it at a local endpoint).
 */
export function directoryS3Client(config: S3ClientConfig = {}): S3Client {
    const agentOptions = { keepAlive: true, maxSockets: DIRECTORY_SOCKET_POOL };
    return new S3Client({
        ...config,
        requestHandler: { httpAgent: new http.Agent(agentOptions), httpsAgent: new https.Agent(agentOptions) },
    });
}
