import { performance, type EventLoopUtilization } from 'node:perf_hooks';

type Elu = (a?: EventLoopUtilization, b?: EventLoopUtilization) => EventLoopUtilization;

export interface LoadShedderSettings {
  /**
   * The event-loop utilization trunkroute is held at when more calls arrive
   * than it can serve; 0 = never shed. Below 1 so that the loop keeps idle
   * gaps in which the socket queue drains: at 1 the queue grows, every answer
   * waits in it, and callers and providers start retransmitting.
   */
  targetUtilization: number;
  /** How often the utilization is sampled and the admitted share adjusted (ms). */
  sampleMs: number;
}

/**
 * Admission of new calls by our own load, in the spirit of RFC 7339's loss-based
 * overload control, applied locally: trunkroute measures its own event-loop
 * utilization and admits the share of new INVITEs that keeps it at the target;
 * the rest get a stateless 503 with Retry-After (RFC 3261 21.5.4), which costs
 * a few per cent of what a call costs. Calls already admitted are never shed.
 *
 * The admitted share follows the utilization: above the target it is scaled by
 * target / utilization (a call's cost is about constant, so the admitted rate
 * falls in proportion), faster while the loop is saturated, since a reading of
 * 1 does not say by how much the load is over; below the target it grows again,
 * at most by a quarter per sample, until every call is admitted. The share is
 * applied by a credit counter, not a coin toss: exactly that share of the
 * INVITEs in each sample is admitted, spread evenly.
 */
export class LoadShedder {
  private last: EventLoopUtilization;
  private share = 1;
  private credit = 0;
  private lastUtilization = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly settings: LoadShedderSettings,
    private readonly elu: Elu = performance.eventLoopUtilization,
  ) {
    this.last = elu();
  }

  start(): void {
    if (this.settings.targetUtilization <= 0 || this.timer) return;
    this.timer = setInterval(() => this.sample(), this.settings.sampleMs);
    this.timer.unref();
  }

  /** Takes one sample and adjusts the admitted share (the interval calls it; tests call it directly). */
  sample(): void {
    const now = this.elu();
    const u = this.elu(now, this.last).utilization;
    this.last = now;
    this.lastUtilization = u;
    const target = this.settings.targetUtilization;
    if (target <= 0) return;
    if (u >= 0.99) this.share *= 0.7;
    else if (u > target) this.share *= target / u;
    else if (this.share < 1)
      this.share = Math.min(1, this.share * Math.min(1.25, target / Math.max(u, 0.01)) + 0.02);
    if (this.share < 0.001) this.share = 0;
  }

  /** Whether the next new INVITE is admitted. */
  admit(): boolean {
    if (this.share >= 1) return true;
    this.credit += this.share;
    if (this.credit < 1) return false;
    this.credit -= 1;
    return true;
  }

  /** The share of new INVITEs admitted now (1: no shedding). */
  get admittedShare(): number {
    return this.share;
  }

  /** The event-loop utilization of the last sample. */
  get utilization(): number {
    return this.lastUtilization;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
