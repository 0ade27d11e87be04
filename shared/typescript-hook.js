/**
 * How every npm script, test and spawned lab runs the project's TypeScript: `node -r ./shared/typescript-hook.js`.
 * esbuild-register compiles each .ts file as it is required (no type checking: `npm run typecheck` does that), with
 * source maps for stack traces, several times faster to start than ts-node. One change from its defaults: `import()`
 * becomes `require()`, as tsc's CommonJS output does, so the lazy imports of local/ and tools/ load TypeScript too.
 * `pulumi up` still runs index.ts with ts-node and typescript, which the Pulumi CLI loads from the project.
 */
require("esbuild-register/dist/node").register({
    target: `node${process.versions.node}`,
    supported: { "dynamic-import": false },
});
