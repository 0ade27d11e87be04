import * as assert from "node:assert/strict";
import { createHandler } from "../../functions/hello/core";
import { getEvent, jsonBody } from "../helpers/events";

describe("hello function", () => {
    it('answers GET /hello with {"message": "hello world"}', async () => {
        const result = await createHandler()(getEvent("/hello"));
        assert.equal(result.statusCode, 200);
        assert.equal(result.headers?.["content-type"], "application/json; charset=utf-8");
        assert.deepEqual(jsonBody(result), { message: "hello world" });
    });
});
