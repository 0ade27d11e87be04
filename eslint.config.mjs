// ESLint for the whole repository: typescript-eslint's type-checked rules, Pulumi's own rules, and Prettier as the
// one formatter (eslint-config-prettier turns off the stylistic rules it owns; `npm run lint` runs both).
import pulumi from "@pulumi/eslint-plugin";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", "dist/**", ".labs/**", "bench/out/**", "test-output/**", "**/*.js", "**/*.mjs"] },
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        linterOptions: { reportUnusedDisableDirectives: "error" },
        plugins: { pulumi },
        rules: {
            "pulumi/no-output-in-template-literal": "error",
            "pulumi/no-output-instance-in-template-literal": "error",
            // `async` is how a handler or check turns its throws into rejections and meets a Promise-returning
            // interface; an async body without `await` is intended there.
            "@typescript-eslint/require-await": "off",
            // `require()` loads s3rver's untyped internals (each cast to a declared slice) and defers loading the
            // program until Pulumi's mocks are set; static imports cannot do either.
            "@typescript-eslint/no-require-imports": "off",
            // `_name` marks a value destructured away on purpose.
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
        },
    },
    {
        // Pulumi hands resource inputs to mocks and policies untyped (`MockResourceArgs.inputs: any`,
        // `PolicyResource.props: any`); the offline resource graph, the estimate and the policies read them by the
        // provider's documented shapes, and the tests assert on them.
        files: ["shared/resource-graph.ts", "shared/pricing/**/*.ts", "shared/guardrails/**/*.ts", "test/**/*.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-return": "off",
        },
    },
    {
        // Test servers and spies: an async request handler whose rejection fails the test, a prototype method saved
        // to be restored, and values of unknown type printed into assertion messages.
        files: ["test/**/*.ts"],
        rules: {
            "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
            "@typescript-eslint/unbound-method": "off",
            "@typescript-eslint/restrict-template-expressions": "off",
        },
    },
    prettier,
);
