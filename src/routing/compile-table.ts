import { parseCidr, type Cidr } from './cidr.js';
import { DEFAULT_POLICY, failoverPolicy, type FailoverPolicy } from './failover.js';
import type { Customer, Provider, Route, RouteTable } from './model.js';

/** A route as the planner needs it: references resolved, policy compiled. */
export interface CompiledRoute {
  route: Route;
  provider: Provider;
  /** The route's trigger set: route override, else provider, else table default. */
  failover: FailoverPolicy;
  tryingTimeoutMs: number;
}

/** One match of a route for a number: the route and how many characters matched. */
export interface RouteMatch {
  index: number;
  prefixLength: number;
}

interface Scope {
  /**
   * Prefix → indices of routes with that prefix, one map per scope. A number is
   * looked up once per prefix length (O(length of the number)), so the cost does
   * not grow with the number of routes or prefixes.
   */
  byPrefix: Map<string, number[]>;
  maxPrefixLength: number;
  /** Routes with no destination (every number). */
  catchAll: number[];
}

export interface CompiledTable {
  version: number;
  table: RouteTable;
  routes: CompiledRoute[];
  /** '' is the default scope; otherwise a customer id. */
  scopes: Map<string, Scope>;
  customers: Array<{ customer: Customer; cidrs: Cidr[] }>;
  customerById: Map<string, Customer>;
  trusted: Cidr[];
}

/** Builds the lookup structures for a validated table. Immutable afterwards. */
export function compileTable(table: RouteTable, version = 0): CompiledTable {
  const providers = new Map(table.providers.map((p) => [p.id, p]));
  const patterns = new Map(table.patterns.map((p) => [p.id, p]));
  const groups = new Map(table.groups.map((g) => [g.id, g]));
  const defaultPolicy = table.settings.failover
    ? failoverPolicy(table.settings.failover.on)
    : DEFAULT_POLICY;
  const providerPolicies = new Map<string, FailoverPolicy>();
  for (const p of table.providers)
    if (p.failover) providerPolicies.set(p.id, failoverPolicy(p.failover.on));

  const scopes = new Map<string, Scope>();
  const scopeOf = (id: string): Scope => {
    let s = scopes.get(id);
    if (!s) {
      s = { byPrefix: new Map(), maxPrefixLength: 0, catchAll: [] };
      scopes.set(id, s);
    }
    return s;
  };
  scopeOf('');

  const routes: CompiledRoute[] = table.routes.map((route, index) => {
    const provider = providers.get(route.provider_id)!;
    const scope = scopeOf(route.customer_id ?? '');
    const prefixes = routePrefixes(route, patterns, groups);
    if (prefixes === null) scope.catchAll.push(index);
    else {
      for (const p of new Set(prefixes)) {
        let list = scope.byPrefix.get(p);
        if (!list) {
          list = [];
          scope.byPrefix.set(p, list);
        }
        list.push(index);
        if (p.length > scope.maxPrefixLength) scope.maxPrefixLength = p.length;
      }
    }
    return {
      route,
      provider,
      failover: route.failover
        ? failoverPolicy(route.failover.on)
        : (providerPolicies.get(provider.id) ?? defaultPolicy),
      tryingTimeoutMs: provider.trying_timeout_ms ?? table.settings.default_trying_timeout_ms,
    };
  });

  return {
    version,
    table,
    routes,
    scopes,
    customers: table.customers.map((customer) => ({
      customer,
      cidrs: customer.sources.map((s) => parseCidr(s)!),
    })),
    customerById: new Map(table.customers.map((c) => [c.id, c])),
    trusted: table.settings.trusted_sources.map((s) => parseCidr(s)!),
  };
}

function routePrefixes(
  route: Route,
  patterns: Map<string, { prefixes: string[] }>,
  groups: Map<string, { patterns: string[] }>,
): string[] | null {
  const d = route.destination;
  if (d === null) return null;
  if ('prefix' in d) return [d.prefix];
  if ('pattern' in d) return patterns.get(d.pattern)?.prefixes ?? [];
  return (groups.get(d.group)?.patterns ?? []).flatMap((p) => patterns.get(p)?.prefixes ?? []);
}

/** Every route of a scope matching the number, each with its longest matching prefix. */
export function lookup(scope: Scope | undefined, number: string): RouteMatch[] {
  if (!scope) return [];
  const out: RouteMatch[] = [];
  const max = Math.min(number.length, scope.maxPrefixLength);
  // Longest first, so the first time a route is seen is its longest match.
  for (let len = max; len >= 1; len--) {
    const hits = scope.byPrefix.get(number.slice(0, len));
    if (!hits) continue;
    for (const index of hits)
      if (!out.some((m) => m.index === index)) out.push({ index, prefixLength: len });
  }
  for (const index of scope.catchAll)
    if (!out.some((m) => m.index === index)) out.push({ index, prefixLength: 0 });
  return out;
}
