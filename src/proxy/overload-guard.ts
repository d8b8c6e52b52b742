/** Why a new call was turned away before any routing. */
export type OverloadReason = 'source_rate' | 'calls_in_setup' | 'load';

export interface OverloadSettings {
  /** New INVITEs per second from one source address; 0 = no cap. */
  sourceRate: number;
  /** Calls being set up at once; 0 = no cap. */
  maxCallsInSetup: number;
  /** Sources tracked at most; the least recently seen is forgotten first. */
  maxSources: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The first gate for a new INVITE, before any routing work: a cap on calls in
 * setup, a token bucket per source address (a burst of one second's worth), and
 * then our own load (LoadShedder), so a flooding source spends its own tokens
 * before it can crowd the other callers out of the admitted share.
 * Memory stays bounded under a flood from many addresses: the table of sources
 * has a cap, and the least recently seen source makes room.
 */
export class OverloadGuard {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: OverloadSettings,
    private readonly now: () => number,
    private readonly load?: { admit(): boolean },
  ) {}

  /** undefined = go on; otherwise why the INVITE gets 503. */
  check(source: string, callsInSetup: number): OverloadReason | undefined {
    const s = this.settings;
    if (s.maxCallsInSetup > 0 && callsInSetup >= s.maxCallsInSetup) return 'calls_in_setup';
    if (s.sourceRate <= 0) return this.load && !this.load.admit() ? 'load' : undefined;
    const now = this.now();
    let b = this.buckets.get(source);
    if (b) {
      // Re-inserted so the Map's order is least recently seen first.
      this.buckets.delete(source);
      b.tokens = Math.min(s.sourceRate, b.tokens + ((now - b.at) * s.sourceRate) / 1000);
      b.at = now;
    } else {
      if (this.buckets.size >= s.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = { tokens: s.sourceRate, at: now };
    }
    this.buckets.set(source, b);
    if (b.tokens < 1) return 'source_rate';
    b.tokens -= 1;
    return this.load && !this.load.admit() ? 'load' : undefined;
  }

  /** Sources tracked now (bounded by maxSources). */
  get trackedSources(): number {
    return this.buckets.size;
  }
}
