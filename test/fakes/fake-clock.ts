import type { Clock, TimerHandle } from '../../src/util/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when the test calls advance(); timers fire in due order. */
export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(private readonly epoch = Date.UTC(2026, 0, 5, 12, 0, 0)) {}

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.epoch + this.t;
  }

  setTimer<T>(ms: number, fn: (arg: T) => void, arg?: T): TimerHandle {
    const p: Pending = {
      at: this.t + Math.max(0, ms),
      seq: this.seq++,
      fn: () => fn(arg as T),
      cancelled: false,
    };
    this.pending.push(p);
    return {
      cancel: () => {
        p.cancelled = true;
      },
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.t = next.at;
      next.cancelled = true;
      next.fn();
    }
    this.t = end;
  }

  /** Number of timers still armed. */
  get armed(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }

  private nextDue(end: number): Pending | undefined {
    this.pending = this.pending.filter((p) => !p.cancelled);
    let best: Pending | undefined;
    for (const p of this.pending) {
      if (p.at <= end && (!best || p.at < best.at || (p.at === best.at && p.seq < best.seq)))
        best = p;
    }
    return best;
  }
}
