import * as assert from "node:assert/strict";
import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";
import { awsWriteDenied } from "../../shared/verify/signup";

const client = () => new CloudWatchLogsClient({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
const GROUP = "/aws/lambda/cloud-labs-dev-signup-consumer-20261130000000000000abcd";
// What Lambda's JSON log format stores for the consumer's console.error line: the core's JSON as the message.
const deniedLine = (id: string) =>
    JSON.stringify({
        timestamp: "2026-11-30T07:00:00.000Z",
        level: "ERROR",
        message: JSON.stringify({
            level: "ERROR",
            event: "signup.write-denied",
            id,
            table: "signup-table-abc1234",
            missingPermission: "dynamodb:PutItem",
        }),
    });

describe("npm run verify: the sign-up lab's write-denied diagnosis on AWS", () => {
    it("names the missing permission and the table from the consumer's signup.write-denied line for this id", async () => {
        const logs = client();
        const mock = mockClient(logs);
        mock.on(DescribeLogGroupsCommand).resolves({
            logGroups: [{ logGroupName: GROUP }, { logGroupName: "/other/x-signup-consumer-y" }],
        });
        mock.on(FilterLogEventsCommand).resolves({ events: [{ message: deniedLine("Abc123=") }] });
        const why = await awsWriteDenied({ logs }, { signupTableName: "signup-table-abc1234" }, "Abc123=", performance.now());
        assert.match(
            why ?? "",
            /^the consumer's role lacks dynamodb:PutItem on signup-table-abc1234: the consumer logged signup\.write-denied/,
        );
        assert.match(why ?? "", /signupConsumerCanWrite: true .* and pulumi up$/);
        const filters = mock.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
        assert.deepEqual(
            filters.map((f) => [f.logGroupName, f.filterPattern]),
            [[GROUP, '"signup.write-denied" "Abc123="']],
        );
    });

    it("says nothing while the consumer has logged no denial for the id, and nothing without a logs client (a local lab)", async () => {
        const logs = client();
        const mock = mockClient(logs);
        mock.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: GROUP }] });
        mock.on(FilterLogEventsCommand).resolves({ events: [] });
        assert.equal(await awsWriteDenied({ logs }, { signupTableName: "t" }, "id1", performance.now()), undefined);
        assert.equal(await awsWriteDenied({}, { signupTableName: "t" }, "id1", performance.now()), undefined);
    });

    it("searches the logs at most every few seconds while the sign-up stays queued", async () => {
        const logs = client();
        const mock = mockClient(logs);
        mock.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: GROUP }] });
        mock.on(FilterLogEventsCommand).resolves({ events: [] });
        for (let i = 0; i < 5; i++) await awsWriteDenied({ logs }, { signupTableName: "t" }, "id1", performance.now());
        assert.equal(mock.commandCalls(FilterLogEventsCommand).length, 1);
    });
});
