/** The tests' way to run the program under mocks: the one runner in shared/resource-graph.ts. */
export * from "../../shared/resource-graph";
