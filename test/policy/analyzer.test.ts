/**
 * The policy pack as the Pulumi CLI runs it: policy/index.ts started by @pulumi/pulumi's run-policy-pack (ts-node
 * with type checking, in policy/), then called over the analyzer gRPC protocol with resources serialized the way
 * the engine sends them, including values unknown during preview and file assets.
 */
import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { policies } from "../../shared/guardrails/policies";
import { ROOT, runProgram, type ProgramResource } from "../helpers/program";

const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const emptyPb = require("google-protobuf/google/protobuf/empty_pb");
const rpc = require("@pulumi/pulumi/runtime/rpc") as { specialSigKey: string; specialAssetSig: string; unknownValue: string };

const RUN_POLICY_PACK = path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack", "index.js");
const LEVELS = ["advisory", "mandatory", "disabled", "remediate"];

interface Diagnostic {
    policy: string;
    level: string;
    message: string;
}

/** A value as the engine serializes it: file assets as signature objects, everything else as JSON. */
async function wire(value: unknown): Promise<unknown> {
    if (value && typeof value === "object" && (value as { __pulumiAsset?: boolean }).__pulumiAsset) {
        return { [rpc.specialSigKey]: rpc.specialAssetSig, path: await (value as { path: Promise<string> }).path };
    }
    if (Array.isArray(value)) return Promise.all(value.map(wire));
    if (value && typeof value === "object") {
        const entries = await Promise.all(
            Object.entries(value)
                .filter(([, v]) => v !== undefined)
                .map(async ([k, v]) => [k, await wire(v)]),
        );
        return Object.fromEntries(entries);
    }
    return value;
}

const urnOf = (stack: string, r: { type: string; name: string }) => `urn:pulumi:${stack}::cloud-labs::${r.type}::${r.name}`;

function options(r: ProgramResource, parent?: string) {
    const o = new analyzerPb.AnalyzerResourceOptions();
    o.setProtect(r.options.protect === true);
    if (parent) o.setParent(parent);
    return o;
}

describe("policy pack over the analyzer protocol (as pulumi preview --policy-pack policy runs it)", function () {
    this.timeout(300_000);
    let pack: ChildProcess;
    let client: any;
    const call = <T>(method: string, request: unknown): Promise<T> =>
        new Promise((resolve, reject) =>
            client[method](request, (error: Error | null, response: T) => (error ? reject(error) : resolve(response))),
        );
    const diagnostics = (response: any): Diagnostic[] =>
        response
            .getDiagnosticsList()
            .map((d: any) => ({ policy: d.getPolicyname(), level: LEVELS[d.getEnforcementlevel()], message: d.getMessage() }));

    before(async () => {
        pack = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:0", ".", "--pwd", path.join(ROOT, "policy")], {
            cwd: ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        pack.stderr!.on("data", (d) => (stderr += d));
        const port = await new Promise<string>((resolve, reject) => {
            let out = "";
            pack.stdout!.on("data", (d) => {
                out += d;
                const line = /^(\d+)\n/.exec(out);
                if (line) resolve(line[1]);
            });
            pack.on("exit", (code) => reject(new Error(`the policy pack exited with ${code} before serving: ${stderr}`)));
        });
        client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        pack?.kill();
    });

    it("serves every policy of policies.ts, all mandatory", async () => {
        const info: any = await call("getAnalyzerInfo", new emptyPb.Empty());
        assert.equal(info.getName(), "cloud-labs");
        assert.deepEqual(
            info.getPoliciesList().map((p: any) => p.getName()),
            policies.map((p) => p.name),
        );
        assert.deepEqual(
            info.getPoliciesList().map((p: any) => LEVELS[p.getEnforcementlevel()]),
            policies.map(() => "mandatory"),
        );
    });

    it("flags a bucket without forceDestroy, passes one with it, and reports an unknown policy as advisory", async () => {
        const analyze = async (type: string, name: string, props: Record<string, unknown>, parent?: string) => {
            const request = new analyzerPb.AnalyzeRequest();
            request.setType(type);
            request.setName(name);
            request.setUrn(urnOf("dev", { type, name }));
            request.setProperties(Struct.fromJavaScript(props));
            request.setOptions(options({ options: {} } as ProgramResource, parent));
            return diagnostics(await call("analyze", request));
        };
        const bad = await analyze("aws:s3/bucket:Bucket", "dataBucket", { forceDestroy: false });
        assert.deepEqual(
            bad.map((d) => [d.policy, d.level]),
            [["nothing-survives-destroy", "mandatory"]],
        );
        assert.match(bad[0].message, /^dataBucket: bucket without forceDestroy/m, "the description, then the message");
        assert.deepEqual(await analyze("aws:s3/bucket:Bucket", "dataBucket", { forceDestroy: true }), []);
        const unknown = await analyze("aws:s3/bucketPolicy:BucketPolicy", "dataPolicy", {
            bucket: rpc.unknownValue,
            policy: rpc.unknownValue,
        });
        assert.deepEqual(
            unknown.map((d) => [d.policy, d.level]),
            [["public-only-where-declared", "advisory"]],
        );
        assert.match(unknown[0].message, /can't run policy 'public-only-where-declared' .* during preview/);
        const website = "urn:pulumi:dev::cloud-labs::cloud-labs:directory:EmployeeDirectory$cloud-labs:s3:LabBucket::directory-website";
        const publicRead = JSON.stringify({
            Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: ["arn:aws:s3:::site-1/*"] }],
        });
        assert.deepEqual(await analyze("aws:s3/bucketPolicy:BucketPolicy", "directory-websitePolicy", { policy: publicRead }, website), []);
        assert.equal((await analyze("aws:s3/bucketPolicy:BucketPolicy", "directory-dataPolicy", { policy: publicRead })).length, 1);
    });

    /** The stack as analyzeStack gets it: every mocked resource, with its provider, parent and file assets. */
    async function analyzeStack(stack: string, overrides: Record<string, unknown> = {}): Promise<Diagnostic[]> {
        const run = await runProgram(stack, overrides);
        const providers = new Map(run.ofType("pulumi:providers:aws").map((p) => [p.name, p]));
        const resources = [];
        for (const r of run.resources) {
            const resource = new analyzerPb.AnalyzerResource();
            resource.setType(r.type);
            resource.setName(r.name);
            resource.setUrn(urnOf(stack, r));
            resource.setProperties(Struct.fromJavaScript(await wire(r.inputs)));
            resource.setOptions(options(r));
            const providerName = /::([^:]+)::[^:]+$/.exec(r.provider ?? "")?.[1];
            const p = providerName ? providers.get(providerName) : undefined;
            if (p) {
                const provider = new analyzerPb.AnalyzerProviderResource();
                provider.setType(p.type);
                provider.setName(p.name);
                provider.setUrn(urnOf(stack, p));
                provider.setProperties(Struct.fromJavaScript(await wire(p.inputs)));
                resource.setProvider(provider);
            }
            resources.push(resource);
        }
        const request = new analyzerPb.AnalyzeStackRequest();
        request.setResourcesList(resources);
        return diagnostics(await call("analyzeStack", request));
    }

    it("passes the dev stack (every lab, file assets included) and fails the idle cost cap with a bigger task", async () => {
        assert.deepEqual(await analyzeStack("dev"), []);
        const over = await analyzeStack("containers", { webCpu: 2048, webMemoryMb: 4096 });
        assert.deepEqual(
            over.map((d) => [d.policy, d.level]),
            [["idle-cost-cap", "mandatory"]],
        );
        assert.match(
            over[0].message,
            /^Stack containers idles at \$85\.05 a month, above maxIdleMonthlyUsd = \$60 \(webService Fargate tasks \(ARM64\) \$57\.67;/m,
        );
    });
});

describe("what the analyzer protocol tells a policy pack about resource options", () => {
    it("carries protect but not retainOnDelete, so only npm run policy can catch retainOnDelete (docs/guardrails.md)", () => {
        const fields = Object.keys(new analyzerPb.AnalyzerResourceOptions().toObject());
        assert.ok(fields.includes("protect"), fields.join(", "));
        assert.deepEqual(
            fields.filter((f) => /retain/i.test(f)),
            [],
            "the protocol now carries retainOnDelete: let the pack check it and update docs/guardrails.md",
        );
        const server = fs.readFileSync(require.resolve("@pulumi/policy/server.js"), "utf8");
        assert.match(server, /protect: opts\.getProtect\(\)/, "the pack reads protect from the request");
        assert.doesNotMatch(server, /retain/i, "and nothing about retaining");
    });
});
