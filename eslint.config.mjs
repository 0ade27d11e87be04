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
        plugins: { pulumi },
        rules: {
            "pulumi/no-output-in-template-literal": "error",
            "pulumi/no-output-instance-in-template-literal": "error",
        },
    },
    prettier,
);
