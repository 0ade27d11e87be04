import { jsonResponse, type HttpHandler } from "../shared/http";

/** The SAM template's HelloWorldFunction: `GET /hello` answers `{ "message": "hello world" }`. */
export function createHandler(): HttpHandler {
    return async () => jsonResponse(200, { message: "hello world" });
}
