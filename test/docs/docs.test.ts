/**
 * The README and the pages under docs/: every relative link resolves (to a file, and to a heading when it names
 * one), and every command the docs tell a user to run exists (an npm script of package.json, or a real CLI).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../helpers/program";

/** README.md and every Markdown page under docs/, as paths relative to the root. */
export function docPages(): string[] {
    const pages = ["README.md"];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
            const rel = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(rel);
            else if (entry.name.endsWith(".md")) pages.push(rel);
        }
    };
    walk("docs");
    return pages;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function anchorsOf(markdown: string): Set<string> {
    const anchors = new Set<string>();
    for (const line of withoutCodeBlocks(markdown).split("\n")) {
        const heading = /^#{1,6}\s+(.*)$/.exec(line);
        if (!heading) continue;
        const slug = heading[1]
            .trim()
            .toLowerCase()
            .replace(/[^\p{L}\p{N}\s_-]/gu, "")
            .replace(/\s/g, "-");
        let unique = slug;
        for (let n = 1; anchors.has(unique); n++) unique = `${slug}-${n}`;
        anchors.add(unique);
    }
    return anchors;
}

function withoutCodeBlocks(markdown: string): string {
    return markdown.replace(/^```[\s\S]*?^```/gm, "");
}

/** Relative link targets of a page: `[text](target)`, without web, mail and in-code links. */
export function relativeLinks(markdown: string): string[] {
    const text = withoutCodeBlocks(markdown).replace(/`[^`\n]*`/g, "");
    return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** A link's problem, or undefined when it resolves. */
export function linkProblem(
    page: string,
    target: string,
    read = (p: string) => fs.readFileSync(path.join(ROOT, p), "utf8"),
): string | undefined {
    const [file, anchor] = target.split("#");
    const resolved = file ? path.normalize(path.join(path.dirname(page), decodeURIComponent(file))) : page;
    if (resolved.startsWith("..")) return `${page}: ${target} leaves the repository`;
    if (!fs.existsSync(path.join(ROOT, resolved))) return `${page}: ${target} → ${resolved} does not exist`;
    if (anchor !== undefined && resolved.endsWith(".md") && !anchorsOf(read(resolved)).has(anchor)) {
        return `${page}: ${target} → no heading #${anchor} in ${resolved}`;
    }
    return undefined;
}

/** The programs a doc may tell a user to run besides npm: real CLIs of the tools the labs use. */
const KNOWN_CLIS = new Set([
    "pulumi",
    "aws",
    "curl",
    "echo",
    "open",
    "git",
    "apt-get",
    "sudo",
    "node",
    "cd",
    "export",
    "docker",
    "Out-File",
]);
const NPM_COMMANDS = new Set(["ci", "install", "start", "test"]);
const PULUMI_COMMANDS = new Set([
    "login",
    "stack",
    "preview",
    "up",
    "destroy",
    "config",
    "about",
    "whoami",
    "refresh",
    "cancel",
    "import",
    "logs",
    "new",
]);

/** The shell commands of a page: lines of its sh/bash/text blocks (a `$ ` prompt marks them in text blocks). */
export function sampleCommands(markdown: string): string[] {
    const commands: string[] = [];
    for (const block of markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)) {
        const lang = block[1];
        for (const raw of block[2].replace(/\s*\\\n\s*/g, " ").split("\n")) {
            const line = raw.trim();
            if (lang === "sh" || lang === "bash") {
                if (line && !line.startsWith("#")) commands.push(line);
            } else if (line.startsWith("$ ")) {
                commands.push(line.slice(2));
            }
        }
    }
    for (const span of withoutCodeBlocks(markdown).matchAll(/`((?:npm|pulumi) [^`]+)`/g)) commands.push(span[1]);
    return commands;
}

/** A command's problem, or undefined when every program it runs exists. */
export function commandProblem(command: string, scripts: Record<string, string>): string | undefined {
    for (const part of command.replace(/\s+#.*$/, "").split(/&&|\|\||;|\|/)) {
        const words = part
            .trim()
            .replace(/^(\w+=\S*\s+)+/, "")
            .split(/\s+/)
            .filter(Boolean);
        if (words.length === 0) continue;
        // npm's own flags before the script (`npm run -s verify`: no banner) are not the script's name.
        const [program, sub, script] = words[0] === "npm" ? [words[0], words[1], words.slice(2).find((w) => !/^-/.test(w))] : words;
        if (program === "npm") {
            if (sub === "run") {
                if (!script || !(script in scripts)) return `npm run ${script ?? ""} is not a script in package.json`;
            } else if (!NPM_COMMANDS.has(sub) && !(sub in scripts)) {
                return `npm ${sub} is not an npm command the docs use`;
            }
        } else if (program === "pulumi") {
            if (!PULUMI_COMMANDS.has(sub)) return `pulumi ${sub} is not a Pulumi CLI command`;
        } else if (!KNOWN_CLIS.has(program)) {
            return `${program} is not a known command`;
        }
    }
    return undefined;
}

describe("docs", () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;

    it("has the README and the pages the layout names", () => {
        const pages = docPages();
        for (const page of [
            "docs/labs/directory.md",
            "docs/labs/hello.md",
            "docs/labs/audio.md",
            "docs/labs/web-service.md",
            "docs/configuration.md",
            "docs/cost.md",
            "docs/ci.md",
            "docs/teardown.md",
            "docs/performance.md",
            "docs/troubleshooting.md",
        ]) {
            assert.ok(pages.includes(page), `${page} is missing`);
        }
    });

    it("keeps the README a front door: at most about 200 lines, offline and tests within the first 60", () => {
        const lines = fs.readFileSync(path.join(ROOT, "README.md"), "utf8").split("\n");
        assert.ok(lines.length <= 200, `README.md has ${lines.length} lines`);
        const head = lines.slice(0, 60).join("\n");
        assert.match(head, /^## Try it offline$/m);
        assert.match(head, /^npm start/m);
        assert.match(head, /^## Run the tests$/m);
        assert.match(head, /^npm test/m);
    });

    it("every relative link in the README and under docs/ resolves", () => {
        const problems: string[] = [];
        for (const page of docPages()) {
            for (const target of relativeLinks(fs.readFileSync(path.join(ROOT, page), "utf8"))) {
                const problem = linkProblem(page, target);
                if (problem) problems.push(problem);
            }
        }
        assert.deepEqual(problems, []);
    });

    it("every sample command is an npm script of package.json or a real CLI command", () => {
        const problems: string[] = [];
        for (const page of docPages()) {
            for (const command of sampleCommands(fs.readFileSync(path.join(ROOT, page), "utf8"))) {
                const problem = commandProblem(command, scripts);
                if (problem) problems.push(`${page}: ${command}: ${problem}`);
            }
        }
        assert.deepEqual(problems, []);
    });

    it("each lab page has its offline or AWS steps, an architecture diagram, its outputs and its cost", () => {
        for (const lab of ["directory", "hello", "audio", "web-service"]) {
            const page = fs.readFileSync(path.join(ROOT, "docs", "labs", `${lab}.md`), "utf8");
            assert.match(page, /^```mermaid$/m, `${lab}: diagram`);
            assert.match(page, /^## On AWS$/m, `${lab}: AWS steps`);
            assert.match(page, /^## Outputs$/m, `${lab}: outputs`);
            assert.match(page, /^## Cost$/m, `${lab}: cost`);
        }
    });

    describe("the checks themselves", () => {
        it("flag a missing file, a missing heading and a link out of the repository", () => {
            assert.match(linkProblem("README.md", "docs/nope.md") ?? "", /does not exist/);
            assert.match(linkProblem("README.md", "docs/cost.md#no-such-heading") ?? "", /no heading #no-such-heading/);
            assert.match(linkProblem("docs/cost.md", "../../outside.md") ?? "", /leaves the repository/);
            assert.equal(linkProblem("docs/labs/hello.md", "../cost.md"), undefined);
        });

        it("find links outside code only, and anchors as GitHub makes them", () => {
            assert.deepEqual(relativeLinks("[a](x.md) `[b](y.md)` [c](https://e.com)\n```\n[d](z.md)\n```\n"), ["x.md"]);
            assert.ok(anchorsOf("## What it costs: `npm run cost`\n").has("what-it-costs-npm-run-cost"));
            assert.ok(anchorsOf("# A\n# A\n").has("a-1"));
        });

        it("flag an npm script that does not exist and a made-up program", () => {
            assert.match(commandProblem("npm run nosuch -- --x", { cost: "" }) ?? "", /not a script/);
            assert.match(commandProblem("pulumi deploy", {}) ?? "", /not a Pulumi CLI command/);
            assert.match(commandProblem("frobnicate --now", {}) ?? "", /not a known command/);
            assert.equal(commandProblem("npm run cost -- --stack dev && pulumi up  # comment", { cost: "" }), undefined);
            assert.equal(commandProblem("npm run -s verify -- --local --json > report.json", { verify: "" }), undefined);
            assert.match(commandProblem("npm run -s nosuch", { verify: "" }) ?? "", /npm run nosuch is not a script/);
            assert.equal(commandProblem("AWS_ACCESS_KEY_ID=S3RVER aws s3 ls", {}), undefined);
            assert.deepEqual(sampleCommands("```text\n$ npm run cost\noutput\n```\nrun `npm run lab -- ls`\n"), [
                "npm run cost",
                "npm run lab -- ls",
            ]);
            assert.deepEqual(sampleCommands("```sh\naws s3 ls \\\n  --recursive\n```\n"), ["aws s3 ls --recursive"]);
        });
    });
});
