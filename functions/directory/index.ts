import { requireEnv } from "../shared/env";
import { createHandler } from "./core";
import { directoryS3Client } from "./s3-client";

/** The Lambda entry: reads its settings once per container and serves `GET /users`. */
export const handler = createHandler({
    s3: directoryS3Client(),
    bucket: requireEnv("DATA_BUCKET"),
    prefix: process.env.DATA_PREFIX || "users",
});
