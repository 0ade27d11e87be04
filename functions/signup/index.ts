import { requireEnv } from "../shared/env";
import { signupDynamoDbClient } from "./dynamodb-client";
import { TABLE_ENV } from "./contract";
import { createConsumer } from "./core";

/** The consumer Lambda's entry: reads its table once per container and processes SQS batches. */
export const handler = createConsumer({ dynamodb: signupDynamoDbClient(), table: requireEnv(TABLE_ENV) });
