import { TimerQueues, type Alarm } from './timer-queues.js';

/**
 * Time, injected. Everything that waits (transaction timers, trying timeouts,
 * breakers, schedules) asks a Clock, so tests run on a fake one that only moves
 * when the test says so.
 */
export interface TimerHandle {
  /** Cancels the timer; calling it twice, or after the timer fired, is harmless. */
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (only differences are meaningful). */
  now(): number;
  /** Milliseconds since the Unix epoch, for schedules and records. */
  wallNow(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /**
   * Runs `fn(arg)` once after `ms` milliseconds: with a function made once, a
   * timer that lives long (the 32 s of Timers D, J, L) holds no closure and
   * no context of its own.
   */
  setTimer<T>(ms: number, fn: (arg: T) => void, arg: T): TimerHandle;
}

const now = (): number => performance.now();

/** Node's timers, unref'd so they never hold the process open. */
const nodeAlarm: Alarm = {
  set(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear: (t) => clearTimeout(t as NodeJS.Timeout),
};

const queues = new TimerQueues(now, nodeAlarm);

/** The real clock: performance.now(), and timers queued by duration on Node's (TimerQueues). */
export const systemClock: Clock = {
  now,
  wallNow: () => Date.now(),
  setTimer: <T>(ms: number, fn: (arg: T) => void, arg?: T) => queues.setTimer(ms, fn, arg as T),
};
