import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { captureAWSv3Client, setContextMissingStrategy } from "aws-xray-sdk-core";
import { TRACING_ENV } from "./contract";

/**
 * The sign-up functions' DynamoDB client. With tracing on (the stack sets TRACING_ENV when the function has X-Ray
 * active tracing), the client is wrapped by the X-Ray SDK so each PutItem/GetItem shows as a subsegment of the
 * invocation's trace, with the table name; Lambda's active tracing alone records only the invocation.
 */
export function signupDynamoDbClient(env: NodeJS.ProcessEnv = process.env): DynamoDBClient {
    const client = new DynamoDBClient({});
    if (env[TRACING_ENV] !== "true") return client;
    // Outside an invocation (module load) there is no segment: log, do not throw.
    setContextMissingStrategy("LOG_ERROR");
    return captureAWSv3Client(client);
}
