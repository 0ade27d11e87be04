/**
 * cloud-labs: the classic AWS serverless and container labs, switched on per stack by `cloud-labs:labs`.
 * Every lab is a ComponentResource from stacks/, with its own tagged AWS provider.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./stacks/config";
import { EmployeeDirectory } from "./stacks/directory";
import { functionDefaults } from "./stacks/function-defaults";
import { HelloWorld } from "./stacks/hello";
import { labProvider } from "./stacks/lab-provider";

const config = loadConfig();
const defaults = functionDefaults(config);

const directory = config.labs.has("directory")
    ? new EmployeeDirectory(
          "directory",
          {
              dataPrefix: config.directoryDataPrefix,
              memoryMb: config.lambdaMemoryMb,
              functionDefaults: defaults,
              extraCorsOrigins: config.apiCorsExtraOrigins,
              throttle: { burst: config.apiThrottleBurst, rate: config.apiThrottleRate },
          },
          { providers: [labProvider("directory")] },
      )
    : undefined;

const hello = config.labs.has("hello")
    ? new HelloWorld("hello", { api: directory?.api, functionDefaults: defaults }, { providers: [labProvider("hello")] })
    : undefined;

/** Stack outputs: only those of the labs this stack switches on. */
const outputs: Record<string, pulumi.Output<string>> = {};
if (directory) {
    outputs.websiteUrl = directory.websiteUrl;
    outputs.apiUrl = directory.api.url;
    outputs.dataBucket = directory.dataBucket.bucketName;
}
if (hello) {
    // Named after the SAM template's outputs.
    outputs.helloWorldApi = hello.url;
    outputs.helloWorldFunction = hello.function.arn;
    outputs.helloWorldFunctionIamRole = hello.function.role.arn;
}

export = outputs;
