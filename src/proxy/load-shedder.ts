import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** A sample this busy means the loop never waited for I/O in it. */
const SATURATED = 0.995;

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
 * about a sixth of what a routed failover call costs. Calls already admitted are never shed.
 *
 * The admitted share follows the utilization of the last two samples: above
 * the target it is scaled by target / utilization (a call's cost is about
 * constant, so the admitted rate falls in proportion); when the loop did not
 * idle at all in two samples in a row it is cut by a quarter a sample (a
 * reading of 1 does not say by how much the load is over, and the socket queue
 * is growing); below the target it grows again, by at most a tenth plus one
 * point per sample, until every call is admitted. Growth is slow on purpose:
 * each shed INVITE still costs its datagrams, so an overshoot costs goodput
 * twice. The share is applied by a credit counter, not a coin toss: exactly that share of the
 * INVITEs in each sample is admitted, spread evenly.
 */
export class LoadShedder {
  private last: EventLoopUtilization;
  private share = 1;
  private credit = 0;
  private lastUtilization = 0;
  private previous?: number;
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
    const saturatedBefore = this.lastUtilization >= SATURATED;
    this.lastUtilization = u;
    // The proportional step reads the last two samples together: one slow tick,
    // or the scheduler taking the core away mid-turn (counted as busy), must not
    // cut the share on its own.
    const level = this.previous === undefined ? u : (this.previous + u) / 2;
    this.previous = u;
    const target = this.settings.targetUtilization;
    if (target <= 0) return;
    if (u >= SATURATED && saturatedBefore) {
      // Never idle for two samples: the socket queue grows by an unknown amount,
      // and within a second or so it overflows into a retransmission storm.
      this.share *= 0.75;
    } else if (level > target) {
      this.share *= target / level;
    } else if (this.share < 1) {
      this.share = Math.min(1, this.share * Math.min(1.1, target / Math.max(level, 0.01)) + 0.01);
    }
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
