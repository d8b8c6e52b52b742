/**
 * One record per call, written once as one log line and one Redis stream entry
 * for CDR consumers: at the end of setup for a call never answered, at the
 * hang-up for an answered one. Field names are part of the product:
 * docs/observability.md.
 */
export interface AttemptRecord {
  /** 1-based position in the plan. */
  index: number;
  route: string;
  provider: string;
  /** "udp:198.51.100.10:5060" */
  gateway: string;
  request_uri: string;
  /** Final status from the provider, when one came. */
  status?: number;
  /** Why the attempt ended without a final status from the provider. */
  reason?:
    | 'trying_timeout'
    | 'timeout'
    | 'transport_error'
    | 'cancelled'
    | 'ring_timeout'
    /** Skipped: the provider was at its max_calls or max_cps (nothing was sent). */
    | 'provider_limit'
    /** The provider challenged (or refused with 403) the INVITE that carried our credentials. */
    | 'auth_rejected';
  /** The provider challenged the first INVITE and the attempt answered with credentials (CSeq + 1). */
  challenged?: 401 | 407;
  /** Milliseconds from sending the INVITE to the first response of any kind. */
  first_response_ms?: number;
  /** Milliseconds from sending the INVITE to the end of the attempt. */
  duration_ms: number;
}

export type CallOutcome =
  'connected' | 'failed' | 'cancelled' | 'no_route' | 'forbidden' | 'rejected' | 'redirected';

/**
 * Which side ended an answered call: `caller` / `callee` (the provider) sent the
 * BYE; `timeout`: no BYE within health.max_call_ms of the answer; `shutdown`:
 * still up when this instance stopped.
 */
export type Hangup = 'caller' | 'callee' | 'timeout' | 'shutdown';

export interface CallRecord {
  call_id: string;
  source: string;
  customer?: string;
  destination: string;
  started_at: string;
  outcome: CallOutcome;
  /** The final status the caller got (the 2xx relayed, for an answered call). */
  status: number;
  attempts: AttemptRecord[];
  /**
   * Milliseconds from the caller's INVITE to its final response. Named
   * `duration_ms` before answered calls got a duration of their own: renamed
   * so no consumer reads setup time as call time.
   */
  setup_ms: number;
  /** ISO time the 2xx was relayed to the caller; absent for a call never answered. */
  answered_at?: string;
  /** ISO time of the BYE (or lease expiry, shutdown); the end of setup for a call never answered. */
  ended_at: string;
  /** Milliseconds from the answer to the end; 0 for a call never answered. */
  billable_ms: number;
  /** Who ended an answered call; absent for a call never answered. */
  hangup?: Hangup;
  /** Post-dial delay: milliseconds to the first 18x or 2xx relayed to the caller. */
  pdd_ms?: number;
  /** This instance (`host:pid`), for records gathered from many. */
  instance?: string;
}

/**
 * Every call record is made here, each field in the order above and the absent
 * ones undefined (which JSON, the log line and the stream leave out): all
 * records then share one hidden class. Built field by field, with spreads and
 * late additions, they had a dozen, and every function that reads them (the
 * log line, metrics, the stream, the dialog's end) ran megamorphic property
 * loads that missed V8's caches once a call or more (issue 14).
 */
export function newCallRecord(f: CallRecord): CallRecord {
  return {
    call_id: f.call_id,
    source: f.source,
    customer: f.customer,
    destination: f.destination,
    started_at: f.started_at,
    outcome: f.outcome,
    status: f.status,
    attempts: f.attempts,
    setup_ms: f.setup_ms,
    pdd_ms: f.pdd_ms,
    answered_at: f.answered_at,
    ended_at: f.ended_at,
    billable_ms: f.billable_ms,
    hangup: f.hangup,
    instance: f.instance,
  };
}

/** An attempt's record as it starts: one hidden class for all of them too (newCallRecord). */
export function newAttemptRecord(
  f: Pick<AttemptRecord, 'index' | 'route' | 'provider' | 'gateway' | 'request_uri'>,
): AttemptRecord {
  return {
    index: f.index,
    route: f.route,
    provider: f.provider,
    gateway: f.gateway,
    request_uri: f.request_uri,
    status: undefined,
    reason: undefined,
    challenged: undefined,
    first_response_ms: undefined,
    duration_ms: 0,
  };
}
