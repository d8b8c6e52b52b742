import type { TimerHandle } from './clock.js';

/** How the queues wait: one runtime timer per queue (Node's setTimeout in systemClock). */
export interface Alarm {
  set(ms: number, fn: () => void): unknown;
  clear(alarm: unknown): void;
}

/**
 * A due time this close counts as reached: the runtime's timers count whole
 * milliseconds from the loop's cached time, and may fire a fraction of a
 * millisecond before the monotonic clock reaches the due time.
 */
const EARLY_MS = 1;

/** One timer: a link in its queue. It is its own handle, so a timer is one object. */
class QueuedTimer implements TimerHandle {
  prev: QueuedTimer | undefined = undefined;
  next: QueuedTimer | undefined = undefined;

  constructor(
    public queue: TimerQueue | undefined,
    public readonly due: number,
    public fn: ((arg: never) => void) | undefined,
    public arg: unknown,
  ) {}

  cancel(): void {
    this.queue?.remove(this);
  }
}

/** The timers of one duration, in the order they are due. */
class TimerQueue {
  head: QueuedTimer | undefined = undefined;
  tail: QueuedTimer | undefined = undefined;
  alarm: unknown = undefined;

  constructor(
    readonly ms: number,
    private readonly owner: TimerQueues,
  ) {}

  append(t: QueuedTimer): void {
    t.prev = this.tail;
    if (this.tail) this.tail.next = t;
    else this.head = t;
    this.tail = t;
  }

  remove(t: QueuedTimer): void {
    if (t.prev) t.prev.next = t.next;
    else this.head = t.next;
    if (t.next) t.next.prev = t.prev;
    else this.tail = t.prev;
    // What the timer would have run is let go at once, not when it would have been due.
    t.prev = t.next = t.queue = t.fn = t.arg = undefined;
    if (!this.head) this.owner.drop(this);
  }

  readonly fire = (): void => {
    this.alarm = undefined;
    this.owner.run(this);
  };
}

/**
 * Timers by duration, for the thousands a busy proxy holds: each call starts a
 * dozen (RFC 3261 17: Timers A-K, the 100 Trying, the trying timeout), and
 * the ones that wait out 64*T1 (Timers B, D, F, H, J, L) live 32 s. A Node
 * Timeout, the handle wrapping it and the handle's closure were three objects
 * a timer, 90,000 of them on the heap at 1,000 calls/s, each copied by the
 * young-generation GC before it was promoted (issue 14, BENCHMARKS.md).
 *
 * Timers set with the same duration fall due in the order they were set (the
 * clock is monotonic), so each duration is a linked list in that order with
 * one runtime timer armed for its head: a timer is one object, set and
 * cancelled in constant time. A cancelled head does not re-arm the runtime
 * timer: it fires as armed, finds nothing due, and arms for the new head.
 */
export class TimerQueues {
  private readonly queues = new Map<number, TimerQueue>();

  constructor(
    private readonly now: () => number,
    private readonly alarm: Alarm,
  ) {}

  setTimer<T>(ms: number, fn: (arg: T) => void, arg?: T): TimerHandle {
    const d = Math.max(0, ms);
    let q = this.queues.get(d);
    if (!q) {
      q = new TimerQueue(d, this);
      this.queues.set(d, q);
    }
    // Due on a whole millisecond (the runtime's timers count no finer): a small
    // integer is stored in the timer itself, a fraction in a number object of its own.
    const t = new QueuedTimer(q, Math.ceil(this.now() + d), fn, arg);
    q.append(t);
    // Only a queue that was empty needs its runtime timer here. One that is
    // firing (its timer is spent) arms for its head when it is done: armed here
    // for this timer's whole duration, it would hold back the ones before it.
    if (q.head === t) q.alarm = this.alarm.set(d, q.fire);
    return t;
  }

  /** How many timers are set and not yet fired or cancelled (tests, diagnostics). */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) for (let t = q.head; t; t = t.next) n++;
    return n;
  }

  /** Runs what is due in q, then arms for what is left. */
  run(q: TimerQueue): void {
    const now = this.now() + EARLY_MS;
    let failure: { error: unknown } | undefined;
    let t = q.head;
    while (t && t.due <= now) {
      const fn = t.fn as ((arg: unknown) => void) | undefined;
      const arg = t.arg;
      q.remove(t);
      try {
        fn?.(arg);
      } catch (error) {
        // The others due now still run; the first failure is thrown after, as
        // from a runtime timer of its own.
        failure ??= { error };
      }
      t = q.head;
    }
    if (q.head && q.alarm === undefined) {
      q.alarm = this.alarm.set(Math.max(1, Math.ceil(q.head.due - this.now())), q.fire);
    }
    if (failure) throw failure.error;
  }

  /** An empty queue is forgotten, its runtime timer cleared. */
  drop(q: TimerQueue): void {
    if (q.alarm !== undefined) this.alarm.clear(q.alarm);
    q.alarm = undefined;
    if (this.queues.get(q.ms) === q) this.queues.delete(q.ms);
  }
}
