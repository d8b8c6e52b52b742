import type { FailoverSpec } from './failover.js';
import type { Credentials } from './credentials.js';

/** A provider's SIP endpoint. */
export interface Gateway {
  /** As configured: `sip:198.51.100.10:5060;transport=udp`, or `sips:host[:port]`. */
  uri: string;
  /** sips: the Request-URI keeps the sips scheme (RFC 5630); absent = sip. */
  scheme?: 'sip' | 'sips';
  /** IPv6 without brackets. */
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  weight: number;
  /** Digest credentials for this gateway, over the provider's. */
  auth?: Credentials;
  /** The provider's `tls` settings, copied onto each of its TLS gateways. */
  tls?: GatewayTls;
}

/** How trunkroute verifies a provider's TLS certificate (docs/tls.md). */
export interface GatewayTls {
  /** PEM bundle that alone is trusted for this provider (a pinned CA). */
  ca_file?: string;
  /** The name the certificate must carry (and SNI); default the gateway host. */
  server_name?: string;
  /** false: no verification at all (lab use). Default true. */
  verify?: boolean;
}

export interface Provider {
  id: string;
  name: string;
  gateways: Gateway[];
  /** Leading characters removed from the dialled number (a leading + counts as one). */
  strip: number;
  /** Characters put in front of it after stripping. */
  prefix: string;
  /** No 1xx within this long → next attempt. */
  trying_timeout_ms?: number;
  failover?: FailoverSpec;
  max_calls?: number;
  max_cps?: number;
  /** OPTIONS probing, over the server's `health.probe_*` defaults. */
  probe?: ProbeOverride;
  /** Circuit breaker, over the server's `health.breaker_*` defaults. */
  breaker?: BreakerOverride;
  /** Digest credentials answering a 401/407 from this provider's gateways. */
  auth?: Credentials;
  /** Certificate checks for its TLS gateways (transport=tls or sips:). */
  tls?: GatewayTls;
  enabled: boolean;
}

export interface ProbeOverride {
  enabled?: boolean;
  interval_ms?: number;
  timeout_ms?: number;
  /** Classes ("2xx") or codes ("404") that count as alive. */
  alive_codes?: string[];
  down_after?: number;
  up_after?: number;
}

export interface BreakerOverride {
  /** Consecutive failures within window_ms that open it; 0 = never opened by failures. */
  failures?: number;
  window_ms?: number;
  cooldown_ms?: number;
}

export interface Pattern {
  id: string;
  name: string;
  prefixes: string[];
}

export interface Group {
  id: string;
  name: string;
  patterns: string[];
}

export interface Customer {
  id: string;
  name: string;
  /** IPv4/IPv6 addresses or CIDRs of the customer's PBXs and SBCs. */
  sources: string[];
  mode?: 'proxy' | 'redirect';
  /** Destinations this customer may never call (premium rate...): 403 before any attempt. */
  deny_prefixes: string[];
  max_calls?: number;
  max_cps?: number;
}

export type Day = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface Schedule {
  days?: Day[];
  /** "HH:MM", inclusive. */
  from?: string;
  /** "HH:MM", exclusive; earlier than `from` means the window wraps midnight. */
  to?: string;
  /** IANA time zone; UTC by default. */
  time_zone: string;
}

export type Destination = { prefix: string } | { pattern: string } | { group: string } | null;

export interface Route {
  id: string;
  name: string;
  detail: string;
  /** Absent: a default route, for every customer. */
  customer_id?: string;
  /** null: every number. */
  destination: Destination;
  /** Lower is tried first. */
  priority: number;
  /** Share of first attempts among routes of equal priority. */
  metric: number;
  provider_id: string;
  schedule?: Schedule;
  cost?: number;
  /** false: less specific routes and default routes are not appended after this one's tier. */
  fallthrough: boolean;
  failover?: FailoverSpec;
  /** parallel: every route of the tier marked parallel is INVITEd at once. */
  fork: 'serial' | 'parallel';
  enabled: boolean;
}

export interface Settings {
  max_attempts: number;
  strategy: 'metric' | 'cost';
  no_route_status: number;
  no_route_reason: string;
  allow_unknown_sources: boolean;
  /** Sources allowed to name the customer in `customer_header`. */
  trusted_sources: string[];
  customer_header: string;
  default_trying_timeout_ms: number;
  failover?: FailoverSpec;
}

/** A validated, normalised route table: every reference resolves. */
export interface RouteTable {
  settings: Settings;
  providers: Provider[];
  patterns: Pattern[];
  groups: Group[];
  customers: Customer[];
  routes: Route[];
}

export const DEFAULT_SETTINGS: Settings = {
  max_attempts: 10,
  strategy: 'metric',
  no_route_status: 404,
  no_route_reason: 'No Route To Destination',
  allow_unknown_sources: false,
  trusted_sources: [],
  customer_header: 'X-Trunkroute-Customer',
  default_trying_timeout_ms: 5000,
};
