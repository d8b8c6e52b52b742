import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** A sample this busy means the loop never waited for I/O in it. */
const SATURATED = 0.995;
/** How long the loop must stay over the target before shedding starts. */
const OVERLOADED_AFTER_MS = 300;

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
 * Nothing is shed until the loop has been over the target for 300 ms: a shorter
 * burst (a cold start, a GC pause) waits in the socket buffer. From then on the
 * share follows the utilization of the last two samples: above the target it
 * is scaled by target / utilization (a call's cost is about constant, so the
 * admitted rate falls in proportion); while the loop never idles it is cut by a
 * quarter a sample (a reading of 1 does not say by how much the load is over,
 * and the socket queue is growing); below the target it grows again, by at most
 * a tenth plus one point per sample, until every call is admitted. Growth is
 * slow on purpose: each shed INVITE still costs its datagrams, so an overshoot
 * costs goodput twice. The share is applied by a credit counter, not a coin
 * toss: exactly that share of the INVITEs in each sample is admitted, spread
 * evenly.
 */
export class LoadShedder {
  private last: EventLoopUtilization;
  private share = 1;
  private credit = 0;
  private lastUtilization = 0;
  private previous?: number;
  private overFor = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly settings: LoadShedderSettings,
    private readonly elu: Elu = performance.eventLoopUtilization,
    private readonly cpuShare: () => number = processCpuShare(),
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
    // The loop's utilization is wall time: a turn during which the scheduler gave
    // our core to another process counts as busy. Capped by the CPU time this
    // process really got, so that being descheduled on a shared machine (the
    // bench's two cores also run four SIPp processes) is not read as our own
    // overload. When we are the bottleneck the main thread alone is on CPU all
    // the time, and the cap does not bite.
    const u = Math.min(this.elu(now, this.last).utilization, this.cpuShare());
    this.last = now;
    this.lastUtilization = u;
    this.overFor = u > this.settings.targetUtilization ? this.overFor + this.settings.sampleMs : 0;
    // The proportional step reads the last two samples together: one slow tick,
    // or the scheduler taking the core away mid-turn (counted as busy), must not
    // cut the share on its own.
    const level = this.previous === undefined ? u : (this.previous + u) / 2;
    this.previous = u;
    const target = this.settings.targetUtilization;
    if (target <= 0) return;
    // Nothing is shed until the loop has been over the target for
    // OVERLOADED_AFTER_MS: a shorter burst (a process that has just started and
    // is still compiling, a major GC) waits in the socket buffer and is served a
    // moment later.
    const overloaded = this.overFor >= OVERLOADED_AFTER_MS;
    if (overloaded && u >= SATURATED) {
      // Never idle: the socket queue grows by an unknown amount, and within a
      // second or so it overflows into a retransmission storm.
      this.share *= 0.75;
    } else if ((overloaded || this.share < 1) && level > target) {
      this.share *= target / level;
    } else if (this.share < 1 && level <= target) {
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

/**
 * The process's CPU time (all threads) per wall time since the last call. V8's
 * helper threads make it read somewhat high, never low, while the main thread
 * is running.
 */
function processCpuShare(): () => number {
  let cpu = process.cpuUsage();
  let at = performance.now();
  return () => {
    const nextCpu = process.cpuUsage();
    const nextAt = performance.now();
    const used = (nextCpu.user - cpu.user + nextCpu.system - cpu.system) / 1000;
    const wall = nextAt - at;
    cpu = nextCpu;
    at = nextAt;
    return wall > 0 ? used / wall : 0;
  };
}
