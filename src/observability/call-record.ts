/**
 * One record per call, written as one log line (and later to a Redis stream for
 * CDR consumers). Field names are part of the product: docs/observability.md.
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

export interface CallRecord {
  call_id: string;
  source: string;
  customer?: string;
  destination: string;
  started_at: string;
  outcome: CallOutcome;
  /** The final status the caller got. */
  status: number;
  attempts: AttemptRecord[];
  /** Milliseconds from the caller's INVITE to its final response. */
  duration_ms: number;
  /** Post-dial delay: milliseconds to the first 18x or 2xx relayed to the caller. */
  pdd_ms?: number;
  /** This instance (`host:pid`), for records gathered from many. */
  instance?: string;
}
