import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_SCHEMA, ConfigError, isImageReference, loadConfig } from "../../stacks/config";
import { load, rejects } from "../helpers/config";
import { pulumiConfigBlock, CONFIGURATION_PAGE, configurationPage } from "../../scripts/config-reference";
import { ROOT, runProgram, shippedStacks, stackConfig } from "../helpers/program";
import { TYPESCRIPT_HOOK } from "../../shared/cli";

describe("config", () => {
    it("defaults to the schema's defaults", () => {
        const config = load({});
        assert.deepEqual([...config.labs], ["directory", "hello"]);
        assert.equal(config.lambdaArchitecture, "arm64");
        assert.equal(config.lambdaMemoryMb, 256);
        assert.equal(config.logRetentionDays, 7);
        assert.equal(config.tracing, false);
        assert.equal(config.directoryDataPrefix, "users");
    });

    it("rejects an unknown lab, naming the key, the value and the allowed labs", () => {
        rejects({ labs: '["directory","chatbot"]' }, /cloud-labs:labs/, /chatbot/, /directory, hello, audio, webService/);
    });

    it("rejects labs that are not a list", () => {
        rejects({ labs: "directory" }, /cloud-labs:labs = "directory": must be a list of strings/);
    });

    for (const memory of ["127", "10241", "-1", "256.5", "lots"]) {
        it(`rejects lambdaMemoryMb ${memory}, naming Lambda's range`, () => {
            rejects({ lambdaMemoryMb: memory }, /cloud-labs:lambdaMemoryMb/, new RegExp(`"${memory.replace(".", "\\.")}"`), /128 to 10240/);
        });
    }

    it("accepts Lambda's memory bounds", () => {
        assert.equal(load({ lambdaMemoryMb: "128" }).lambdaMemoryMb, 128);
        assert.equal(load({ lambdaMemoryMb: "10240" }).lambdaMemoryMb, 10240);
    });

    for (const days of ["2", "0", "10", "4000"]) {
        it(`rejects logRetentionDays ${days}, listing what CloudWatch accepts`, () => {
            rejects({ logRetentionDays: days }, /cloud-labs:logRetentionDays/, /1, 3, 5, 7, 14, 30/);
        });
    }

    it("rejects an unknown architecture", () => {
        rejects({ lambdaArchitecture: "x86" }, /cloud-labs:lambdaArchitecture = "x86": must be one of arm64, x86_64/);
    });

    it("rejects a non-boolean tracing switch", () => {
        rejects({ tracing: "yes" }, /cloud-labs:tracing = "yes": must be true or false/);
    });

    it("rejects negative or zero throttling", () => {
        rejects({ apiThrottleBurst: "-5" }, /cloud-labs:apiThrottleBurst = "-5"/);
        rejects({ apiThrottleRate: "0" }, /cloud-labs:apiThrottleRate = "0"/);
    });

    it("rejects a data prefix with a leading slash or unsafe characters", () => {
        rejects({ directoryDataPrefix: "/users" }, /cloud-labs:directoryDataPrefix/);
        rejects({ directoryDataPrefix: "users?" }, /cloud-labs:directoryDataPrefix/);
    });

    it("rejects a CORS origin with a path", () => {
        rejects(
            { apiCorsExtraOrigins: '["http://localhost:3000/app"]' },
            /cloud-labs:apiCorsExtraOrigins = "http:\/\/localhost:3000\/app"/,
        );
    });

    it("reports every bad key at once", () => {
        rejects({ lambdaMemoryMb: "1", logRetentionDays: "2", labs: '["x"]' }, /lambdaMemoryMb/, /logRetentionDays/, /labs/);
    });

    it("fails the program run (and so the preview) with the message", async () => {
        await assert.rejects(
            runProgram("dev", { lambdaMemoryMb: 99999 }),
            /cloud-labs:lambdaMemoryMb = "99999": must be a whole number from 128 to 10240/,
        );
    });

    it("Pulumi.yaml declares every key with type, description and the code's default", () => {
        const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
        assert.equal(project.name, "cloud-labs");
        assert.equal(project.runtime.name, "nodejs");
        assert.deepEqual(project.config, pulumiConfigBlock(), "run npm run config:sync");
    });

    it("docs/configuration.md is the page generated from the schema", () => {
        const page = fs.readFileSync(path.join(ROOT, CONFIGURATION_PAGE), "utf8");
        assert.equal(page, configurationPage(), `${CONFIGURATION_PAGE} drifted: run npm run config:sync`);
    });

    for (const stack of shippedStacks()) {
        it(`Pulumi.${stack}.yaml sets a region and only known, valid keys`, () => {
            const values = stackConfig(stack);
            assert.ok(values["aws:region"], "aws:region is set");
            for (const key of Object.keys(values)) {
                if (key.startsWith("cloud-labs:")) assert.ok(key.slice(11) in CONFIG_SCHEMA, `${key} is declared`);
            }
            load(Object.fromEntries(Object.entries(values).map(([k, v]) => [k.replace(/^cloud-labs:/, ""), v])));
        });
    }
});

describe("config: audio lab", () => {
    it("rejects an unknown voice, listing the voices", () => {
        rejects({ audioVoice: "Hal" }, /cloud-labs:audioVoice = "Hal": must be one of .*Joanna/);
    });
    it("rejects an unknown engine", () => {
        rejects({ audioEngine: "generative" }, /cloud-labs:audioEngine = "generative": must be one of standard, neural/);
    });
    it("rejects a voice that does not support the engine, naming both keys", () => {
        rejects(
            { audioVoice: "Kevin", audioEngine: "standard" },
            /cloud-labs:audioVoice = "Kevin": supports only the neural engine, not cloud-labs:audioEngine = standard/,
        );
        rejects({ audioVoice: "Nicole", audioEngine: "neural" }, /cloud-labs:audioVoice = "Nicole": supports only the standard engine/);
    });
    it("accepts a voice with an engine it supports", () => {
        const config = load({ audioVoice: "Matthew", audioEngine: "neural" });
        assert.equal(config.audioVoice, "Matthew");
        assert.equal(config.audioEngine, "neural");
    });
    it("rejects a seed text that is not a file in data/texts/", () => {
        rejects(
            { audioSeedTexts: '["missing.txt"]' },
            /cloud-labs:audioSeedTexts = "missing.txt": each entry must name a .txt file in data\/texts\//,
        );
        rejects({ audioSeedTexts: '["../package.json"]' }, /cloud-labs:audioSeedTexts/);
    });
    it("requires a pinned fact skill version when the skill is on, saying how to list them", () => {
        rejects(
            { alexaFactSkill: "true" },
            /cloud-labs:alexaFactSkillVersion = "": must be the semantic version.*list-application-versions/,
        );
        rejects({ alexaFactSkill: "true", alexaFactSkillVersion: "latest" }, /alexaFactSkillVersion = "latest"/);
        assert.equal(load({ labs: '["audio"]', alexaFactSkill: "true", alexaFactSkillVersion: "1.0.7" }).alexaFactSkillVersion, "1.0.7");
    });
    it("reads alexaFactSkill as off, sar (true) or function, and rejects anything else listing the choices", () => {
        assert.equal(load({}).alexaFactSkill, "off");
        assert.equal(load({ labs: '["audio"]', alexaFactSkill: "false" }).alexaFactSkill, "off");
        assert.equal(load({ labs: '["audio"]', alexaFactSkill: "true", alexaFactSkillVersion: "1.0.7" }).alexaFactSkill, "sar");
        assert.equal(load({ labs: '["audio"]', alexaFactSkill: "sar", alexaFactSkillVersion: "1.0.7" }).alexaFactSkill, "sar");
        rejects({ labs: '["audio"]', alexaFactSkill: "sar" }, /cloud-labs:alexaFactSkillVersion = "": must be the semantic version/);
        rejects(
            { labs: '["audio"]', alexaFactSkill: "lambda" },
            /cloud-labs:alexaFactSkill = "lambda": must be one of false, true, sar, function/,
        );
    });
    it("needs the skill ID for alexaFactSkill: function, as amzn1.ask.skill.<uuid>, and no SAR version", () => {
        const skillId = "amzn1.ask.skill.0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        const config = load({ labs: '["audio"]', alexaFactSkill: "function", alexaSkillId: skillId });
        assert.deepEqual([config.alexaFactSkill, config.alexaSkillId], ["function", skillId]);
        rejects(
            { labs: '["audio"]', alexaFactSkill: "function" },
            /cloud-labs:alexaSkillId = "": must be the skill's ID, amzn1\.ask\.skill\.<uuid>/,
        );
        rejects(
            { labs: '["audio"]', alexaFactSkill: "function", alexaSkillId: "amzn1.ask.skill.nope" },
            /cloud-labs:alexaSkillId = "amzn1\.ask\.skill\.nope"/,
        );
        rejects(
            { labs: '["audio"]', alexaFactSkill: "function", alexaSkillId: "amzn1.echo-sdk-ams.app.0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" },
            /cloud-labs:alexaSkillId/,
        );
    });
});

describe("config: web service", () => {
    it("accepts the defaults: 256 CPU / 512 MiB, 1 <= 1 <= 3, port 8080", () => {
        const { web } = load({});
        assert.deepEqual(
            [web.cpu, web.memoryMb, web.minCount, web.desiredCount, web.maxCount, web.containerPort],
            [256, 512, 1, 1, 3, 8080],
        );
    });
    it("rejects a cpu/memory pair Fargate does not offer, listing what is allowed", () => {
        rejects(
            { webCpu: "256", webMemoryMb: "4096" },
            /cloud-labs:webMemoryMb = "?4096"?: is not a Fargate size for webCpu = 256; allowed: 512 to 2048/,
        );
        rejects({ webCpu: "1024", webMemoryMb: "1024" }, /webMemoryMb.*allowed: 2048 to 8192 in steps of 1024/);
        rejects({ webCpu: "300" }, /cloud-labs:webCpu = "?300"?: must be one of 256, 512, 1024/);
        assert.equal(load({ webCpu: "4096", webMemoryMb: "30720" }).web.memoryMb, 30720);
    });
    it("rejects min > max and desired outside min..max, naming the keys", () => {
        rejects(
            { webMinCount: "4", webMaxCount: "3", webDesiredCount: "4" },
            /cloud-labs:webMinCount = "?4"?: must not exceed cloud-labs:webMaxCount = 3/,
        );
        rejects(
            { webDesiredCount: "5" },
            /cloud-labs:webDesiredCount = "5": must lie between cloud-labs:webMinCount = 1 and cloud-labs:webMaxCount = 3/,
        );
        rejects({ webDesiredCount: "-1" }, /cloud-labs:webDesiredCount = "-1"/);
    });
    it("rejects a port out of range, and another port for the built image", () => {
        rejects(
            { webContainerPort: "70000", webImage: "httpd:2.4" },
            /cloud-labs:webContainerPort = "70000": must be a whole number from 1 to 65535/,
        );
        rejects(
            { webContainerPort: "80" },
            /cloud-labs:webContainerPort = "?80"?: must be 8080 for the image built from containers\/httpd/,
        );
        assert.equal(load({ webContainerPort: "80", webImage: "httpd:2.4" }).web.containerPort, 80);
    });
    it("rejects an unknown architecture", () => {
        rejects({ webArchitecture: "arm64" }, /cloud-labs:webArchitecture = "arm64": must be one of ARM64, X86_64/);
    });
    it("rejects a VPC without subnets, bad ids, a single subnet and a malformed certificate ARN", () => {
        rejects({ webVpcId: "vpc-0123456789abcdef0" }, /webVpcId and webSubnetIds go together/);
        rejects({ webSubnetIds: '["subnet-01111111111111111","subnet-02222222222222222"]' }, /webVpcId and webSubnetIds go together/);
        rejects({ webVpcId: "vpc-0123456789abcdef0", webSubnetIds: '["subnet-01111111111111111"]' }, /at least two availability zones/);
        rejects({ webVpcId: "default", webSubnetIds: '["x","y"]' }, /webVpcId = "default"/, /webSubnetIds = "x"/);
        rejects({ webCertificateArn: "my-cert" }, /cloud-labs:webCertificateArn = "my-cert": must be an ACM certificate ARN/);
    });
    it("requires webDomainName, a host name, with a certificate, and a certificate with webDomainName", () => {
        const certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-4567-89ef-0123-456789abcdef";
        rejects({ webCertificateArn: certificate }, /cloud-labs:webDomainName = "": is required with cloud-labs:webCertificateArn/);
        rejects(
            { webCertificateArn: certificate, webDomainName: "https://web.example.com" },
            /cloud-labs:webDomainName = "https:\/\/web\.example\.com": must be a host name/,
        );
        rejects({ webCertificateArn: certificate, webDomainName: "web.example.com/" }, /must be a host name/);
        rejects({ webCertificateArn: certificate, webDomainName: "localhost" }, /must be a host name/);
        rejects({ webDomainName: "web.example.com" }, /cloud-labs:webDomainName = "web\.example\.com": needs cloud-labs:webCertificateArn/);
        assert.equal(load({ webCertificateArn: certificate, webDomainName: "Web-1.Example.com" }).web.domainName, "Web-1.Example.com");
        assert.equal(load({}).web.domainName, undefined);
    });
    it("rejects a CPU target outside 10..90 and a health check path without a leading /", () => {
        rejects({ webCpuTargetPercent: "95" }, /cloud-labs:webCpuTargetPercent/);
        rejects({ webHealthCheckPath: "health" }, /cloud-labs:webHealthCheckPath = "health": must be a path starting with \//);
    });
});

describe("config: hostile input", function () {
    this.timeout(120_000);
    /** Loads with the stack's keys as Pulumi hands them over (namespaced), collecting warnings. */
    const loadKeys = (values: Record<string, string>, warnings: string[] = []) =>
        loadConfig((key) => values[`cloud-labs:${key}`], { keys: Object.keys(values), warn: (m) => warnings.push(m) });
    const problemsOf = (values: Record<string, string>) => {
        try {
            load(values);
        } catch (error) {
            assert.ok(error instanceof ConfigError, String(error));
            return error.problems;
        }
        assert.fail(`${JSON.stringify(values)} was accepted`);
    };

    it("refuses an unknown key of the project's namespace, naming the nearest known key", () => {
        assert.throws(
            () => loadKeys({ "aws:region": "us-east-1", "cloud-labs:webMaxCont": "0" }),
            /cloud-labs:webMaxCont is not a cloud-labs setting \(did you mean webMaxCount\?\)/,
        );
        assert.throws(() => loadKeys({ "cloud-labs:LABS": '["hello"]' }), /did you mean labs\?/);
        assert.throws(
            () => loadKeys({ "cloud-labs:somethingElseEntirely": "1" }),
            (e: Error) => /is not a cloud-labs setting;/.test(e.message) && !/did you mean/.test(e.message),
        );
    });

    it("reads every key a stack may set, each into its own setting", () => {
        // Written out by hand, not taken from the schema: every key with a value other than its default, and what
        // the stack then gets. A key added to the schema must be added here with what it does.
        const certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-4567-89ef-0123-456789abcdef";
        const skillId = "amzn1.ask.skill.0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        const values: Record<string, string> = {
            labs: '["audio","webService"]',
            lambdaArchitecture: "x86_64",
            lambdaMemoryMb: "512",
            logRetentionDays: "14",
            tracing: "true",
            directoryDataPrefix: "people/data",
            apiThrottleBurst: "10",
            apiThrottleRate: "5",
            apiCorsExtraOrigins: '["http://localhost:5173"]',
            audioVoice: "Matthew",
            audioEngine: "neural",
            audioSeedTexts: "[]",
            alexaFactSkill: "function",
            alexaFactSkillVersion: "1.0.7",
            alexaSkillId: skillId,
            webImage: "public.ecr.aws/docker/library/httpd:2.4",
            webArchitecture: "X86_64",
            webCpu: "512",
            webMemoryMb: "2048",
            webDesiredCount: "2",
            webMinCount: "2",
            webMaxCount: "4",
            webCpuTargetPercent: "50",
            webContainerPort: "80",
            webHealthCheckPath: "/",
            webSpot: "true",
            webContainerInsights: "true",
            webCertificateArn: certificate,
            webDomainName: "web.example.com",
            webVpcId: "vpc-0123456789abcdef0",
            webSubnetIds: '["subnet-01111111111111111","subnet-02222222222222222"]',
            webKeepImages: "3",
            webStopSchedule: "cron(0 19 ? * MON-FRI *)",
            webStartSchedule: "cron(0 7 ? * MON-FRI *)",
            signupThrottleBurst: "40",
            signupThrottleRate: "25",
            signupBatchSize: "5",
            signupMaxConcurrency: "3",
            signupMaxReceiveCount: "4",
            signupConsumerCanWrite: "false",
            budgetMonthlyUsd: "20",
            budgetEmail: "you@example.com",
        };
        const namespaced = Object.fromEntries(Object.entries(values).map(([k, v]) => [`cloud-labs:${k}`, v]));
        const config = loadKeys({ ...namespaced, "aws:region": "eu-west-1", "pulumi:tags": "{}" });
        assert.deepEqual(config, {
            labs: new Set(["audio", "webService"]),
            lambdaArchitecture: "x86_64",
            lambdaMemoryMb: 512,
            logRetentionDays: 14,
            tracing: true,
            directoryDataPrefix: "people/data",
            apiThrottleBurst: 10,
            apiThrottleRate: 5,
            apiCorsExtraOrigins: ["http://localhost:5173"],
            audioVoice: "Matthew",
            audioEngine: "neural",
            audioSeedTexts: [],
            alexaFactSkill: "function",
            alexaFactSkillVersion: "1.0.7",
            alexaSkillId: skillId,
            web: {
                image: "public.ecr.aws/docker/library/httpd:2.4",
                architecture: "X86_64",
                cpu: 512,
                memoryMb: 2048,
                desiredCount: 2,
                minCount: 2,
                maxCount: 4,
                cpuTargetPercent: 50,
                containerPort: 80,
                healthCheckPath: "/",
                spot: true,
                containerInsights: true,
                certificateArn: certificate,
                domainName: "web.example.com",
                vpcId: "vpc-0123456789abcdef0",
                subnetIds: ["subnet-01111111111111111", "subnet-02222222222222222"],
                keepImages: 3,
                schedule: { stop: "cron(0 19 ? * MON-FRI *)", start: "cron(0 7 ? * MON-FRI *)" },
            },
            signup: { throttleBurst: 40, throttleRate: 25, batchSize: 5, maxConcurrency: 3, maxReceiveCount: 4, consumerCanWrite: false },
            budget: { monthlyUsd: 20, email: "you@example.com" },
        });
        assert.deepEqual(Object.keys(CONFIG_SCHEMA).sort(), Object.keys(values).sort(), "the schema declares exactly these keys");
    });

    it("fails the program run under mocks on a misspelt key", async () => {
        await assert.rejects(
            runProgram("serverless", { webMaxCont: 0 }),
            /cloud-labs:webMaxCont is not a cloud-labs setting \(did you mean webMaxCount\?\)/,
        );
    });

    it("warns about a namespace one typo away from cloud-labs, and is silent about others", () => {
        const warnings: string[] = [];
        const config = loadKeys(
            { "cloudlabs:labs": '["audio"]', "Cloud_Labs:tracing": "true", "aws:region": "us-east-1", "random:x": "1" },
            warnings,
        );
        assert.deepEqual([...config.labs], ["directory", "hello"], "the near miss is not read");
        assert.equal(warnings.length, 2, warnings.join("\n"));
        assert.match(
            warnings[0],
            /^cloudlabs:labs is ignored: cloudlabs is not this project's namespace \(did you mean cloud-labs:labs\?\)/,
        );
        assert.match(warnings[1], /^Cloud_Labs:tracing is ignored/);
    });

    it("refuses an empty labs list", () => {
        rejects(
            { labs: "[]" },
            /cloud-labs:labs = "\[\]": must name at least one lab \(directory, hello, audio, webService, signup\); to remove every lab, run pulumi destroy/,
        );
    });

    it("refuses alexaFactSkill without the audio lab", () => {
        rejects(
            { alexaFactSkill: "true", alexaFactSkillVersion: "1.0.7" },
            /cloud-labs:alexaFactSkill = "true": deploys with the audio lab only: add audio to cloud-labs:labs/,
        );
        assert.equal(load({ labs: '["hello","audio"]', alexaFactSkill: "true", alexaFactSkillVersion: "1.0.7" }).alexaFactSkill, "sar");
    });

    it("validates webImage as an image reference", () => {
        rejects({ webImage: "not an image" }, /cloud-labs:webImage = "not an image": must be an image reference like httpd:2.4/);
        for (const bad of [
            "Httpd:2.4",
            "httpd:",
            "httpd:2.4:3",
            "https://public.ecr.aws/httpd",
            "MyRegistry/httpd",
            "httpd@sha256:abc",
            "/httpd",
        ]) {
            assert.equal(isImageReference(bad), false, bad);
        }
        for (const good of [
            "httpd",
            "httpd:2.4",
            "public.ecr.aws/docker/library/httpd:2.4",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:latest",
            "localhost:5000/my_app/web-server:v1.2.3",
            `ghcr.io/org/web@sha256:${"ab".repeat(32)}`,
            `httpd:2.4@sha256:${"0".repeat(64)}`,
        ]) {
            assert.equal(isImageReference(good), true, good);
        }
        assert.equal(load({ webImage: "httpd:2.4", webContainerPort: "80" }).web.image, "httpd:2.4");
    });

    for (const notPlain of ["0x100", "1e3", " 256", "256 ", "+256", "0b100000000", "256.0"]) {
        it(`refuses lambdaMemoryMb ${JSON.stringify(notPlain)}: not a plain integer`, () => {
            rejects({ lambdaMemoryMb: notPlain }, /cloud-labs:lambdaMemoryMb = ".*": must be a whole number from 128 to 10240/);
        });
    }

    for (const [values, key] of [
        [{ webCpu: "abc" }, "webCpu"],
        [{ logRetentionDays: "-7" }, "logRetentionDays"],
        [{ webMemoryMb: "0" }, "webMemoryMb"],
        [{ webDesiredCount: "-1" }, "webDesiredCount"],
        [{ audioEngine: "generative" }, "audioEngine"],
    ] as const) {
        it(`prints one message for ${JSON.stringify(values)}`, () => {
            const problems = problemsOf(values);
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], new RegExp(`^cloud-labs:${key} = "${Object.values(values)[0]}": `));
            assert.doesNotMatch(problems[0], /NaN/);
        });
    }

    it("a config error under mocks is one rejection, not also unhandled rejections", async () => {
        const { execFile } = await import("node:child_process");
        const { promisify } = await import("node:util");
        // A fresh process, so every rejection the run leaves behind has surfaced by the time it exits.
        const script = `
            let unhandled = 0;
            process.on("unhandledRejection", () => unhandled++);
            process.on("exit", () => console.log(JSON.stringify({ unhandled })));
            require(${JSON.stringify(path.join(ROOT, "shared", "resource-graph.ts"))})
                .runProgram("dev", { webCpu: "abc" })
                .then(() => console.log("accepted"), (e) => console.log("rejected: " + e.name));`;
        const { stdout } = await promisify(execFile)(process.execPath, ["-r", TYPESCRIPT_HOOK, "-e", script], {
            cwd: ROOT,
            timeout: 100_000,
        });
        assert.match(stdout, /^rejected: ConfigError$/m);
        assert.match(stdout, /^\{"unhandled":0\}$/m);
    });
});
