import { performance, type EventLoopUtilization } from 'node:perf_hooks';

type Elu = (a?: EventLoopUtilization, b?: EventLoopUtilization) => EventLoopUtilization;

/**
 * Whether this process is itself the bottleneck. When the event loop is busy
 * all the time, datagrams wait in our own socket queue: a provider's 100 or 503
 * may have arrived long before we read it, and a trying timeout then says more
 * about us than about the provider. The health monitor does not count such a
 * timeout against the gateway, so an overload of ours does not open the breaker
 * of a healthy provider (30 s in which every call that needs it fails).
 *
 * Event-loop utilization (the share of time the loop was not waiting for I/O)
 * is sampled every `sampleMs`; busy() is true while the last two samples
 * include one at or above `threshold` (0 = never busy).
 *
 * A timeout ends seconds after its INVITE left: the backlog that hid the answer
 * may be gone by then. busyWithin(ms) also looks back over the attempt's life,
 * so the timeouts that fire just after a saturation (issue 14's bench: provider
 * C's breaker opened 0.5-1 s after each storm, and every call needing C failed
 * for the next 30 s) are not counted either.
 */
export class SelfLoad {
  private last: EventLoopUtilization;
  private recent: [number, number] = [0, 0];
  /** Samples taken since the last saturated one (Infinity: none yet). */
  private sinceBusy = Infinity;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly threshold: number,
    private readonly sampleMs = 500,
    private readonly elu: Elu = performance.eventLoopUtilization,
  ) {
    this.last = elu();
  }

  start(): void {
    if (this.threshold <= 0 || this.timer) return;
    this.timer = setInterval(() => this.sample(), this.sampleMs);
    this.timer.unref();
  }

  /** Takes one sample (the interval calls it; tests call it directly). */
  sample(): void {
    const now = this.elu();
    this.recent = [this.recent[1], this.elu(now, this.last).utilization];
    this.last = now;
    this.sinceBusy =
      this.threshold > 0 && this.recent[1] >= this.threshold ? 0 : this.sinceBusy + 1;
  }

  get utilization(): number {
    return this.recent[1];
  }

  busy(): boolean {
    return this.busyWithin(0);
  }

  /**
   * Whether the loop was saturated at some point in the last `ms` milliseconds
   * (give an attempt's duration): a saturated sample k samples ago covers the
   * period ending about k × sampleMs ago, and the current period is not
   * sampled yet, hence one period of slack. busyWithin(0) is busy().
   */
  busyWithin(ms: number): boolean {
    return this.threshold > 0 && this.sinceBusy * this.sampleMs <= Math.max(0, ms) + this.sampleMs;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
