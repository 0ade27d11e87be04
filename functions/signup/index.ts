import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { requireEnv } from "../shared/env";
import { TABLE_ENV } from "./contract";
import { createConsumer } from "./core";

/** The consumer Lambda's entry: reads its table once per container and processes SQS batches. */
export const handler = createConsumer({ dynamodb: new DynamoDBClient({}), table: requireEnv(TABLE_ENV) });
