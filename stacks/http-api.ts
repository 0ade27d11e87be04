import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { logGroupNamePrefix, type NodeFunction } from "./node-function";

export interface HttpApiArgs {
    /**
     * Origins browsers may call the API from (CORS). Empty allows none.
     * @default []
     * @example { corsOrigins: [site.websiteUrl, "http://localhost:3000"] }
     */
    corsOrigins?: pulumi.Input<string>[];
    /**
     * Methods browsers may use from those origins (CORS).
     * @default ["GET", "OPTIONS"]
     */
    corsMethods?: string[];
    /**
     * Response headers, beyond the CORS-safelisted ones, that scripts on those origins may read.
     * @default []
     * @example { corsExposeHeaders: ["x-signup-id"] }
     */
    corsExposeHeaders?: string[];
    /**
     * Burst limit in requests, applied to every route; with `throttleRate` it caps what a leaked URL can cost.
     * @default 50
     */
    throttleBurst?: number;
    /**
     * Steady-state limit in requests per second, applied to every route.
     * @default 20
     */
    throttleRate?: number;
    /**
     * Days CloudWatch keeps the access logs.
     * @default 7
     */
    logRetentionDays?: number;
    /**
     * The deployment's identity, leading the access log group's name (see NodeFunctionArgs.deploymentId).
     * @default "<project>-<stack>"
     */
    deploymentId?: pulumi.Input<string>;
}

/**
 * An API Gateway HTTP API with a `$default` stage (auto-deploy, throttled, JSON access logs into its own log group)
 * to which labs add Lambda routes with {@link HttpApi.route}.
 */
export class HttpApi extends pulumi.ComponentResource {
    readonly api: aws.apigatewayv2.Api;
    readonly stage: aws.apigatewayv2.Stage;
    readonly accessLogGroup: aws.cloudwatch.LogGroup;
    private readonly name: string;

    constructor(name: string, args: HttpApiArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("cloud-labs:apigateway:HttpApi", name, {}, opts);
        this.name = name;
        this.api = new aws.apigatewayv2.Api(
            `${name}Api`,
            {
                protocolType: "HTTP",
                corsConfiguration: {
                    allowOrigins: args.corsOrigins ?? [],
                    allowMethods: args.corsMethods ?? ["GET", "OPTIONS"],
                    allowHeaders: ["content-type"],
                    exposeHeaders: args.corsExposeHeaders?.length ? args.corsExposeHeaders : undefined,
                    maxAge: 600,
                },
            },
            { parent: this },
        );
        this.accessLogGroup = new aws.cloudwatch.LogGroup(
            `${name}AccessLogs`,
            // AWS appends a unique suffix to the prefix: two deployments of one stack name never share a group.
            { namePrefix: logGroupNamePrefix("/aws/apigateway", args.deploymentId, name), retentionInDays: args.logRetentionDays ?? 7 },
            { parent: this },
        );
        this.stage = new aws.apigatewayv2.Stage(
            `${name}Stage`,
            {
                apiId: this.api.id,
                name: "$default",
                autoDeploy: true,
                defaultRouteSettings: {
                    throttlingBurstLimit: args.throttleBurst ?? 50,
                    throttlingRateLimit: args.throttleRate ?? 20,
                },
                accessLogSettings: {
                    destinationArn: this.accessLogGroup.arn,
                    format: JSON.stringify({
                        requestId: "$context.requestId",
                        ip: "$context.identity.sourceIp",
                        requestTime: "$context.requestTime",
                        routeKey: "$context.routeKey",
                        status: "$context.status",
                        responseLength: "$context.responseLength",
                        integrationLatency: "$context.integrationLatency",
                        integrationError: "$context.integrationErrorMessage",
                    }),
                },
            },
            { parent: this },
        );
        this.registerOutputs({});
    }

    /** The API's base URL, e.g. `https://abc123.execute-api.us-east-1.amazonaws.com`. */
    get url(): pulumi.Output<string> {
        return this.api.apiEndpoint;
    }

    /**
     * Sends `routeKey` (e.g. `GET /users`) to `fn` through a Lambda proxy integration (payload 2.0), and lets this
     * API, on this route only, invoke the function. The route's resources are children of `opts.parent` (default:
     * this API), so a lab that adds a route to another lab's API still owns, and tags, its route.
     */
    route(routeKey: string, fn: NodeFunction, opts: { parent?: pulumi.Resource } = {}): aws.apigatewayv2.Route {
        const parent = opts.parent ?? this;
        const [method, path] = routeKey.split(" ");
        const id = `${this.name}-${method}${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
        const integration = new aws.apigatewayv2.Integration(
            `${id}Integration`,
            {
                apiId: this.api.id,
                integrationType: "AWS_PROXY",
                integrationUri: fn.arn,
                integrationMethod: "POST",
                payloadFormatVersion: "2.0",
            },
            { parent },
        );
        new aws.lambda.Permission(
            `${id}Permission`,
            {
                action: "lambda:InvokeFunction",
                function: fn.function.name,
                principal: "apigateway.amazonaws.com",
                sourceArn: pulumi.interpolate`${this.api.executionArn}/*/${method}${path}`,
            },
            { parent },
        );
        return new aws.apigatewayv2.Route(
            `${id}Route`,
            { apiId: this.api.id, routeKey, target: pulumi.interpolate`integrations/${integration.id}` },
            { parent },
        );
    }
}
