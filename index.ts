/**
 * cloud-labs: the classic AWS serverless and container labs, switched on per stack by `cloud-labs:labs`.
 * Every lab is a ComponentResource from stacks/, with its own AWS provider tagged with the deployment's identity
 * (shared/tags.ts): `<project>-<stack>-<suffix>`, unique even when every student's `dev` shares one account.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./stacks/config";
import { AudioLab } from "./stacks/audio";
import { EmployeeDirectory } from "./stacks/directory";
import { functionDefaults } from "./stacks/function-defaults";
import { HelloWorld } from "./stacks/hello";
import type { LabName } from "./stacks/lab-names";
import { labProvider } from "./stacks/lab-provider";
import { stackNameSuffix } from "./stacks/physical-name";
import { SignupLab } from "./stacks/signup";
import { StackBudget } from "./stacks/stack-budget";
import { WebService } from "./stacks/web-service";
import { budgetTagFilter, deploymentId, deploymentTags, labTags, TAG } from "./shared/tags";

const config = loadConfig();
/** The per-stack random suffix, made once and kept in the stack's state: the same one physical names end in. */
const suffix = stackNameSuffix();
const deployment = suffix.apply((s) => deploymentId(pulumi.getProject(), pulumi.getStack(), s));
const tags = deployment.apply((d) => deploymentTags(pulumi.getProject(), pulumi.getStack(), d));
const provider = (lab: LabName) =>
    labProvider(
        lab,
        tags.apply((t) => labTags(t, lab)),
    );
const defaults = functionDefaults(config, deployment);

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
          { providers: [provider("directory")] },
      )
    : undefined;

const hello = config.labs.has("hello")
    ? new HelloWorld("hello", { api: directory?.api, functionDefaults: defaults }, { providers: [provider("hello")] })
    : undefined;

const audio = config.labs.has("audio")
    ? new AudioLab(
          "audio",
          {
              voice: config.audioVoice,
              engine: config.audioEngine,
              seedTexts: config.audioSeedTexts,
              factSkill:
                  config.alexaFactSkill === "sar"
                      ? { from: "sar", version: config.alexaFactSkillVersion }
                      : config.alexaFactSkill === "function"
                        ? { from: "function", skillId: config.alexaSkillId }
                        : undefined,
              functionDefaults: defaults,
          },
          { providers: [provider("audio")] },
      )
    : undefined;

const web = config.labs.has("webService")
    ? new WebService(
          "web",
          { settings: config.web, logRetentionDays: config.logRetentionDays, nameSuffix: suffix, deploymentId: deployment },
          { providers: [provider("webService")] },
      )
    : undefined;

const signup = config.labs.has("signup")
    ? new SignupLab(
          "signup",
          { ...config.signup, extraCorsOrigins: config.apiCorsExtraOrigins, functionDefaults: defaults },
          { providers: [provider("signup")] },
      )
    : undefined;

// Deployment-wide, not a lab: the default provider, tagged explicitly; it counts this deployment's tag only.
if (config.budget) {
    new StackBudget("stack", { ...config.budget, costFilterTag: deployment.apply((d) => budgetTagFilter(TAG.deployment, d)), tags });
}

/** Stack outputs: the deployment's identity (leftovers and the cohort tools read it), and the labs' outputs. */
const outputs: Record<string, pulumi.Output<unknown>> = { deploymentId: deployment };
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
if (audio) {
    outputs.audioBucket = audio.bucket.bucketName;
    outputs.audioUrlPattern = audio.audioUrlPattern;
    if (audio.seedKeys.length > 0) outputs.seedAudioUrl = audio.audioUrl(audio.seedKeys[0]);
    if (audio.factSkill) outputs.alexaFactSkillOutputs = audio.factSkill.outputs;
    // The same shape as the SAR app's outputs: the ARN to paste as the skill's endpoint.
    if (audio.factSkillFunction) outputs.alexaFactSkillOutputs = pulumi.output({ LambdaFunctionArn: audio.factSkillFunction.arn });
}
if (web) {
    outputs.serviceUrl = web.serviceUrl;
    outputs.loadBalancerDnsName = web.loadBalancerDnsName;
    outputs.repositoryUrl = web.repository.repositoryUrl;
    outputs.clusterName = web.cluster.name;
    outputs.serviceName = web.service.name;
    // verify tells a service stopped by its schedule from a broken one by these.
    if (config.web.schedule) {
        outputs.webStopSchedule = pulumi.output(config.web.schedule.stop);
        outputs.webStartSchedule = pulumi.output(config.web.schedule.start);
    }
}

if (signup) {
    outputs.signupWebsiteUrl = signup.websiteUrl;
    outputs.signupApiUrl = signup.api.url;
    outputs.signupTableName = signup.table.name;
    outputs.signupQueueUrl = signup.queue.url;
    outputs.signupDeadLetterQueueUrl = signup.deadLetterQueue.url;
}

export = outputs;
