/** The tests' way to run the program under mocks: the one runner in scripts/mock-program.ts. */
export * from "../../scripts/mock-program";
