/**
 * cloud-labs: the classic AWS serverless and container labs, switched on per stack by `cloud-labs:labs`.
 * Every lab is a ComponentResource from stacks/, with its own tagged AWS provider.
 */
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

// Employee directory
export const websiteUrl = directory?.websiteUrl;
export const apiUrl = directory?.api.url;
export const dataBucket = directory?.dataBucket.bucketName;

// Hello world, named after the SAM template's outputs
export const helloWorldApi = hello?.url;
export const helloWorldFunction = hello?.function.arn;
export const helloWorldFunctionIamRole = hello?.function.role.arn;
