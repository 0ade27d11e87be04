import * as assert from "node:assert/strict";
import { DescribeTableCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { ensureTable, startLocalDynamoDb } from "../../shared/local-dynamodb";

describe("the local DynamoDB's ensureTable", function () {
    this.timeout(30_000);

    it("returns only once a new table is ACTIVE, so the first write finds it (a table stays CREATING for a while, as on AWS)", async () => {
        const db = await startLocalDynamoDb({ createTableMs: 300 });
        try {
            const client = db.client();
            await ensureTable(client, "signups", "pk");
            const { Table } = await client.send(new DescribeTableCommand({ TableName: "signups" }));
            assert.equal(Table?.TableStatus, "ACTIVE");
            await client.send(new PutItemCommand({ TableName: "signups", Item: { pk: { S: "first" } } }));
            await ensureTable(client, "signups", "pk"); // an existing ACTIVE table is left as it is
        } finally {
            await db.close();
        }
    });
});
