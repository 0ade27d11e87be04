import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { requireEnv } from "../shared/env";
import { TABLE_ENV } from "../signup/contract";
import { createStatusHandler } from "../signup/core";

/** The status Lambda's entry: serves `GET /signup/{id}` from the table (HTTP APIs have no DynamoDB integration). */
export const handler = createStatusHandler({ dynamodb: new DynamoDBClient({}), table: requireEnv(TABLE_ENV) });
