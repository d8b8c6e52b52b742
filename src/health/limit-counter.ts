/** Who holds limits: a provider (per attempt) or a customer (per call). */
export type LimitScope = 'provider' | 'customer';

export interface Limits {
  /** Concurrent calls; absent = no cap. */
  maxCalls?: number;
  /** New calls (attempts, for a provider) per second; absent = no cap. */
  maxCps?: number;
}

/** Why a slot was refused. */
export type LimitRefusal = 'max_calls' | 'max_cps';

export type AcquireResult = { ok: true } | { ok: false; refusal: LimitRefusal };

/**
 * Call slots counted against `max_calls` and `max_cps`. The local counter
 * answers at once; a shared one (Redis) answers with a promise, so callers
 * handle both.
 */
export interface LimitCounter {
  acquire(
    scope: LimitScope,
    id: string,
    holder: string,
    limits: Limits,
  ): AcquireResult | Promise<AcquireResult>;
  release(scope: LimitScope, id: string, holder: string): void;
  /** Slots held by this instance (for metrics and the planner's hint). */
  active(scope: LimitScope, id: string): number;
  /** The last count seen across every instance sharing the counter (the planner's hint). */
  lastKnownTotal(scope: LimitScope, id: string): number;
  close(): Promise<void>;
}

export const OK: AcquireResult = { ok: true };

/** Per-second counts of new calls, in a window of one clock second. */
export class CpsWindow {
  private second = -1;
  private count = 0;

  /** Counts one call at `nowMs` unless that would pass `max`; true when counted. */
  take(nowMs: number, max: number): boolean {
    const s = Math.floor(nowMs / 1000);
    if (s !== this.second) {
      this.second = s;
      this.count = 0;
    }
    if (this.count >= max) return false;
    this.count++;
    return true;
  }
}

/** Slots of one process: exact for one instance, the fallback without Redis. */
export class LocalLimitCounter implements LimitCounter {
  private readonly held = new Map<string, Set<string>>();
  private readonly cps = new Map<string, CpsWindow>();

  constructor(private readonly now: () => number) {}

  acquire(scope: LimitScope, id: string, holder: string, limits: Limits): AcquireResult {
    const key = `${scope}:${id}`;
    let set = this.held.get(key);
    if (limits.maxCalls !== undefined && (set?.size ?? 0) >= limits.maxCalls) {
      return { ok: false, refusal: 'max_calls' };
    }
    if (limits.maxCps !== undefined) {
      let w = this.cps.get(key);
      if (!w) this.cps.set(key, (w = new CpsWindow()));
      if (!w.take(this.now(), limits.maxCps)) return { ok: false, refusal: 'max_cps' };
    }
    if (!set) this.held.set(key, (set = new Set()));
    set.add(holder);
    return OK;
  }

  release(scope: LimitScope, id: string, holder: string): void {
    const key = `${scope}:${id}`;
    const set = this.held.get(key);
    if (!set) return;
    set.delete(holder);
    if (set.size === 0) this.held.delete(key);
  }

  active(scope: LimitScope, id: string): number {
    return this.held.get(`${scope}:${id}`)?.size ?? 0;
  }

  lastKnownTotal(scope: LimitScope, id: string): number {
    return this.active(scope, id);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
