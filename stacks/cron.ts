/**
 * Application Auto Scaling's `cron(Minutes Hours Day-of-month Month Day-of-week Year)` expressions, as the web
 * service's stop/start schedules use them (evaluated in UTC): parsed and validated here, with the clear error the
 * config needs, and matched minute by minute for the cost estimate. SDK-free.
 *
 * Supported: numbers, names (JAN-DEC, SUN-SAT), `*`, `?`, ranges `a-b`, lists `a,b` and steps `x/n`.
 * Not supported (rejected with a message): `L`, `W` and `#`, and a year other than `*` (a lab schedule repeats).
 */

export interface CronSchedule {
    /** The expression as written, e.g. `cron(0 19 ? * MON-FRI *)`. */
    expression: string;
    /** Does the schedule fire at this minute (UTC)? */
    firesAt(date: Date): boolean;
}

interface Field {
    name: string;
    min: number;
    max: number;
    names?: string[];
}

const FIELDS: Field[] = [
    { name: "minutes", min: 0, max: 59 },
    { name: "hours", min: 0, max: 23 },
    { name: "day-of-month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
    { name: "day-of-week", min: 1, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
    { name: "year", min: 1970, max: 2199 },
];

/** Thrown for an expression Application Auto Scaling (or this parser) does not take; the message says why. */
export class CronError extends Error {}

/** Parses `cron(...)`; throws a CronError naming the field and what it allows. */
export function parseCron(expression: string): CronSchedule {
    const inner = /^cron\((.*)\)$/.exec(expression.trim())?.[1];
    if (inner === undefined)
        throw new CronError("must have the form cron(Minutes Hours Day-of-month Month Day-of-week Year), e.g. cron(0 19 ? * MON-FRI *)");
    const parts = inner.trim().split(/\s+/);
    if (parts.length !== 6)
        throw new CronError(`needs 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), found ${parts.length}`);
    const [minute, hour, dayOfMonth, month, dayOfWeek, year] = parts;
    if (year !== "*") throw new CronError("the year field must be * (a lab schedule repeats every year)");
    if ((dayOfMonth === "?") === (dayOfWeek === "?")) {
        throw new CronError("exactly one of day-of-month and day-of-week must be ? (Application Auto Scaling does not take both)");
    }
    const minutes = values(minute, FIELDS[0]);
    const hours = values(hour, FIELDS[1]);
    const days = dayOfMonth === "?" ? undefined : values(dayOfMonth, FIELDS[2]);
    const months = values(month, FIELDS[3]);
    const weekdays = dayOfWeek === "?" ? undefined : values(dayOfWeek, FIELDS[4]);
    return {
        expression,
        firesAt: (d) =>
            minutes.has(d.getUTCMinutes()) &&
            hours.has(d.getUTCHours()) &&
            months.has(d.getUTCMonth() + 1) &&
            (days ? days.has(d.getUTCDate()) : true) &&
            (weekdays ? weekdays.has(d.getUTCDay() + 1) : true),
    };
}

/** The values one field selects. */
function values(text: string, field: Field): Set<number> {
    const out = new Set<number>();
    const bad = (why: string) => new CronError(`${field.name} field ${JSON.stringify(text)}: ${why}`);
    const number = (token: string): number => {
        const byName = field.names?.indexOf(token.toUpperCase()) ?? -1;
        if (byName < 0 && /[LW#]/i.test(token)) throw bad("L, W and # are not supported here; list the days instead");
        const n = byName >= 0 ? byName + field.min : /^\d+$/.test(token) ? Number(token) : NaN;
        if (!Number.isInteger(n) || n < field.min || n > field.max) {
            throw bad(
                `${JSON.stringify(token)} is not a value from ${field.min} to ${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ""}`,
            );
        }
        return n;
    };
    for (const item of text.split(",")) {
        const [range, stepText] = item.split("/");
        const step = stepText === undefined ? 1 : Number(stepText);
        if (!Number.isInteger(step) || step < 1 || item.split("/").length > 2) throw bad(`${JSON.stringify(item)} has a bad step`);
        let from: number;
        let to: number;
        if (range === "*") [from, to] = [field.min, field.max];
        else if (range.includes("-")) {
            const [a, b] = range.split("-");
            [from, to] = [number(a), number(b)];
            if (from > to) throw bad(`the range ${range} runs backwards`);
        } else {
            from = number(range);
            to = stepText === undefined ? from : field.max;
        }
        for (let v = from; v <= to; v += step) out.add(v);
    }
    return out;
}

/** The reference year the cost estimate walks: 365 days, so a twelfth of it is the estimate's 730-hour month. */
export const REFERENCE_YEAR = 2026;

/**
 * Hours a month something stopped by `stop` and started by `start` runs: every minute of the reference year is
 * walked; the state at New Year is the one the year ends in (the schedule repeats), and the year's running hours
 * are divided by 12. A schedule whose stop never fires runs all the time.
 */
export function runningHoursPerMonth(stop: CronSchedule, start: CronSchedule): number {
    const begin = Date.UTC(REFERENCE_YEAR, 0, 1);
    const end = Date.UTC(REFERENCE_YEAR + 1, 0, 1);
    const events: boolean[] = []; // true = start, false = stop, in minute order
    const at: number[] = [];
    for (let t = begin; t < end; t += 60_000) {
        const d = new Date(t);
        const stops = stop.firesAt(d);
        const starts = start.firesAt(d);
        // Both at the same minute: treated as stop then start, so it keeps running.
        if (stops && !starts) {
            events.push(false);
            at.push(t);
        } else if (starts) {
            events.push(true);
            at.push(t);
        }
    }
    if (events.length === 0) return (end - begin) / 3_600_000 / 12;
    let running = events[events.length - 1];
    let since = begin;
    let runningMs = 0;
    events.forEach((starts, i) => {
        if (running) runningMs += at[i] - since;
        running = starts;
        since = at[i];
    });
    if (running) runningMs += end - since;
    return runningMs / 3_600_000 / 12;
}

/** How far `nextFire` and `lastFire` look: a year and a day covers every schedule this parser accepts. */
const SEARCH_MINUTES = 366 * 24 * 60 + 24 * 60;

/** The first minute at or after `from` (UTC, whole minutes) at which `schedule` fires; undefined if none within a year. */
export function nextFire(schedule: CronSchedule, from: Date): Date | undefined {
    const start = Math.ceil(from.getTime() / 60_000) * 60_000;
    for (let i = 0; i < SEARCH_MINUTES; i++) {
        const d = new Date(start + i * 60_000);
        if (schedule.firesAt(d)) return d;
    }
    return undefined;
}

/** The last minute at or before `at` at which `schedule` fired; undefined if none within a year. */
export function lastFire(schedule: CronSchedule, at: Date): Date | undefined {
    const start = Math.floor(at.getTime() / 60_000) * 60_000;
    for (let i = 0; i < SEARCH_MINUTES; i++) {
        const d = new Date(start - i * 60_000);
        if (schedule.firesAt(d)) return d;
    }
    return undefined;
}

/**
 * Whether a stop/start pair has the service stopped at `at`: the stop fired last (a start at the same minute wins,
 * as in runningHoursPerMonth), and when it starts again.
 */
export function stoppedBySchedule(stop: CronSchedule, start: CronSchedule, at: Date): { until?: Date } | undefined {
    const stopped = lastFire(stop, at);
    if (!stopped) return undefined;
    const started = lastFire(start, at);
    if (started && started.getTime() >= stopped.getTime()) return undefined;
    return { until: nextFire(start, at) };
}
