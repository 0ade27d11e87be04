import { gunzipSync } from "node:zlib";
import type { HttpResult } from "../../functions/shared/http";

export { getEvent } from "../../shared/http-event";

/** The JSON body of a handler result, un-gzipping it when it is base64 gzip. */
export function jsonBody<T = any>(result: HttpResult): T {
    const raw = result.isBase64Encoded ? gunzipSync(Buffer.from(result.body ?? "", "base64")).toString("utf8") : (result.body ?? "");
    return JSON.parse(raw) as T;
}
