import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { contentTypeOf } from "./content-type";

export interface LabBucketArgs {
    /**
     * Key patterns anyone on the internet may read with `s3:GetObject`. Empty keeps the bucket fully private
     * (all four Block Public Access flags on). Listing and writing always stay private.
     * @default []
     * @example { publicReadPaths: ["audio/*"] }
     */
    publicReadPaths?: string[];
    /**
     * Turns on S3 static website hosting with these documents. The website endpoint speaks plain HTTP, so on a
     * website bucket the TLS-only rule exempts public reads.
     * @default undefined (no website)
     * @example { website: { indexDocument: "index.html", errorDocument: "error.html" } }
     */
    website?: { indexDocument: string; errorDocument: string };
}

export interface ObjectArgs {
    /** The object key. */
    key: string;
    /** A local file to upload (exactly one of `file` and `content`). */
    file?: string;
    /** Text content to upload (exactly one of `file` and `content`). */
    content?: pulumi.Input<string>;
    /**
     * Content-Type; by default derived from the key's extension.
     * @default contentTypeOf(key)
     */
    contentType?: string;
}

/**
 * The one way this project makes a bucket: encrypted, TLS-only, `forceDestroy` so `pulumi destroy` empties it,
 * private unless `publicReadPaths` says which keys the lab needs public, and Block Public Access relaxed only as
 * far as that policy needs (the policy waits for the access block).
 */
export class LabBucket extends pulumi.ComponentResource {
    readonly bucket: aws.s3.Bucket;
    readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
    readonly policy: aws.s3.BucketPolicy;
    readonly websiteConfiguration?: aws.s3.BucketWebsiteConfiguration;
    private readonly name: string;

    constructor(name: string, args: LabBucketArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("cloud-labs:s3:LabBucket", name, {}, opts);
        this.name = name;
        const publicPaths = args.publicReadPaths ?? [];
        const isPublic = publicPaths.length > 0;

        this.bucket = new aws.s3.Bucket(`${name}Bucket`, { forceDestroy: true }, { parent: this });
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}Encryption`,
            {
                bucket: this.bucket.id,
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
            },
            { parent: this },
        );
        this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
            `${name}PublicAccessBlock`,
            {
                bucket: this.bucket.id,
                blockPublicAcls: true,
                ignorePublicAcls: true,
                // Only a public bucket policy is needed for the lab's public paths; ACLs stay blocked either way.
                blockPublicPolicy: !isPublic,
                restrictPublicBuckets: !isPublic,
            },
            { parent: this },
        );
        if (args.website) {
            this.websiteConfiguration = new aws.s3.BucketWebsiteConfiguration(
                `${name}Website`,
                {
                    bucket: this.bucket.id,
                    indexDocument: { suffix: args.website.indexDocument },
                    errorDocument: { key: args.website.errorDocument },
                },
                { parent: this },
            );
        }
        const arn = this.bucket.arn;
        this.policy = new aws.s3.BucketPolicy(
            `${name}Policy`,
            {
                bucket: this.bucket.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "DenyInsecureTransport",
                            Effect: "Deny",
                            Principal: "*",
                            ...(args.website ? { NotAction: "s3:GetObject" } : { Action: "s3:*" }),
                            Resource: [arn, pulumi.interpolate`${arn}/*`],
                            Condition: { Bool: { "aws:SecureTransport": "false" } },
                        },
                        ...(isPublic
                            ? [
                                  {
                                      Sid: "PublicRead",
                                      Effect: "Allow",
                                      Principal: "*",
                                      Action: "s3:GetObject",
                                      Resource: publicPaths.map((p) => pulumi.interpolate`${arn}/${p}`),
                                  },
                              ]
                            : []),
                    ],
                }),
            },
            { parent: this, dependsOn: [this.publicAccessBlock] },
        );
        this.registerOutputs({});
    }

    /** The bucket's name. */
    get bucketName(): pulumi.Output<string> {
        return this.bucket.bucket;
    }

    /** `http://<website endpoint>`, the origin the website is served from (website buckets only). */
    get websiteUrl(): pulumi.Output<string> {
        if (!this.websiteConfiguration) throw new Error(`LabBucket ${this.name}: websiteUrl needs the website arg`);
        return pulumi.interpolate`http://${this.websiteConfiguration.websiteEndpoint}`;
    }

    /**
     * Uploads one object as part of the stack (a child of this bucket, removed on destroy). `dependsOn` delays the
     * upload, e.g. until a bucket notification exists so that the upload triggers it.
     */
    putObject(args: ObjectArgs, dependsOn: pulumi.Resource[] = []): aws.s3.BucketObjectv2 {
        if ((args.file === undefined) === (args.content === undefined)) {
            throw new Error(`LabBucket ${this.name}: object ${args.key} needs exactly one of file or content`);
        }
        return new aws.s3.BucketObjectv2(
            `${this.name}-${args.key}`,
            {
                bucket: this.bucket.id,
                key: args.key,
                source: args.file ? new pulumi.asset.FileAsset(args.file) : undefined,
                content: args.content,
                contentType: args.contentType ?? contentTypeOf(args.key),
            },
            { parent: this, dependsOn },
        );
    }

    /**
     * Uploads every file below `dir` (keys relative to it, `/`-separated), sorted for a stable plan, except those
     * below the folders in `exclude`.
     */
    putDirectory(dir: string, keyPrefix = "", exclude: string[] = []): aws.s3.BucketObjectv2[] {
        const excluded = (file: string) => exclude.some((folder) => !path.relative(folder, file).startsWith(".."));
        return listFiles(dir)
            .filter((file) => !excluded(file))
            .map((file) => this.putObject({ key: keyPrefix + path.relative(dir, file).split(path.sep).join("/"), file }));
    }
}

function listFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((entry) => {
            const full = path.join(dir, entry.name);
            return entry.isDirectory() ? listFiles(full) : [full];
        })
        .sort();
}
