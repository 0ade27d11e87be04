/**
 * CohortBackend on Pulumi's Automation API: a LocalWorkspace against the project folder, driving the Pulumi CLI
 * found on PATH (any backend the user is logged in to: `pulumi login --local`, S3, Pulumi Cloud).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import type { CohortBackend, StackInfo } from "./core";
import { fullConfigKey } from "./plan";

export const PULUMI_INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/";
/** DIY backends (local, S3) keep stack tags only since this version; cohorts and the reaper live on those tags. */
export const MIN_PULUMI = "3.211.0";

/** The Pulumi CLI is missing or too old: exit 2 with this one message. */
export class PulumiMissing extends Error {}

/** The `pulumi` executable on `PATH`, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
    for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) return candidate;
        } catch {
            // not here
        }
    }
    return undefined;
}

const newer = (a: string, b: string) => {
    const [x, y] = [a, b].map((v) => v.replace(/^v/, "").split(/[.-]/).slice(0, 3).map(Number));
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] > y[i];
    return true;
};

/**
 * The Pulumi CLI on `env.PATH`, at least MIN_PULUMI, as the Automation API's PulumiCommand (its installation root,
 * so every command runs that very binary); PulumiMissing with what to install otherwise.
 */
export async function pulumiCommand(env: NodeJS.ProcessEnv): Promise<PulumiCommand> {
    const install = `install Pulumi CLI ${MIN_PULUMI} or later (${PULUMI_INSTALL_URL}); cohort stacks need it because DIY backends (pulumi login --local, S3) keep stack tags only since 3.211`;
    const found = findOnPath("pulumi", env);
    if (!found) throw new PulumiMissing(`The Pulumi CLI (pulumi) is not on PATH: ${install}.`);
    const real = fs.realpathSync(found);
    let command: PulumiCommand;
    try {
        command = await PulumiCommand.get({ root: path.dirname(path.dirname(real)), skipVersionCheck: true });
    } catch (error) {
        throw new PulumiMissing(`${found} did not answer \`pulumi version\` (${(error as Error).message.split("\n")[0]}): ${install}.`);
    }
    const version = command.version?.toString();
    if (!version || !newer(version, MIN_PULUMI))
        throw new PulumiMissing(`Pulumi CLI ${version ?? "(unknown version)"} at ${found} is too old: ${install}.`);
    return command;
}

export interface AutomationOptions {
    /** The project folder (Pulumi.yaml); stack files Pulumi.<stack>.yaml are written there, as `pulumi stack init` does. */
    workDir: string;
    /** The base stack whose Pulumi.<base>.yaml config every cohort stack starts from. */
    base: string;
    env: NodeJS.ProcessEnv;
    command: PulumiCommand;
}

export async function automationBackend(o: AutomationOptions): Promise<CohortBackend> {
    // Every variable of the caller reaches the CLI (backend URL, passphrase, AWS credentials).
    const envVars = Object.fromEntries(Object.entries(o.env).filter((e): e is [string, string] => typeof e[1] === "string"));
    const ws = await LocalWorkspace.create({ workDir: o.workDir, pulumiCommand: o.command, envVars });
    const select = (name: string) => Stack.select(name, ws);
    return {
        async prepare(name, config, tags) {
            const stack = await Stack.createOrSelect(name, ws);
            // The base stack's config as it is written (lists stay lists), as `pulumi stack init --copy-config-from`
            // would copy it, keeping what `stack init` wrote (e.g. the secrets salt); then the learner's own values.
            const base = await ws.stackSettings(o.base);
            let own: Awaited<ReturnType<typeof ws.stackSettings>> = {};
            try {
                own = await ws.stackSettings(name);
            } catch {
                // no stack file yet
            }
            await ws.saveStackSettings(name, { ...own, config: { ...(own.config ?? {}), ...(base.config ?? {}) } });
            const overrides = Object.fromEntries(Object.entries(config).map(([k, v]) => [fullConfigKey(k), { value: v }]));
            if (Object.keys(overrides).length) await stack.setAllConfig(overrides);
            for (const [key, value] of Object.entries(tags)) await stack.setTag(key, value);
        },
        async up(name, onOutput) {
            const result = await (await select(name)).up({ onOutput });
            return plain(result.outputs);
        },
        async outputs(name) {
            return plain(await ws.stackOutputs(name));
        },
        async config(name) {
            const values = await ws.getAllConfig(name);
            return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.value]));
        },
        async destroy(name, onOutput) {
            await (await select(name)).destroy({ onOutput });
        },
        async remove(name) {
            await ws.removeStack(name);
        },
        async list(): Promise<StackInfo[]> {
            const stacks = await ws.listStacks();
            const out: StackInfo[] = [];
            for (const s of stacks) out.push({ name: s.name, tags: await ws.listTags(s.name) });
            return out;
        },
    };
}

function plain(outputs: Record<string, { value: unknown }>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
}
