import { requireEnv } from "../shared/env";
import { signupDynamoDbClient } from "../signup/dynamodb-client";
import { TABLE_ENV } from "../signup/contract";
import { createStatusHandler } from "../signup/core";

/** The status Lambda's entry: serves `GET /signup/{id}` from the table (HTTP APIs have no DynamoDB integration). */
export const handler = createStatusHandler({ dynamodb: signupDynamoDbClient(), table: requireEnv(TABLE_ENV) });
