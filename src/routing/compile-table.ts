import { parseCidr, type Cidr } from './cidr.js';
import {
  DEFAULT_POLICY,
  failoverPolicy,
  type FailoverPolicy,
  type FailoverTrigger,
} from './failover.js';
import type { Customer, Gateway, Provider, Route, RouteTable } from './model.js';
import { PrefixIndexBuilder, type PrefixIndex } from './prefix-index.js';
import type { Credentials } from './credentials.js';

/** One gateway of a provider with the strings every attempt through it uses. */
export interface GatewayTemplate {
  gateway: Gateway;
  /** "udp:198.51.100.10:5060": the key breakers and records use. */
  key: string;
  /** "@198.51.100.10:5060" (+ ";transport=tcp"): the Request-URI after the number. */
  hostPart: string;
  /** "sip:" or "sips:": the Request-URI before the number. */
  scheme: string;
  /** The same small integer for the same key in the whole table: duplicate checks without strings. */
  id: number;
  /** The gateway's credentials, else its provider's: what answers a 401/407 from it. */
  auth?: Credentials;
}

/**
 * What every attempt of the routes sharing a provider and a failover policy has in
 * common, built once per table: a plan only orders these and adds the number.
 */
export interface AttemptTemplate {
  provider: Provider;
  gateways: GatewayTemplate[];
  /** Gateway weights, by position in `gateways`. */
  gatewayWeights: Float64Array;
  /** The trigger set: route override, else provider, else table default. */
  failover: FailoverPolicy;
  tryingTimeoutMs: number;
}

/** A source range (customer source or trusted source) as the per-call scan reads it. */
export interface SourceRange {
  /** As written, for the explain trace. */
  text: string;
  cidr: Cidr;
  /** The cidr's, copied here so the per-call scan reads one object per range. */
  family: 4 | 6;
  length: number;
  /** IPv4 only: network and mask as unsigned 32-bit numbers (no bigint per call). */
  v4Net: number;
  v4Mask: number;
}

/** One range of a customer's sources. */
export interface CustomerRange extends SourceRange {
  customer: Customer;
}

/**
 * routeInfo holds ROUTE_STRIDE int32s per route, side by side so that a route a
 * lookup finds costs one cache line, not one per column (and no object load).
 */
export const ROUTE_STRIDE = 4;
export const TEMPLATE = 0;
export const PRIORITY = 1;
export const FLAGS = 2;
/** The metric when it fits an int32 (else BIG_METRIC is set and the route has it). */
export const METRIC = 3;

/** FLAGS bits. */
export const USABLE = 1; // route and provider enabled
export const SCHEDULED = 2;
export const NO_FALLTHROUGH = 4;
/** Listed under more than one prefix (pattern, group): a lookup must drop repeats. */
export const MULTI_PREFIX = 8;
export const BIG_METRIC = 16;
export const PARALLEL = 32;

/**
 * A validated table made for lookups. Per route there are only typed-array columns
 * (indexed like `table.routes`); everything else is per provider or per scope.
 */
export interface CompiledTable {
  version: number;
  table: RouteTable;
  /** Per route (index in `table.routes` × ROUTE_STRIDE): TEMPLATE, PRIORITY, FLAGS, METRIC. */
  routeInfo: Int32Array;
  /**
   * Per route: its id (the strings are the validated table's). What an attempt needs
   * from the route besides routeInfo; reading it here instead of from the Route object
   * saves a cache miss per attempt.
   */
  routeIds: string[];
  templates: AttemptTemplate[];
  /** '' is the default scope; otherwise a customer id. */
  scopes: Map<string, PrefixIndex>;
  /** Every customer's ranges, customers and ranges in table order. */
  sources: CustomerRange[];
  customerById: Map<string, Customer>;
  trusted: SourceRange[];
}

/** Builds the lookup structures for a validated table. Immutable afterwards. */
export function compileTable(table: RouteTable, version = 0): CompiledTable {
  const providerIndex = new Map(table.providers.map((p, i) => [p.id, i]));
  const patterns = new Map(table.patterns.map((p) => [p.id, p]));
  const defaultPolicy = table.settings.failover
    ? failoverPolicy(table.settings.failover.on)
    : DEFAULT_POLICY;

  // Gateway ids: one per distinct key across providers.
  const gatewayIds = new Map<string, number>();
  const providerGateways = table.providers.map((p) =>
    p.gateways.map((gateway): GatewayTemplate => {
      const key = `${gateway.transport}:${gateway.host}:${gateway.port}`;
      let id = gatewayIds.get(key);
      if (id === undefined) {
        id = gatewayIds.size;
        gatewayIds.set(key, id);
      }
      const host = gateway.host.includes(':') ? `[${gateway.host}]` : gateway.host;
      // sips: carries TLS in its scheme (RFC 5630); sip: names tcp and tls in a parameter.
      const param =
        gateway.scheme !== 'sips' && gateway.transport !== 'udp'
          ? `;transport=${gateway.transport}`
          : '';
      const hostPart = `@${host}:${gateway.port}${param}`;
      return {
        gateway,
        key,
        hostPart,
        scheme: `${gateway.scheme ?? 'sip'}:`,
        id,
        auth: gateway.auth ?? p.auth,
      };
    }),
  );

  // One template per provider, plus one per (provider, route-level trigger list) in use.
  const templates: AttemptTemplate[] = [];
  const templateIds = new Map<string, number>();
  const templateOf = (p: number, routeTriggers: readonly FailoverTrigger[] | undefined): number => {
    const name = routeTriggers ? `${p}|${JSON.stringify(routeTriggers)}` : `${p}`;
    let id = templateIds.get(name);
    if (id === undefined) {
      const provider = table.providers[p]!;
      const failover = routeTriggers
        ? failoverPolicy(routeTriggers)
        : provider.failover
          ? failoverPolicy(provider.failover.on)
          : defaultPolicy;
      id = templates.length;
      templates.push({
        provider,
        gateways: providerGateways[p]!,
        gatewayWeights: Float64Array.from(provider.gateways, (g) => g.weight),
        failover,
        tryingTimeoutMs: provider.trying_timeout_ms ?? table.settings.default_trying_timeout_ms,
      });
      templateIds.set(name, id);
    }
    return id;
  };
  // Created first, so provider p's own template is template p.
  table.providers.forEach((_, p) => templateOf(p, undefined));

  // Distinct prefixes of each pattern and group, computed once, not per route.
  const patternPrefixes = new Map(table.patterns.map((p) => [p.id, [...new Set(p.prefixes)]]));
  const groupPrefixes = new Map(
    table.groups.map((g) => [
      g.id,
      [...new Set(g.patterns.flatMap((id) => patterns.get(id)?.prefixes ?? []))],
    ]),
  );
  const prefixesOf = (route: Route): readonly string[] | null => {
    const d = route.destination;
    if (d === null) return null;
    if ('prefix' in d) return null; // handled by the caller without an array
    if ('pattern' in d) return patternPrefixes.get(d.pattern) ?? [];
    return groupPrefixes.get(d.group) ?? [];
  };

  // First pass: how many (prefix, route) pairs each scope gets, to size its table once.
  const counts = new Map<string, number>([['', 0]]);
  for (const route of table.routes) {
    const d = route.destination;
    const n = d === null ? 0 : 'prefix' in d ? 1 : prefixesOf(route)!.length;
    const scope = route.customer_id ?? '';
    counts.set(scope, (counts.get(scope) ?? 0) + n);
  }
  const builders = new Map<string, PrefixIndexBuilder>();
  for (const [scope, n] of counts) builders.set(scope, new PrefixIndexBuilder(n));

  const count = table.routes.length;
  const routeInfo = new Int32Array(count * ROUTE_STRIDE);
  for (let i = 0; i < count; i++) {
    const route = table.routes[i]!;
    const p = providerIndex.get(route.provider_id)!;
    const provider = table.providers[p]!;
    const at = i * ROUTE_STRIDE;
    routeInfo[at + TEMPLATE] = route.failover ? templateOf(p, route.failover.on) : p;
    routeInfo[at + PRIORITY] = route.priority;
    const builder = builders.get(route.customer_id ?? '')!;
    const d = route.destination;
    let flags =
      (route.enabled && provider.enabled ? USABLE : 0) |
      (route.schedule ? SCHEDULED : 0) |
      (route.fallthrough ? 0 : NO_FALLTHROUGH) |
      (route.metric > 0x7fffffff ? BIG_METRIC : 0) |
      (route.fork === 'parallel' ? PARALLEL : 0);
    routeInfo[at + METRIC] = route.metric > 0x7fffffff ? 0 : route.metric;
    if (d === null) builder.addCatchAll(i);
    else if ('prefix' in d) builder.add(d.prefix, i);
    else {
      const prefixes = prefixesOf(route)!;
      for (const prefix of prefixes) builder.add(prefix, i);
      if (prefixes.length > 1) flags |= MULTI_PREFIX;
    }
    routeInfo[at + FLAGS] = flags;
  }
  const scopes = new Map<string, PrefixIndex>();
  for (const [scope, builder] of builders) scopes.set(scope, builder.build());

  return {
    version,
    table,
    routeInfo,
    routeIds: table.routes.map((r) => r.id),
    templates,
    scopes,
    sources: table.customers.flatMap((customer) =>
      customer.sources.map((text) => ({ ...sourceRange(text), customer })),
    ),
    customerById: new Map(table.customers.map((c) => [c.id, c])),
    trusted: table.settings.trusted_sources.map((text) => sourceRange(text)),
  };
}

function sourceRange(text: string): SourceRange {
  const cidr = parseCidr(text)!;
  const v4 = cidr.family === 4;
  return {
    text,
    cidr,
    family: cidr.family,
    length: cidr.length,
    v4Net: v4 ? Number(cidr.bits) : 0,
    v4Mask: v4 && cidr.length > 0 ? (0xffffffff << (32 - cidr.length)) >>> 0 : 0,
  };
}
