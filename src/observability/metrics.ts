import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptRecord, CallRecord } from './call-record.js';

/** What the metrics read at scrape time from the parts that own the numbers. */
export interface MetricSources {
  sipCounters?: () => {
    received: number;
    sent: number;
    droppedMalformed: number;
    relayedToWorker: number;
    absorbedShedAcks: number;
  };
  activeCalls?: () => Array<{ provider: string; calls: number }>;
  gateways?: () => Array<{ gateway: string; provider: string; breaker: string; probe_up: boolean }>;
  routeVersion?: () => number;
  transactions?: () => { clients: number; servers: number; answered503: number; dropped: number };
  /** Event-loop utilization (0..1) and timeouts not held against gateways because of it. */
  selfLoad?: () => { utilization: number; timeoutsWhileBusy: number };
  /** The share of new INVITEs the load shedder admits now (1: none shed). */
  admittedShare?: () => number;
}

type GatewaySample =
  NonNullable<MetricSources['gateways']> extends () => Array<infer G> ? G : never;
type Sample = [Record<string, string>, number];

/** A metric whose samples are read from their owner when Prometheus scrapes. */
function scraped(
  registers: Registry[],
  kind: 'gauge' | 'counter',
  name: string,
  help: string,
  labelNames: string[],
  samples: () => Sample[] | undefined,
): void {
  const fill = (m: Gauge | Counter): void => {
    const s = samples();
    if (!s) return;
    m.reset();
    for (const [labels, v] of s) {
      if (m instanceof Gauge) m.set(labels, v);
      else m.inc(labels, v);
    }
  };
  if (kind === 'gauge') {
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        fill(this);
      },
    });
  } else {
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        fill(this);
      },
    });
  }
}

/** Samples of one label, one per entry of `pick`, read from what `read` returns. */
function split<T>(
  read: (() => T) | undefined,
  label: string,
  pick: Record<string, (t: T) => number>,
): () => Sample[] | undefined {
  return () => {
    if (!read) return undefined;
    const t = read();
    return Object.entries(pick).map(([value, f]) => [{ [label]: value }, f(t)]);
  };
}

const BREAKER_VALUE: Record<string, number> = { closed: 0, open: 1, 'half-open': 2 };

/** Per provider, since the process started: what ASR and ACD are computed from. */
interface ProviderTotals {
  seizures: number;
  answers: number;
  billableMs: number;
}

/**
 * Every Prometheus metric trunkroute serves on /metrics (docs/observability.md).
 * Setup numbers (calls, attempts, failovers, delays) are counted when a call's
 * setup ends, so an operator sees failovers as they happen, not at the hang-up
 * of the call they led to. The provider ASR/ACD family is counted from the
 * written call record, so it agrees exactly with the records billing reads.
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
  private readonly unansweredRepeats: Counter;
  private readonly seizures: Counter<'provider'>;
  private readonly answers: Counter<'provider'>;
  private readonly billable: Counter<'provider'>;
  private readonly totals = new Map<string, ProviderTotals>();

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
      help: 'New INVITEs answered 503 before routing: source_rate (one source over proxy.source_invite_rate), calls_in_setup (proxy.max_calls_in_setup reached) or load (shed to hold trunkroute at proxy.shed_utilization).',
      labelNames: ['reason'],
      registers,
    });
    this.unansweredRepeats = new Counter({
      name: 'trunkroute_overload_retransmissions_unanswered_total',
      help: 'Retransmissions of INVITEs answered 503 before routing that left the caller before that 503 left trunkroute (they waited in its socket queue meanwhile), so not answered again (docs/proxy.md, The queue decides).',
      registers,
    });
    this.seizures = new Counter({
      name: 'trunkroute_provider_seizures_total',
      help: 'Attempts sent to a provider (one skipped at its max_calls/max_cps is not a seizure), counted when the call record is written.',
      labelNames: ['provider'],
      registers,
    });
    this.answers = new Counter({
      name: 'trunkroute_provider_answers_total',
      help: 'Calls a provider answered (its 2xx connected the call), counted when the call record is written, at the end of the call.',
      labelNames: ['provider'],
      registers,
    });
    this.billable = new Counter({
      name: 'trunkroute_provider_billable_seconds_total',
      help: 'Billable seconds (answer to hang-up) of the calls a provider answered, counted at the end of each call.',
      labelNames: ['provider'],
      registers,
    });
    const totals = (value: (t: ProviderTotals) => number | undefined) => (): Sample[] => {
      const out: Sample[] = [];
      for (const [provider, t] of this.totals) {
        const v = value(t);
        if (v !== undefined) out.push([{ provider }, v]);
      }
      return out;
    };
    scraped(
      registers,
      'gauge',
      'trunkroute_provider_asr',
      'Answer-seizure ratio per provider since the process started: answers / seizures (for a window, divide the rate() of the two counters).',
      ['provider'],
      totals((t) => (t.seizures > 0 ? t.answers / t.seizures : undefined)),
    );
    scraped(
      registers,
      'gauge',
      'trunkroute_provider_acd_seconds',
      'Average call duration per provider since the process started: billable seconds / answers (for a window, divide the rate() of the two counters).',
      ['provider'],
      totals((t) => (t.answers > 0 ? t.billableMs / 1000 / t.answers : undefined)),
    );
    const gateways = (value: (g: GatewaySample) => number) => (): Sample[] =>
      (sources.gateways?.() ?? []).map((g) => [
        { provider: g.provider, gateway: g.gateway },
        value(g),
      ]);
    scraped(
      registers,
      'gauge',
      'trunkroute_route_table_version',
      'Version of the route table in force.',
      [],
      () => (sources.routeVersion ? [[{}, sources.routeVersion()]] : undefined),
    );
    scraped(
      registers,
      'gauge',
      'trunkroute_active_calls',
      'Calls holding a slot of a provider: attempts in progress plus answered calls until their BYE.',
      ['provider'],
      () => sources.activeCalls?.().map((a) => [{ provider: a.provider }, a.calls]),
    );
    scraped(
      registers,
      'gauge',
      'trunkroute_gateway_breaker_state',
      'Circuit breaker per gateway: 0 closed, 1 open, 2 half-open.',
      ['provider', 'gateway'],
      gateways((g) => BREAKER_VALUE[g.breaker] ?? 0),
    );
    scraped(
      registers,
      'gauge',
      'trunkroute_gateway_up',
      'OPTIONS probe verdict per gateway: 1 up (or not probed), 0 down.',
      ['provider', 'gateway'],
      gateways((g) => (g.probe_up ? 1 : 0)),
    );
    scraped(
      registers,
      'gauge',
      'trunkroute_event_loop_utilization',
      'Share of the last sample (health.self_busy_utilization) the event loop was busy: near 1, trunkroute itself is the bottleneck.',
      [],
      () => (sources.selfLoad ? [[{}, sources.selfLoad().utilization]] : undefined),
    );
    scraped(
      registers,
      'gauge',
      'trunkroute_admitted_share',
      'Share of new INVITEs admitted by the load shedder (proxy.shed_utilization); the rest get 503 with reason "load". 1 = none shed.',
      [],
      () => (sources.admittedShare ? [[{}, sources.admittedShare()]] : undefined),
    );
    scraped(
      registers,
      'counter',
      'trunkroute_timeouts_while_busy_total',
      'Attempt timeouts not counted against their gateway because trunkroute was saturated at the time.',
      [],
      () => (sources.selfLoad ? [[{}, sources.selfLoad().timeoutsWhileBusy]] : undefined),
    );
    scraped(
      registers,
      'gauge',
      'trunkroute_sip_transactions',
      'Live SIP transactions by kind (client, server).',
      ['kind'],
      split(sources.transactions, 'kind', { client: (t) => t.clients, server: (t) => t.servers }),
    );
    // The SIP layers own monotonic counts; the counters mirror them as they are.
    scraped(
      registers,
      'counter',
      'trunkroute_sip_transaction_cap_total',
      'New requests refused at sip.max_server_transactions: answered_503 (stateless), dropped (past twice the cap).',
      ['action'],
      split(sources.transactions, 'action', {
        answered_503: (t) => t.answered503,
        dropped: (t) => t.dropped,
      }),
    );
    scraped(
      registers,
      'counter',
      'trunkroute_sip_messages_total',
      'SIP messages received, sent, dropped as malformed (received ones that could not be parsed), relayed to the worker that owns their call (workers.count > 1), and absorbed unparsed (the ACKs of the 503s sent to shed INVITEs).',
      ['direction'],
      split(sources.sipCounters, 'direction', {
        received: (c) => c.received,
        sent: (c) => c.sent,
        malformed: (c) => c.droppedMalformed,
        relayed: (c) => c.relayedToWorker,
        absorbed: (c) => c.absorbedShedAcks,
      }),
    );
  }

  /** Counts one call whose setup ended (answered, failed or refused). */
  observeSetup(r: CallRecord): void {
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

  /**
   * Counts one written call record into the provider family: every attempt
   * that was sent is a seizure of its provider; the attempt whose 2xx connected
   * the call is its provider's answer, billed from answer to hang-up.
   */
  observeRecord(r: CallRecord): void {
    let answered: AttemptRecord | undefined;
    for (const a of r.attempts) {
      if (r.outcome === 'connected' && is2xx(a)) answered = a;
      if (a.reason === 'provider_limit') continue;
      this.providerTotals(a.provider).seizures++;
      this.seizures.inc({ provider: a.provider });
    }
    if (!answered) return;
    const t = this.providerTotals(answered.provider);
    t.answers++;
    t.billableMs += r.billable_ms;
    this.answers.inc({ provider: answered.provider });
    this.billable.inc({ provider: answered.provider }, r.billable_ms / 1000);
  }

  private providerTotals(provider: string): ProviderTotals {
    let t = this.totals.get(provider);
    if (!t) {
      t = { seizures: 0, answers: 0, billableMs: 0 };
      this.totals.set(provider, t);
      // A provider that never answers shows answers 0, not no series, so rate() ratios work.
      this.answers.inc({ provider }, 0);
      this.billable.inc({ provider }, 0);
    }
    return t;
  }

  overload(reason: string): void {
    this.overloads.inc({ reason });
  }

  overloadRepeatUnanswered(): void {
    this.unansweredRepeats.inc();
  }

  reload(outcome: 'applied' | 'refused'): void {
    this.reloads.inc({ outcome });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

function is2xx(a: AttemptRecord): boolean {
  return a.status !== undefined && a.status >= 200 && a.status < 300;
}
