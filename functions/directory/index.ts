import { S3Client } from "@aws-sdk/client-s3";
import { requireEnv } from "../shared/env";
import { createHandler } from "./core";

/** The Lambda entry: reads its settings once per container and serves `GET /users`. */
export const handler = createHandler({
    s3: new S3Client({}),
    bucket: requireEnv("DATA_BUCKET"),
    prefix: process.env.DATA_PREFIX || "users",
});
