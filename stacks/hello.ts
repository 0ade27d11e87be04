import * as pulumi from "@pulumi/pulumi";
import type { FunctionDefaults } from "./function-defaults";
import { HttpApi } from "./http-api";
import { NodeFunction } from "./node-function";

export interface HelloWorldArgs {
    /**
     * The API to add `GET /hello` to; a new HTTP API is made when none is given.
     * @default a new HttpApi
     */
    api?: HttpApi;
    /**
     * Architecture, log retention and tracing of the function.
     * @default {} (the NodeFunction defaults)
     */
    functionDefaults?: FunctionDefaults;
}

/** The SAM template's hello world: one function behind `GET /hello`, timeout 3 s (the template's Globals). */
export class HelloWorld extends pulumi.ComponentResource {
    readonly api: HttpApi;
    readonly function: NodeFunction;

    constructor(name: string, args: HelloWorldArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("cloud-labs:hello:HelloWorld", name, {}, opts);
        this.api =
            args.api ??
            new HttpApi(
                `${name}-api`,
                { logRetentionDays: args.functionDefaults?.logRetentionDays, deploymentId: args.functionDefaults?.deploymentId },
                { parent: this },
            );
        this.function = new NodeFunction(
            `${name}-function`,
            {
                entry: "functions/hello/index.ts",
                description: "SAM hello world (GET /hello)",
                memoryMb: 128,
                timeoutSeconds: 3,
                ...args.functionDefaults,
            },
            { parent: this },
        );
        this.api.route("GET /hello", this.function, { parent: this });
        this.registerOutputs({});
    }

    /** The `/hello` endpoint URL (the template's HelloWorldApi output). */
    get url(): pulumi.Output<string> {
        return pulumi.interpolate`${this.api.url}/hello`;
    }
}
