/**
 * What `npm start` prints once the labs are ready: each running lab's URLs and its lab steps, and why a lab asked
 * for is not running.
 */
import type { RunningLab } from "./lab-server";

const AWS = "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER aws";

export interface BannerOptions {
    /** The lab folder, as given to npm start. */
    labDir: string;
    /** Milliseconds from process start to ready. */
    readyMs: number;
    /** How to run `npm run lab` for this lab: with --lab-dir when the folder is not the default. @default "npm run lab --" */
    labCommand?: string;
    /** The seed files the directory bucket was filled from. @default "data/users_*.json" */
    seedFiles?: string;
}

export function labBanner(lab: RunningLab, options: BannerOptions): string {
    const labCmd = options.labCommand ?? "npm run lab --";
    const sections: string[] = [
        `Local labs running: ${lab.labs.join(", ") || "none"} (ready in ${(options.readyMs / 1000).toFixed(1)} s)\n` +
            `  Lab server  ${lab.url}\n  S3 endpoint ${lab.s3Endpoint}   (any credentials; s3rver's are S3RVER/S3RVER)`,
    ];
    if (lab.labs.includes("directory")) {
        sections.push(`Employee directory${lab.seeded ? ` (seeded with ${options.seedFiles ?? "data/users_*.json"})` : ""}
  Website     ${lab.url}/
  API         ${lab.apiUrl}/users
  S3 endpoint ${lab.s3Endpoint}   bucket: ${lab.bucket}
  Lab step    open the website (1,500 employees), then in a second terminal
                ${labCmd} rm users_1.json
              and reload the page (1,000 employees). More: ${labCmd} ls | rm KEY | put FILE [KEY]
  AWS CLI     ${AWS} --endpoint-url ${lab.s3Endpoint} s3 ls s3://${lab.bucket}/
              ${AWS} --endpoint-url ${lab.s3Endpoint} s3 rm s3://${lab.bucket}/users_1.json`);
    }
    if (lab.labs.includes("hello")) {
        sections.push(`Hello world
  API         ${lab.apiUrl}/hello`);
    }
    if (lab.audio) {
        const { lab: audio, pageUrl, audioUrlPattern, seedAudioUrl } = lab.audio;
        sections.push(`Audio (Polly voice ${audio.voice}, spoken on this machine by espeak-ng ${audio.espeakVoice})
  Page        ${pageUrl}
  Bucket      ${audio.bucket}   texts under text/, MP3s under audio/
  MP3 URLs    ${audioUrlPattern}${seedAudioUrl ? `\n  Seed MP3    ${seedAudioUrl}   (synthesized in the background)` : ""}
  Lab step    type a sentence on the page and press Speak; its player appears when the MP3 is made. Or:
                ${labCmd} put my-text.txt text/my-text.txt --bucket ${audio.bucket}
                ${labCmd} ls --bucket ${audio.bucket}
  AWS CLI     ${AWS} --endpoint-url ${lab.s3Endpoint} s3 cp my-text.txt s3://${audio.bucket}/text/my-text.txt`);
    }
    if (lab.webService) {
        sections.push(`Web service (Apache httpd, pid ${lab.webService.pid}, serving containers/httpd/htdocs)
  Service     ${lab.webService.url}/
  Health      ${lab.webService.url}/health
  Lab step    open the service URL: the ECS sample app's page, as the load balancer would show it`);
    }
    if (lab.signup) {
        const { outputs } = lab;
        const denied = lab.signup.consumerCanWrite
            ? ""
            : "\n  Exercise    the consumer runs WITHOUT dynamodb:PutItem (--signup-consumer-can-write=false): sign-ups end in the dead-letter queue";
        sections.push(`Sign-up (queue → consumer → DynamoDB, in memory: restarting starts empty)
  Page        ${outputs.signupWebsiteUrl}
  API         POST ${lab.url}/signup   GET ${lab.url}/signup/{id}
  Queues      ${outputs.signupQueueUrl}
              ${outputs.signupDeadLetterQueueUrl}
  DynamoDB    ${lab.signup.dynamodb.endpoint}   table: ${lab.signup.tableName}${denied}
  Lab step    sign up on the page and watch the state turn from queued to stored; then npm run surge
  AWS CLI     AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --region us-east-1 --endpoint-url ${lab.signup.dynamodb.endpoint} dynamodb scan --table-name ${lab.signup.tableName}`);
    }
    sections.push(...lab.notices);
    sections.push(`Ctrl-C stops every lab; your changes are kept in ${options.labDir} (npm start -- --reset starts over).`);
    return `\n${sections.join("\n\n")}\n`;
}
