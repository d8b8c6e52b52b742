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
 */
export class SelfLoad {
  private last: EventLoopUtilization;
  private recent: [number, number] = [0, 0];
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
  }

  get utilization(): number {
    return this.recent[1];
  }

  busy(): boolean {
    return this.threshold > 0 && Math.max(...this.recent) >= this.threshold;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
