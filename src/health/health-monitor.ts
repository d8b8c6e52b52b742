import type { Clock, TimerHandle } from '../util/clock.js';
import type { AttemptRecord } from '../observability/call-record.js';
import type { Customer, Gateway, Provider, RouteTable } from '../routing/model.js';
import { gatewayKey } from '../routing/index.js';
import { CircuitBreaker, type BreakerSettings, type BreakerState } from './circuit-breaker.js';
import type { AcquireResult, LimitCounter, LimitScope } from './limit-counter.js';
import type { RemoteBreakerEvent } from './redis-breaker-sync.js';

export interface ProbeSettings {
  enabled: boolean;
  intervalMs: number;
  timeoutMs: number;
  /** Response classes ("2xx") or codes ("404") that show the gateway is there. */
  aliveCodes: string[];
  downAfter: number;
  upAfter: number;
}

export interface HealthDefaults {
  probe: ProbeSettings;
  breaker: BreakerSettings;
  /** An answered call whose end we never see is forgotten after this long. */
  maxCallMs: number;
}

/** Sends one OPTIONS to a gateway: the final status, or why there was none. */
export type ProbeSender = (
  gateway: Gateway,
  timeoutMs: number,
) => Promise<number | 'timeout' | 'transport_error'>;

/** Tells other instances about breakers (Redis), or nothing. */
export interface BreakerSharing {
  opened(gateway: string, ms: number, reason: string): void;
  closed(gateway: string): void;
}

export interface Slot {
  scope: LimitScope;
  id: string;
  holder: string;
}

export interface GatewayStatus {
  gateway: string;
  provider: string;
  breaker: BreakerState;
  /** Seconds until an open breaker lets a trial through. */
  open_for_s?: number;
  breaker_reason?: string;
  probing: boolean;
  /** false once `down_after` probes in a row failed, until `up_after` succeed. */
  probe_up: boolean;
}

interface GatewayHealth {
  key: string;
  gateway: Gateway;
  providerId: string;
  breaker: CircuitBreaker;
  probe: ProbeSettings;
  probeUp: boolean;
  probeFails: number;
  probeOks: number;
  probeTimer?: TimerHandle;
  probing: boolean;
}

export interface HealthMonitorOptions {
  clock: Clock;
  defaults: HealthDefaults;
  counter: LimitCounter;
  probe?: ProbeSender;
  sharing?: BreakerSharing;
  /** Breaker and probe transitions, for the log and metrics. */
  onEvent?: (event: string, detail: Record<string, unknown>) => void;
  /**
   * True when this process was saturated (SelfLoad) within the last `ms`
   * milliseconds (the attempt's life): a timeout then is not counted against
   * the gateway, since the answer may have been waiting in our queue.
   */
  selfBusy?: (ms: number) => boolean;
}

/**
 * The health of every gateway (breaker + OPTIONS probe) and the call slots of
 * every provider and customer. The route engine reads it through two
 * predicates; the proxy feeds it every attempt's end.
 */
export class HealthMonitor {
  private readonly gws = new Map<string, GatewayHealth>();
  private providers = new Map<string, Provider>();
  /** Answered calls still holding slots, by Call-ID, with when they are forgotten. */
  private readonly held = new Map<string, { slots: Slot[]; until: number }>();
  private readonly sweeper: TimerHandle;
  /** Timeouts not counted against their gateway because we were saturated (a metric). */
  timeoutsWhileBusy = 0;
  private closed = false;
  /** Set while an event from another instance is applied, so it is not sent back. */
  private applyingRemote = false;

  constructor(private readonly o: HealthMonitorOptions) {
    this.sweeper = this.every(Math.min(60_000, o.defaults.maxCallMs), () => this.sweep());
  }

  private every(ms: number, fn: () => void): TimerHandle {
    let handle: TimerHandle;
    const tick = (): void => {
      if (this.closed) return;
      fn();
      handle = this.o.clock.setTimer(ms, tick);
    };
    handle = this.o.clock.setTimer(ms, tick);
    return { cancel: () => handle.cancel() };
  }

  /** A new table: gateways added, removed or reconfigured; probes follow. */
  setTable(table: RouteTable): void {
    this.providers = new Map(table.providers.map((p) => [p.id, p]));
    const seen = new Set<string>();
    for (const p of table.providers) {
      if (!p.enabled) continue;
      for (const g of p.gateways) {
        const key = gatewayKey(g);
        if (seen.has(key)) continue;
        seen.add(key);
        const probe = probeSettings(this.o.defaults.probe, p);
        const breaker = breakerSettings(this.o.defaults.breaker, p);
        let h = this.gws.get(key);
        if (!h) {
          h = {
            key,
            gateway: g,
            providerId: p.id,
            breaker: new CircuitBreaker(breaker, (c) => this.onBreakerChange(key, c)),
            probe,
            probeUp: true,
            probeFails: 0,
            probeOks: 0,
            probing: false,
          };
          this.gws.set(key, h);
        } else {
          h.gateway = g;
          h.providerId = p.id;
          h.breaker.configure(breaker);
          h.probe = probe;
        }
        this.scheduleProbe(h, h.probeTimer === undefined ? 0 : undefined);
      }
    }
    for (const [key, h] of this.gws) {
      if (seen.has(key)) continue;
      h.probeTimer?.cancel();
      this.gws.delete(key);
    }
  }

  // --- what the route engine asks -------------------------------------------------

  /** True: skip this gateway (breaker open, or probes say it is down). */
  gatewayOpen(key: string): boolean {
    const h = this.gws.get(key);
    if (!h) return false;
    return !h.probeUp || h.breaker.isOpen(this.o.clock.now());
  }

  /** True: the provider's calls (across instances, as last seen) reached max_calls. */
  providerAtLimit(providerId: string): boolean {
    const max = this.providers.get(providerId)?.max_calls;
    return max !== undefined && this.o.counter.lastKnownTotal('provider', providerId) >= max;
  }

  // --- call slots ----------------------------------------------------------------

  /** Takes the provider's slot for one attempt (max_calls, max_cps). */
  admitAttempt(
    providerId: string,
    gateway: string,
    holder: string,
  ): AcquireResult | Promise<AcquireResult> {
    const p = this.providers.get(providerId);
    const r = this.o.counter.acquire('provider', providerId, holder, {
      maxCalls: p?.max_calls,
      maxCps: p?.max_cps,
    });
    // Only an attempt that is really sent can be a half-open breaker's trial.
    const begin = (res: AcquireResult): AcquireResult => {
      if (res.ok) this.gws.get(gateway)?.breaker.begin(this.o.clock.now());
      return res;
    };
    return r instanceof Promise ? r.then(begin) : begin(r);
  }

  /** Takes the customer's slot for one call. */
  admitCall(customer: Customer, holder: string): AcquireResult | Promise<AcquireResult> {
    return this.o.counter.acquire('customer', customer.id, holder, {
      maxCalls: customer.max_calls,
      maxCps: customer.max_cps,
    });
  }

  release(slot: Slot): void {
    this.o.counter.release(slot.scope, slot.id, slot.holder);
  }

  /** An answered call keeps its slots until its BYE (or `maxCallMs`). */
  holdCall(callId: string, slots: Slot[]): void {
    if (slots.length === 0) return;
    const prev = this.held.get(callId);
    if (prev) for (const s of prev.slots) this.release(s);
    this.held.set(callId, { slots, until: this.o.clock.now() + this.o.defaults.maxCallMs });
  }

  /** The dialog ended (BYE): its slots are free. */
  callEnded(callId: string): void {
    const h = this.held.get(callId);
    if (!h) return;
    this.held.delete(callId);
    for (const s of h.slots) this.release(s);
  }

  /** Answered calls whose slots are held, for tests and health. */
  get heldCalls(): number {
    return this.held.size;
  }

  activeCalls(providerId: string): number {
    return this.o.counter.active('provider', providerId);
  }

  private sweep(): void {
    const now = this.o.clock.now();
    for (const [callId, h] of this.held) if (h.until <= now) this.callEnded(callId);
  }

  // --- what the proxy reports ------------------------------------------------------

  /**
   * Live calls feed the breaker: a timeout, a transport error or a 5xx counts
   * against the gateway, any other answer for it; a 503 with Retry-After opens
   * it for that long (DESIGN §4).
   */
  onAttemptEnd(gateway: string, record: AttemptRecord, retryAfterSeconds?: number): void {
    const h = this.gws.get(gateway);
    if (!h) return;
    const now = this.o.clock.now();
    if (record.status !== undefined) {
      if (record.status === 503 && retryAfterSeconds !== undefined && retryAfterSeconds > 0) {
        h.breaker.open(now, retryAfterSeconds * 1000, `503 Retry-After ${retryAfterSeconds}`);
      } else if (record.status >= 500 && record.status < 600) {
        h.breaker.failure(now, String(record.status));
      } else {
        h.breaker.success(now);
      }
      return;
    }
    switch (record.reason) {
      case 'trying_timeout':
      case 'timeout':
        if (this.o.selfBusy?.(record.duration_ms)) {
          this.timeoutsWhileBusy++;
          break;
        }
        h.breaker.failure(now, record.reason);
        break;
      case 'transport_error':
        h.breaker.failure(now, record.reason);
        break;
      case 'ring_timeout':
        // It rang: the gateway is there.
        h.breaker.success(now);
        break;
      default:
        // Cancelled: no verdict on the gateway either way.
        h.breaker.abandon();
        break;
    }
  }

  /** Another instance opened or closed a breaker. */
  applyRemote(ev: RemoteBreakerEvent): void {
    const h = this.gws.get(ev.gateway);
    if (!h) return;
    this.applyingRemote = true;
    try {
      if (ev.state === 'open') h.breaker.open(this.o.clock.now(), ev.ms, ev.reason);
      else h.breaker.close();
    } finally {
      this.applyingRemote = false;
    }
  }

  private onBreakerChange(
    key: string,
    c: { state: BreakerState; untilMs?: number; reason?: string },
  ): void {
    const h = this.gws.get(key);
    this.o.onEvent?.(`breaker ${c.state}`, {
      gateway: key,
      provider: h?.providerId,
      reason: c.reason,
      ...(c.untilMs !== undefined ? { open_ms: Math.round(c.untilMs - this.o.clock.now()) } : {}),
      remote: this.applyingRemote || undefined,
    });
    if (this.applyingRemote || !this.o.sharing) return;
    if (c.state === 'open' && c.untilMs !== undefined) {
      this.o.sharing.opened(key, c.untilMs - this.o.clock.now(), c.reason ?? '');
    } else if (c.state === 'closed') {
      this.o.sharing.closed(key);
    }
  }

  // --- probes --------------------------------------------------------------------

  private scheduleProbe(h: GatewayHealth, delayMs?: number): void {
    if (this.closed || !this.o.probe) return;
    if (!h.probe.enabled) {
      h.probeTimer?.cancel();
      h.probeTimer = undefined;
      h.probeUp = true;
      return;
    }
    if (delayMs === undefined) return; // already scheduled; the new settings apply next time
    h.probeTimer?.cancel();
    h.probeTimer = this.o.clock.setTimer(delayMs, () => void this.probe(h));
  }

  private async probe(h: GatewayHealth): Promise<void> {
    // The timer that brought us here has fired: it no longer counts as scheduled.
    h.probeTimer = undefined;
    if (this.closed || this.gws.get(h.key) !== h || !h.probe.enabled || h.probing) return;
    h.probing = true;
    const send = this.o.probe!;
    let result: number | 'timeout' | 'transport_error';
    try {
      result = await send(h.gateway, h.probe.timeoutMs);
    } catch {
      result = 'transport_error';
    }
    h.probing = false;
    if (this.closed || this.gws.get(h.key) !== h) return;
    const now = this.o.clock.now();
    const alive = typeof result === 'number' && isAlive(result, h.probe.aliveCodes);
    if (alive) {
      h.probeFails = 0;
      h.probeOks++;
      h.breaker.success(now);
      if (!h.probeUp && h.probeOks >= h.probe.upAfter) {
        h.probeUp = true;
        this.o.onEvent?.('gateway up', { gateway: h.key, provider: h.providerId });
      }
    } else {
      h.probeOks = 0;
      h.probeFails++;
      h.breaker.failure(now, `probe ${result}`);
      if (h.probeUp && h.probeFails >= h.probe.downAfter) {
        h.probeUp = false;
        this.o.onEvent?.('gateway down', {
          gateway: h.key,
          provider: h.providerId,
          probe: result,
        });
      }
    }
    // Probing may have been turned off (or rescheduled by a new table) meanwhile.
    if (h.probe.enabled && h.probeTimer === undefined) {
      h.probeTimer = this.o.clock.setTimer(h.probe.intervalMs, () => void this.probe(h));
    }
  }

  // --- reporting -------------------------------------------------------------------

  gateways(): GatewayStatus[] {
    const now = this.o.clock.now();
    return [...this.gws.values()].map((h) => {
      const state = h.breaker.state(now);
      return {
        gateway: h.key,
        provider: h.providerId,
        breaker: state,
        ...(state === 'open'
          ? {
              open_for_s: Math.ceil((h.breaker.openUntilMs - now) / 1000),
              breaker_reason: h.breaker.lastReason,
            }
          : {}),
        probing: h.probe.enabled && this.o.probe !== undefined,
        probe_up: h.probeUp,
      };
    });
  }

  gatewayKeys(): IterableIterator<string> {
    return this.gws.keys();
  }

  close(): void {
    this.closed = true;
    this.sweeper.cancel();
    for (const h of this.gws.values()) h.probeTimer?.cancel();
  }
}

/** "2xx" matches its class, "404" one code. */
export function isAlive(status: number, codes: readonly string[]): boolean {
  for (const c of codes) {
    if (/^[1-6]xx$/i.test(c)) {
      if (Math.floor(status / 100) === Number(c[0])) return true;
    } else if (Number(c) === status) return true;
  }
  return false;
}

/** The provider's `probe` entries over the server's defaults. */
function probeSettings(d: ProbeSettings, p: Provider): ProbeSettings {
  const o = p.probe ?? {};
  return {
    enabled: o.enabled ?? d.enabled,
    intervalMs: o.interval_ms ?? d.intervalMs,
    timeoutMs: o.timeout_ms ?? d.timeoutMs,
    aliveCodes: o.alive_codes ?? d.aliveCodes,
    downAfter: o.down_after ?? d.downAfter,
    upAfter: o.up_after ?? d.upAfter,
  };
}

/** The provider's `breaker` entries over the server's defaults. */
function breakerSettings(d: BreakerSettings, p: Provider): BreakerSettings {
  const o = p.breaker ?? {};
  return {
    failures: o.failures ?? d.failures,
    windowMs: o.window_ms ?? d.windowMs,
    cooldownMs: o.cooldown_ms ?? d.cooldownMs,
  };
}
