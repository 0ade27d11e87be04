/** The labs a stack (and `npm start`) can switch on. No Pulumi imports: the local lab reads this too. */
export const LAB_NAMES = ["directory", "hello", "audio", "webService", "signup"] as const;
export type LabName = (typeof LAB_NAMES)[number];
