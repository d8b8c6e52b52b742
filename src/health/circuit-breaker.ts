/** When a gateway's breaker opens and for how long; `failures: 0` turns it off. */
export interface BreakerSettings {
  /** Consecutive failures (timeouts, transport errors, 5xx) within `windowMs` that open it. */
  failures: number;
  windowMs: number;
  /** How long it stays open before letting one trial through (half-open). */
  cooldownMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export type BreakerChange =
  { state: 'open'; untilMs: number; reason: string } | { state: 'closed' | 'half-open' };

/**
 * One gateway's circuit breaker. Pure: time comes in as `now` on every call, so
 * it runs the same on the fake clock of the tests and on the real one.
 *
 * closed → open: `failures` consecutive failures within `windowMs`, or a
 * Retry-After (503) for that long. open → half-open: the cool-down ran out; the
 * next call or probe is the trial. half-open → closed on its success, → open
 * again (a new cool-down) on its failure.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private openUntil = 0;
  private streak = 0;
  private streakStart = 0;
  private trialInFlight = false;
  private trialStartedAt = 0;
  lastReason = '';

  constructor(
    private settings: BreakerSettings,
    private readonly onChange?: (change: BreakerChange) => void,
  ) {}

  configure(settings: BreakerSettings): void {
    this.settings = settings;
  }

  /** The state at `now` (an open breaker whose cool-down ran out reads as half-open). */
  state(now: number): BreakerState {
    if (this.current === 'open' && now >= this.openUntil) {
      this.current = 'half-open';
      this.trialInFlight = false;
      this.onChange?.({ state: 'half-open' });
    }
    return this.current;
  }

  /** Until when it stays open (monotonic ms), when open. */
  get openUntilMs(): number {
    return this.openUntil;
  }

  /** True when new calls should skip this gateway now. */
  isOpen(now: number): boolean {
    const s = this.state(now);
    if (s === 'open') return true;
    if (s !== 'half-open' || !this.trialInFlight) return false;
    // A trial that never reported back (its call vanished) does not hold the gateway for ever.
    return now - this.trialStartedAt < this.settings.cooldownMs;
  }

  /** A call or probe is about to go through; in half-open it is the one trial. */
  begin(now: number): void {
    if (this.state(now) !== 'half-open') return;
    this.trialInFlight = true;
    this.trialStartedAt = now;
  }

  /** The trial ended without a verdict (the caller cancelled it): the next call is the trial. */
  abandon(): void {
    this.trialInFlight = false;
  }

  /** The gateway answered (any response that is not a 5xx). */
  success(now: number): void {
    this.streak = 0;
    const s = this.state(now);
    if (s === 'half-open') {
      this.current = 'closed';
      this.trialInFlight = false;
      this.onChange?.({ state: 'closed' });
    }
  }

  /** A timeout, a transport error or a 5xx from the gateway. */
  failure(now: number, reason: string): void {
    const s = this.state(now);
    if (s === 'open') return;
    if (s === 'half-open') {
      // The trial failed: another full cool-down.
      this.open(now, this.settings.cooldownMs, reason);
      return;
    }
    if (this.settings.failures <= 0) return;
    if (this.streak === 0 || now - this.streakStart > this.settings.windowMs) {
      this.streak = 0;
      this.streakStart = now;
    }
    this.streak++;
    if (this.streak >= this.settings.failures) this.open(now, this.settings.cooldownMs, reason);
  }

  /**
   * Opens it for `ms` from `now` (a 503's Retry-After, or another instance's
   * breaker); an open breaker is only ever extended, never shortened.
   */
  open(now: number, ms: number, reason: string): void {
    const until = now + ms;
    if (this.current === 'open' && until <= this.openUntil) return;
    this.current = 'open';
    this.openUntil = until;
    this.streak = 0;
    this.trialInFlight = false;
    this.lastReason = reason;
    this.onChange?.({ state: 'open', untilMs: until, reason });
  }

  /** Another instance closed it (its trial succeeded). */
  close(): void {
    if (this.current === 'closed') return;
    this.current = 'closed';
    this.streak = 0;
    this.trialInFlight = false;
    this.onChange?.({ state: 'closed' });
  }
}
