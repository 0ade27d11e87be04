import { createHandler } from "./core";

/** The Lambda entry for `GET /hello`. */
export const handler = createHandler();
