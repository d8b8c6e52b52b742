import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallRecord } from './call-record.js';

/** What the metrics read at scrape time from the parts that own the numbers. */
export interface MetricSources {
  sipCounters?: () => { received: number; sent: number; droppedMalformed: number };
  activeCalls?: () => Array<{ provider: string; calls: number }>;
  gateways?: () => Array<{ gateway: string; provider: string; breaker: string; probe_up: boolean }>;
  routeVersion?: () => number;
  transactions?: () => { clients: number; servers: number; answered503: number; dropped: number };
}

const BREAKER_VALUE: Record<string, number> = { closed: 0, open: 1, 'half-open': 2 };

/**
 * Every Prometheus metric trunkroute serves on /metrics (docs/observability.md).
 * Per-call numbers are counted from the call record when the call ends, so
 * the metrics and the records always agree.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'outcome'>;
  private readonly attempts: Counter<'provider' | 'gateway' | 'result'>;
  private readonly failovers: Counter<'provider' | 'reason'>;
  private readonly firstResponse: Histogram<'provider'>;
  private readonly pdd: Histogram;
  private readonly reloads: Counter<'outcome'>;
  private readonly overloads: Counter<'reason'>;

  constructor(sources: MetricSources = {}) {
    const registers = [this.registry];
    this.calls = new Counter({
      name: 'trunkroute_calls_total',
      help: 'Calls by outcome (connected, failed, cancelled, no_route, forbidden, rejected, redirected).',
      labelNames: ['outcome'],
      registers,
    });
    this.attempts = new Counter({
      name: 'trunkroute_attempts_total',
      help: 'Attempts by provider, gateway and result: the response class (2xx..6xx) or the local reason (trying_timeout, timeout, transport_error, cancelled, ring_timeout, provider_limit).',
      labelNames: ['provider', 'gateway', 'result'],
      registers,
    });
    this.failovers = new Counter({
      name: 'trunkroute_failovers_total',
      help: 'Attempts after which the call moved on to the next one, by provider and reason (the status code or the local reason).',
      labelNames: ['provider', 'reason'],
      registers,
    });
    this.firstResponse = new Histogram({
      name: 'trunkroute_attempt_first_response_seconds',
      help: 'Time from sending an INVITE to a provider to its first response of any kind.',
      labelNames: ['provider'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    });
    this.pdd = new Histogram({
      name: 'trunkroute_post_dial_delay_seconds',
      help: 'Post-dial delay: time from the caller INVITE to the first ringing (18x) or answer relayed back.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20],
      registers,
    });
    this.reloads = new Counter({
      name: 'trunkroute_route_table_reloads_total',
      help: 'Route table changes by outcome: applied or refused (invalid, the old table stayed).',
      labelNames: ['outcome'],
      registers,
    });
    this.overloads = new Counter({
      name: 'trunkroute_overload_rejections_total',
      help: 'New INVITEs answered 503 before routing: source_rate (one source over proxy.source_invite_rate) or calls_in_setup (proxy.max_calls_in_setup reached).',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'trunkroute_route_table_version',
      help: 'Version of the route table in force.',
      registers,
      collect() {
        if (sources.routeVersion) this.set(sources.routeVersion());
      },
    });
    new Gauge({
      name: 'trunkroute_active_calls',
      help: 'Calls holding a slot of a provider: attempts in progress plus answered calls until their BYE.',
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const a of sources.activeCalls?.() ?? []) this.set({ provider: a.provider }, a.calls);
      },
    });
    new Gauge({
      name: 'trunkroute_gateway_breaker_state',
      help: 'Circuit breaker per gateway: 0 closed, 1 open, 2 half-open.',
      labelNames: ['provider', 'gateway'],
      registers,
      collect() {
        this.reset();
        for (const g of sources.gateways?.() ?? []) {
          this.set({ provider: g.provider, gateway: g.gateway }, BREAKER_VALUE[g.breaker] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'trunkroute_gateway_up',
      help: 'OPTIONS probe verdict per gateway: 1 up (or not probed), 0 down.',
      labelNames: ['provider', 'gateway'],
      registers,
      collect() {
        this.reset();
        for (const g of sources.gateways?.() ?? []) {
          this.set({ provider: g.provider, gateway: g.gateway }, g.probe_up ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'trunkroute_sip_transactions',
      help: 'Live SIP transactions by kind (client, server).',
      labelNames: ['kind'],
      registers,
      collect() {
        const t = sources.transactions?.();
        if (!t) return;
        this.set({ kind: 'client' }, t.clients);
        this.set({ kind: 'server' }, t.servers);
      },
    });
    new Counter({
      name: 'trunkroute_sip_transaction_cap_total',
      help: 'New requests refused at sip.max_server_transactions: answered_503 (stateless), dropped (past twice the cap).',
      labelNames: ['action'],
      registers,
      collect() {
        const t = sources.transactions?.();
        if (!t) return;
        this.reset();
        this.inc({ action: 'answered_503' }, t.answered503);
        this.inc({ action: 'dropped' }, t.dropped);
      },
    });
    new Counter({
      name: 'trunkroute_sip_messages_total',
      help: 'SIP messages received, sent, and dropped as malformed (received ones that could not be parsed).',
      labelNames: ['direction'],
      registers,
      collect() {
        const c = sources.sipCounters?.();
        if (!c) return;
        // The transport owns monotonic counts; mirror them as they are.
        this.reset();
        this.inc({ direction: 'received' }, c.received);
        this.inc({ direction: 'sent' }, c.sent);
        this.inc({ direction: 'malformed' }, c.droppedMalformed);
      },
    });
  }

  /** Counts one finished call from its record. */
  observeCall(r: CallRecord): void {
    this.calls.inc({ outcome: r.outcome });
    const last = r.attempts.length - 1;
    r.attempts.forEach((a, i) => {
      const result =
        a.status !== undefined ? `${Math.floor(a.status / 100)}xx` : (a.reason ?? 'unknown');
      this.attempts.inc({ provider: a.provider, gateway: a.gateway, result });
      if (a.first_response_ms !== undefined) {
        this.firstResponse.observe({ provider: a.provider }, a.first_response_ms / 1000);
      }
      // Every attempt but the last one of a call that went on is a failover.
      const movedOn =
        i < last && a.reason !== 'cancelled' && (a.status === undefined || a.status >= 300);
      if (movedOn) {
        this.failovers.inc({ provider: a.provider, reason: String(a.status ?? a.reason) });
      }
    });
    if (r.pdd_ms !== undefined) this.pdd.observe(r.pdd_ms / 1000);
  }

  overload(reason: string): void {
    this.overloads.inc({ reason });
  }

  reload(outcome: 'applied' | 'refused'): void {
    this.reloads.inc({ outcome });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
