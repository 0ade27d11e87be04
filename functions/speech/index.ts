import { PollyClient } from "@aws-sdk/client-polly";
import { S3Client } from "@aws-sdk/client-s3";
import { requireEnv } from "../shared/env";
import { createHandler } from "./core";

/** The Lambda entry: S3 ObjectCreated on text/**.txt → audio/**.mp3. */
export const handler = createHandler({
    s3: new S3Client({}),
    polly: new PollyClient({}),
    voice: requireEnv("POLLY_VOICE"),
    engine: requireEnv("POLLY_ENGINE"),
});
