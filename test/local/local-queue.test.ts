import * as assert from "node:assert/strict";
import { LocalQueue, MAX_BATCH, QueueParameterError } from "../../shared/local-queue";

/** A queue on a clock the test moves. */
function queueWithClock(options: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {}) {
    let now = 1_000_000;
    const clock = () => now;
    const deadLetter = new LocalQueue({ name: "dlq", now: clock });
    const queue = new LocalQueue({
        name: "q",
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
        redrive: options.maxReceiveCount ? { deadLetterQueue: deadLetter, maxReceiveCount: options.maxReceiveCount } : undefined,
        now: clock,
    });
    return { queue, deadLetter, advance: (ms: number) => (now += ms) };
}

describe("the local queue (SQS standard queue semantics)", () => {
    it("hands out batches of at most 10 and refuses larger ones, as ReceiveMessage does", async () => {
        const { queue } = queueWithClock();
        for (let i = 0; i < 25; i++) queue.send(`m${i}`);
        const sizes = [
            (await queue.receive(10)).length,
            (await queue.receive(10)).length,
            (await queue.receive(10)).length,
            (await queue.receive(10)).length,
        ];
        assert.deepEqual(sizes, [10, 10, 5, 0]);
        await assert.rejects(queue.receive(MAX_BATCH + 1), QueueParameterError);
        await assert.rejects(queue.receive(0), QueueParameterError);
        assert.throws(() => queue.send(""), /MessageBody/);
    });

    it("hides a received message for the visibility timeout, then delivers it again with a higher receive count", async () => {
        const { queue, advance } = queueWithClock({ visibilityTimeoutSeconds: 30 });
        const id = queue.send("hello", { signupId: "abc" });
        const [first] = await queue.receive(10);
        assert.equal(first.messageId, id);
        assert.equal(first.receiveCount, 1);
        assert.deepEqual(first.messageAttributes, { signupId: "abc" });
        assert.deepEqual(queue.counts(), { visible: 0, inFlight: 1 });
        advance(29_999);
        assert.equal((await queue.receive(10)).length, 0, "still invisible 1 ms before the timeout");
        advance(1);
        const [again] = await queue.receive(10);
        assert.equal(again.messageId, id, "at-least-once: not deleted, so delivered again");
        assert.equal(again.receiveCount, 2);
        assert.notEqual(again.receiptHandle, first.receiptHandle);
    });

    it("deletes only by the latest receipt handle; an older one succeeds without deleting", async () => {
        const { queue, advance } = queueWithClock({ visibilityTimeoutSeconds: 1 });
        queue.send("x");
        const [first] = await queue.receive();
        advance(1000);
        const [second] = await queue.receive();
        assert.equal(queue.delete(first.receiptHandle), false);
        assert.deepEqual(queue.counts(), { visible: 0, inFlight: 1 });
        assert.equal(queue.delete(second.receiptHandle), true);
        assert.deepEqual(queue.counts(), { visible: 0, inFlight: 0 });
        advance(10_000);
        assert.equal((await queue.receive()).length, 0, "a deleted message never comes back");
    });

    it("changes visibility: 0 makes a message visible at once", async () => {
        const { queue } = queueWithClock();
        queue.send("x");
        const [m] = await queue.receive();
        queue.changeVisibility(m.receiptHandle, 0);
        assert.equal((await queue.receive())[0].receiveCount, 2);
        assert.throws(() => queue.changeVisibility(m.receiptHandle, 5), /ReceiptHandle is invalid/);
    });

    it("moves a message to the dead-letter queue when a receive would exceed maxReceiveCount, keeping its id and body", async () => {
        const { queue, deadLetter, advance } = queueWithClock({ visibilityTimeoutSeconds: 1, maxReceiveCount: 3 });
        const id = queue.send("poison", { signupId: "p1" });
        const ok = queue.send("fine");
        const counts: number[] = [];
        for (let i = 0; i < 3; i++) {
            const batch = await queue.receive(10);
            for (const m of batch) {
                if (m.messageId === ok) queue.delete(m.receiptHandle);
                else counts.push(m.receiveCount);
            }
            advance(1000);
        }
        assert.deepEqual(counts, [1, 2, 3]);
        assert.deepEqual(await queue.receive(10), [], "the fourth receive finds nothing: the message was moved");
        assert.deepEqual(queue.counts(), { visible: 0, inFlight: 0 });
        const dead = deadLetter.peek();
        assert.equal(dead.length, 1);
        assert.deepEqual(dead[0], { messageId: id, body: "poison", messageAttributes: { signupId: "p1" }, receiveCount: 3 });
    });

    it("refuses a bad redrive policy or visibility timeout", () => {
        const dlq = new LocalQueue({ name: "d" });
        assert.throws(() => new LocalQueue({ name: "q", redrive: { deadLetterQueue: dlq, maxReceiveCount: 0 } }), /maxReceiveCount/);
        assert.throws(() => new LocalQueue({ name: "q", visibilityTimeoutSeconds: 43_201 }), /VisibilityTimeout/);
    });

    it("long polling: a waiting receive returns as soon as a message is sent, or when one becomes visible again", async () => {
        const queue = new LocalQueue({ name: "q", visibilityTimeoutSeconds: 0.05 });
        const waiting = queue.receive(10, { waitMs: 5000 });
        queue.send("late");
        const [m] = await waiting;
        assert.equal(m.body, "late");
        const started = Date.now();
        const [again] = await queue.receive(10, { waitMs: 5000 });
        assert.equal(again.messageId, m.messageId);
        assert.ok(Date.now() - started < 4000, "woken by the visibility timeout, not the wait's end");
        const aborted = new AbortController();
        const idle = queue.receive(10, { waitMs: 60_000, signal: aborted.signal });
        aborted.abort();
        assert.deepEqual(await idle, []);
        queue.close();
    });
});
