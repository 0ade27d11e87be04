import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { checkArgs } from "./config/reader";
import { directoryProblems } from "./config/rules/directory";
import { SEED_DIR, SITE_DIR, seedFiles, siteConfigScript } from "./directory-files";
import type { FunctionDefaults } from "./function-defaults";
import { HttpApi } from "./http-api";
import { LabBucket } from "./lab-bucket";
import { NodeFunction } from "./node-function";

export interface EmployeeDirectoryArgs {
    /**
     * Key prefix of the data files the function reads (and that the seed files are uploaded under).
     * @default "users"
     */
    dataPrefix?: string;
    /**
     * Memory of the users function in MB.
     * @default 256
     */
    memoryMb?: number;
    /**
     * Architecture, log retention and tracing of the function.
     * @default {} (the NodeFunction defaults)
     */
    functionDefaults?: FunctionDefaults;
    /**
     * Origins allowed to call the API besides the website.
     * @default []
     * @example { extraCorsOrigins: ["http://localhost:3000"] }
     */
    extraCorsOrigins?: string[];
    /**
     * API throttling: burst and steady rate (requests per second).
     * @default { burst: 50, rate: 20 }
     */
    throttle?: { burst: number; rate: number };
}

/**
 * The "Analyzing data from S3" lab: a private data bucket seeded with users_*.json, a Lambda that lists and merges
 * them behind `GET /users` on an HTTP API, and a public S3 static website that shows them.
 */
export class EmployeeDirectory extends pulumi.ComponentResource {
    readonly dataBucket: LabBucket;
    readonly website: LabBucket;
    readonly api: HttpApi;
    readonly usersFunction: NodeFunction;

    constructor(name: string, args: EmployeeDirectoryArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("cloud-labs:directory:EmployeeDirectory", name, {}, opts);
        const prefix = args.dataPrefix ?? "users";
        checkArgs("EmployeeDirectory", name, directoryProblems({ ...args, dataPrefix: prefix }));

        this.website = new LabBucket(
            `${name}-website`,
            { website: { indexDocument: "index.html", errorDocument: "error.html" }, publicReadPaths: ["*"] },
            { parent: this },
        );
        this.api = new HttpApi(
            `${name}-api`,
            {
                corsOrigins: [this.website.websiteUrl, ...(args.extraCorsOrigins ?? [])],
                throttleBurst: args.throttle?.burst,
                throttleRate: args.throttle?.rate,
                logRetentionDays: args.functionDefaults?.logRetentionDays,
            },
            { parent: this },
        );
        this.dataBucket = this.createDataBucket(name, prefix);
        this.usersFunction = this.createUsersFunction(name, prefix, args);
        this.api.route("GET /users", this.usersFunction, { parent: this });
        this.uploadSite();
        this.registerOutputs({});
    }

    private createDataBucket(name: string, prefix: string): LabBucket {
        const bucket = new LabBucket(`${name}-data`, {}, { parent: this });
        for (const file of seedFiles()) {
            // Seeds go under the configured prefix: users_1.json stays users_1.json with the default "users".
            const key = file.startsWith(prefix) ? file : `${prefix}${file}`;
            bucket.putObject({ key, file: path.join(SEED_DIR, file) });
        }
        return bucket;
    }

    private createUsersFunction(name: string, prefix: string, args: EmployeeDirectoryArgs): NodeFunction {
        const bucketArn = this.dataBucket.bucket.arn;
        return new NodeFunction(
            `${name}-users`,
            {
                entry: "functions/directory/index.ts",
                description: "Lists and merges the users_*.json files of the data bucket (GET /users)",
                memoryMb: args.memoryMb ?? 256,
                timeoutSeconds: 10,
                ...args.functionDefaults,
                environment: { DATA_BUCKET: this.dataBucket.bucketName, DATA_PREFIX: prefix },
                statements: [
                    {
                        Sid: "ListDataFiles",
                        Effect: "Allow",
                        Action: ["s3:ListBucket"],
                        Resource: [bucketArn],
                        Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
                    },
                    {
                        Sid: "ReadDataFiles",
                        Effect: "Allow",
                        Action: ["s3:GetObject"],
                        Resource: [pulumi.interpolate`${bucketArn}/${prefix}*`],
                    },
                ],
            },
            { parent: this },
        );
    }

    private uploadSite(): void {
        this.website.putDirectory(SITE_DIR);
        this.website.putObject({ key: "config.js", content: this.api.url.apply(siteConfigScript) });
    }

    /** The website's URL (S3 website endpoint, plain HTTP). */
    get websiteUrl(): pulumi.Output<string> {
        return this.website.websiteUrl;
    }
}
