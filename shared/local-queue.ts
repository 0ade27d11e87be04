/**
 * An in-process queue with the delivery semantics of an SQS standard queue that the sign-up lab relies on:
 *
 * - a receive hands out up to 10 messages (SQS's MaxNumberOfMessages), each with a fresh receipt handle, and hides
 *   them for the visibility timeout;
 * - a message not deleted in time becomes visible again and is delivered again (at-least-once), its receive count
 *   (ApproximateReceiveCount) one higher; a delete with an older receipt handle succeeds but deletes nothing, as SQS
 *   documents;
 * - with a redrive policy, a message whose receive count has reached maxReceiveCount is moved to the dead-letter
 *   queue instead of being received again (same message id, body and attributes);
 * - receives may wait (long polling) until a message is visible.
 *
 * Why not a package: `fauxqs` (SQS/SNS/S3 emulator, maintained) requires Node >= 22.5 and this project runs on
 * Node 20; `sqslite` (last release 2024, on the end-of-life Fastify 3) never makes a received message visible again
 * (no visibility timeout expiry), never redrives to a dead-letter queue and gives every message of a batch the same
 * receipt handle: the three behaviours this lab is about. Both checked with npm view and by reading their code.
 */
import { randomUUID } from "node:crypto";

/** SQS's limit on one ReceiveMessage. */
export const MAX_BATCH = 10;
/** SQS's visibility timeout range, in seconds. */
export const MAX_VISIBILITY_SECONDS = 43_200;

export interface RedrivePolicy {
    deadLetterQueue: LocalQueue;
    /** Receives after which a message goes to the dead-letter queue (SQS: 1 to 1,000). */
    maxReceiveCount: number;
}

export interface LocalQueueOptions {
    name: string;
    /** @default 30 (SQS's default) */
    visibilityTimeoutSeconds?: number;
    redrive?: RedrivePolicy;
    /** The clock, for tests. @default Date.now */
    now?: () => number;
}

export interface ReceivedMessage {
    messageId: string;
    receiptHandle: string;
    body: string;
    /** String message attributes, as sent. */
    messageAttributes: Record<string, string>;
    /** Receives so far, this one included (SQS's ApproximateReceiveCount). */
    receiveCount: number;
    sentTimestamp: number;
    firstReceiveTimestamp: number;
}

interface Stored {
    messageId: string;
    body: string;
    messageAttributes: Record<string, string>;
    sentTimestamp: number;
    receiveCount: number;
    firstReceiveTimestamp: number;
    /** The receipt handle of the latest receive; only it deletes. */
    receiptHandle?: string;
    /** When an in-flight message becomes visible again. */
    visibleAt: number;
}

/** A bad argument, as SQS's InvalidParameterValue. */
export class QueueParameterError extends Error {
    readonly name = "InvalidParameterValue";
}

export interface QueueCounts {
    /** Messages that a receive would hand out now (ApproximateNumberOfMessages). */
    visible: number;
    /** Received and not yet deleted or visible again (ApproximateNumberOfMessagesNotVisible). */
    inFlight: number;
}

export class LocalQueue {
    readonly name: string;
    readonly visibilityTimeoutSeconds: number;
    readonly redrive?: RedrivePolicy;
    private readonly now: () => number;
    /** Visible messages, oldest first (a standard queue's order is best-effort; this one is FIFO). */
    private visible: Stored[] = [];
    private visibleHead = 0;
    /** Received and not deleted, by message id. */
    private readonly inFlight = new Map<string, Stored>();
    private waiters: (() => void)[] = [];
    private timer?: NodeJS.Timeout;
    private timerAt = Infinity;
    private closed = false;
    /** Messages sent since the queue was made (SQS has no such counter; the lab's own figures use it). */
    sent = 0;
    /** Messages deleted by their current receipt handle. */
    deleted = 0;

    constructor(options: LocalQueueOptions) {
        this.name = options.name;
        this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
        checkVisibility(this.visibilityTimeoutSeconds);
        if (options.redrive) {
            const max = options.redrive.maxReceiveCount;
            if (!Number.isInteger(max) || max < 1 || max > 1000)
                throw new QueueParameterError(`maxReceiveCount must be a whole number from 1 to 1,000; received ${max}`);
            if (options.redrive.deadLetterQueue === this) throw new QueueParameterError("a queue cannot be its own dead-letter queue");
        }
        this.redrive = options.redrive;
        this.now = options.now ?? Date.now;
    }

    /** SendMessage: returns the new message's id. */
    send(body: string, messageAttributes: Record<string, string> = {}): string {
        if (this.closed) throw new Error(`queue ${this.name} is closed`);
        if (body.length === 0) throw new QueueParameterError("The request must contain the parameter MessageBody.");
        const messageId = randomUUID();
        this.enqueue({
            messageId,
            body,
            messageAttributes: { ...messageAttributes },
            sentTimestamp: this.now(),
            receiveCount: 0,
            firstReceiveTimestamp: 0,
            visibleAt: 0,
        });
        this.sent++;
        return messageId;
    }

    private enqueue(message: Stored): void {
        this.visible.push(message);
        this.wake();
    }

    /**
     * ReceiveMessage: up to `max` (1–10) visible messages, hidden for the visibility timeout (the queue's, or
     * `visibilityTimeoutSeconds`). With `waitMs`, waits up to that long for a first message (long polling).
     */
    async receive(
        max = 1,
        options: { visibilityTimeoutSeconds?: number; waitMs?: number; signal?: AbortSignal } = {},
    ): Promise<ReceivedMessage[]> {
        if (!Number.isInteger(max) || max < 1 || max > MAX_BATCH)
            throw new QueueParameterError(`MaxNumberOfMessages must be a whole number from 1 to ${MAX_BATCH}; received ${max}`);
        const timeout = options.visibilityTimeoutSeconds ?? this.visibilityTimeoutSeconds;
        checkVisibility(timeout);
        const deadline = this.now() + (options.waitMs ?? 0);
        for (;;) {
            const batch = this.take(max, timeout);
            if (batch.length > 0 || this.closed || options.signal?.aborted) return batch;
            const left = deadline - this.now();
            if (left <= 0) return batch;
            await this.waitForVisible(left, options.signal);
        }
    }

    private take(max: number, timeoutSeconds: number): ReceivedMessage[] {
        this.returnExpired();
        const batch: ReceivedMessage[] = [];
        const now = this.now();
        while (batch.length < max && this.visibleHead < this.visible.length) {
            const message = this.visible[this.visibleHead];
            this.visible[this.visibleHead++] = undefined as unknown as Stored;
            if (this.redrive && message.receiveCount >= this.redrive.maxReceiveCount) {
                // SQS moves it when a receive would exceed maxReceiveCount; the dead-letter queue keeps its id.
                message.receiptHandle = undefined;
                message.visibleAt = 0;
                this.redrive.deadLetterQueue.enqueue(message);
                continue;
            }
            message.receiveCount++;
            if (message.receiveCount === 1) message.firstReceiveTimestamp = now;
            message.receiptHandle = `${message.messageId}#${randomUUID()}`;
            message.visibleAt = now + timeoutSeconds * 1000;
            this.inFlight.set(message.messageId, message);
            batch.push({
                messageId: message.messageId,
                receiptHandle: message.receiptHandle,
                body: message.body,
                messageAttributes: { ...message.messageAttributes },
                receiveCount: message.receiveCount,
                sentTimestamp: message.sentTimestamp,
                firstReceiveTimestamp: message.firstReceiveTimestamp,
            });
        }
        this.compact();
        this.schedule();
        return batch;
    }

    /** DeleteMessage: true when it deleted; an older receipt handle succeeds without deleting, as on SQS. */
    delete(receiptHandle: string): boolean {
        const message = this.inFlight.get(messageIdOf(receiptHandle));
        if (!message || message.receiptHandle !== receiptHandle) return false;
        this.inFlight.delete(message.messageId);
        this.deleted++;
        return true;
    }

    /** ChangeMessageVisibility of an in-flight message (0 makes it visible now). */
    changeVisibility(receiptHandle: string, timeoutSeconds: number): void {
        checkVisibility(timeoutSeconds);
        const message = this.inFlight.get(messageIdOf(receiptHandle));
        if (!message || message.receiptHandle !== receiptHandle) {
            throw new QueueParameterError(
                `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
            );
        }
        message.visibleAt = this.now() + timeoutSeconds * 1000;
        if (timeoutSeconds === 0) this.returnExpired();
        this.schedule();
    }

    counts(): QueueCounts {
        this.returnExpired();
        return { visible: this.visible.length - this.visibleHead, inFlight: this.inFlight.size };
    }

    /** The messages a receive could hand out now, without receiving them (for the lab's own checks). */
    peek(): { messageId: string; body: string; messageAttributes: Record<string, string>; receiveCount: number }[] {
        this.returnExpired();
        return this.visible.slice(this.visibleHead).map(({ messageId, body, messageAttributes, receiveCount }) => ({
            messageId,
            body,
            messageAttributes: { ...messageAttributes },
            receiveCount,
        }));
    }

    /** Stops waiting receives (they return what they have) and refuses new messages. */
    close(): void {
        this.closed = true;
        clearTimeout(this.timer);
        this.timer = undefined;
        this.wake();
    }

    /** In-flight messages whose visibility timeout has passed become visible again, oldest deadline first. */
    private returnExpired(): void {
        const now = this.now();
        const expired = [...this.inFlight.values()].filter((m) => m.visibleAt <= now).sort((a, b) => a.visibleAt - b.visibleAt);
        for (const message of expired) {
            this.inFlight.delete(message.messageId);
            message.receiptHandle = undefined;
            this.enqueue(message);
        }
    }

    private compact(): void {
        if (this.visibleHead > 1024 && this.visibleHead * 2 > this.visible.length) {
            this.visible = this.visible.slice(this.visibleHead);
            this.visibleHead = 0;
        }
    }

    /** Wakes waiting receives when the next in-flight message becomes visible again. */
    private schedule(): void {
        if (this.closed || this.waiters.length === 0 || this.inFlight.size === 0) return;
        let next = Infinity;
        for (const message of this.inFlight.values()) next = Math.min(next, message.visibleAt);
        if (next >= this.timerAt) return;
        clearTimeout(this.timer);
        this.timerAt = next;
        this.timer = setTimeout(
            () => {
                this.timerAt = Infinity;
                this.timer = undefined;
                this.returnExpired();
                this.wake();
            },
            Math.max(0, next - this.now()),
        );
        this.timer.unref();
    }

    private wake(): void {
        const waiters = this.waiters;
        this.waiters = [];
        for (const resolve of waiters) resolve();
    }

    private waitForVisible(ms: number, signal?: AbortSignal): Promise<void> {
        return new Promise((resolve) => {
            const done = () => {
                clearTimeout(timer);
                signal?.removeEventListener("abort", done);
                resolve();
            };
            const timer = setTimeout(done, ms);
            signal?.addEventListener("abort", done, { once: true });
            this.waiters.push(done);
            this.schedule();
        });
    }
}

function messageIdOf(receiptHandle: string): string {
    return receiptHandle.split("#")[0];
}

function checkVisibility(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS) {
        throw new QueueParameterError(`VisibilityTimeout must be from 0 to ${MAX_VISIBILITY_SECONDS} seconds; received ${seconds}`);
    }
}
