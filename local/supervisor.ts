/**
 * What a local lab started, and the one way it is stopped: every part is registered as it starts, and `close()`
 * stops them all in reverse order, once (a second call waits for the first), whether start-up failed half-way or
 * the lab ran and Ctrl-C came. A part that ends by itself while the lab runs (httpd killed) is reported, unless
 * the lab is closing.
 */
export class Supervisor {
    private readonly parts: { name: string; stop: () => Promise<void> | void }[] = [];
    private closed?: Promise<void>;

    /** True once close() was called. */
    get closing(): boolean {
        return this.closed !== undefined;
    }

    /** Registers a started part's stop; parts are stopped in the reverse order of registration. */
    add(name: string, stop: () => Promise<void> | void): void {
        if (this.closed) throw new Error(`${name} started after the lab began to close`);
        this.parts.push({ name, stop });
    }

    /** Calls `report` with what `ended` resolves to, unless the lab is closing by then. */
    watch(ended: Promise<string>, report: (why: string) => void): void {
        void ended.then((why) => {
            if (!this.closing) report(why);
        });
    }

    /**
     * Stops every part, last started first; every part is stopped even when one fails, and the first failure is
     * thrown after all ran (naming the part).
     */
    close(): Promise<void> {
        this.closed ??= (async () => {
            const failures: string[] = [];
            for (const part of this.parts.reverse()) {
                try {
                    await part.stop();
                } catch (error) {
                    failures.push(`${part.name}: ${(error as Error).message}`);
                }
            }
            if (failures.length) throw new Error(`Could not stop everything: ${failures.join("; ")}`);
        })();
        return this.closed;
    }
}
