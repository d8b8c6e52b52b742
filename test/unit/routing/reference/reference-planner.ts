// The planner as it was before the compact table (commit 9268375), kept only as the
// oracle the optimised planner is compared with, plan for plan and trace line for trace
// line (routing-equivalence.test.ts). Not used by the server.
import { cidrContains, parseAddress, parseCidr, type Cidr } from '../../../../src/routing/cidr.js';
import {
  DEFAULT_POLICY,
  failoverPolicy,
  type FailoverPolicy,
} from '../../../../src/routing/failover.js';
import type {
  Customer,
  Gateway,
  Provider,
  Route,
  RouteTable,
} from '../../../../src/routing/model.js';
import type { Attempt, CallFacts, Plan, TraceLine } from '../../../../src/routing/plan-call.js';
import { scheduleOpen } from '../../../../src/routing/schedule.js';
import { normaliseNumber } from '../../../../src/routing/validate-table.js';

/** A route as the planner needs it: references resolved, policy compiled. */
interface CompiledRoute {
  route: Route;
  provider: Provider;
  /** The route's trigger set: route override, else provider, else table default. */
  failover: FailoverPolicy;
  tryingTimeoutMs: number;
}

/** One match of a route for a number: the route and how many characters matched. */
interface RouteMatch {
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

export interface ReferenceTable {
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
export function referenceCompile(table: RouteTable, version = 0): ReferenceTable {
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
function lookup(scope: Scope | undefined, number: string): RouteMatch[] {
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

interface Candidate extends RouteMatch {
  c: CompiledRoute;
  scope: 'customer' | 'default';
}

// Gateways are immutable once validated: their key and Request-URI host part are
// computed once, not per call.
const gatewayStrings = new WeakMap<Gateway, { key: string; hostPart: string }>();

function strings(g: Gateway): { key: string; hostPart: string } {
  let v = gatewayStrings.get(g);
  if (!v) {
    const host = g.host.includes(':') ? `[${g.host}]` : g.host;
    v = {
      key: `${g.transport}:${g.host}:${g.port}`,
      hostPart: `@${host}:${g.port}${g.transport === 'tcp' ? ';transport=tcp' : ''}`,
    };
    gatewayStrings.set(g, v);
  }
  return v;
}

function gatewayKey(g: Gateway): string {
  return strings(g).key;
}

/**
 * The ordered attempts for one call (DESIGN §3) and the reason for every
 * decision. Pure: the clock and the random source come in as arguments.
 */
export function referencePlan(
  compiled: ReferenceTable,
  call: CallFacts,
  random: () => number,
  nowMs: number,
): Plan {
  const { settings } = compiled.table;
  const trace: TraceLine[] = [];
  // Optional chaining skips building the message too when nobody will read it.
  const tr = call.trace === false ? undefined : trace;
  const number = normaliseNumber(call.destination);
  tr?.push({ step: 'number', message: `dialled number "${call.destination}" → "${number}"` });
  const base = { number, attempts: [] as Attempt[], trace };

  // 1. Customer: by header from a trusted source, else by source address.
  let customer: Customer | undefined;
  const source = parseAddress(call.sourceAddress);
  const trusted = compiled.trusted.some((c) => cidrContains(c, source));
  if (call.customerHeader && trusted) {
    customer = compiled.customerById.get(call.customerHeader.trim());
    tr?.push({
      step: 'customer',
      message: customer
        ? `customer "${customer.id}" named by header from trusted source ${call.sourceAddress}`
        : `header names unknown customer "${call.customerHeader}"`,
    });
  }
  if (!customer) {
    let bestLen = -1;
    for (const { customer: cu, cidrs } of compiled.customers) {
      cidrs.forEach((cidr, i) => {
        if (cidr.length > bestLen && cidrContains(cidr, source)) {
          bestLen = cidr.length;
          customer = cu;
          tr?.push({
            step: 'customer',
            message: `source ${call.sourceAddress} is in ${cu.sources[i]} of customer "${cu.id}"`,
          });
        }
      });
    }
  }
  if (!customer && !settings.allow_unknown_sources) {
    tr?.push({
      step: 'result',
      message: `source ${call.sourceAddress} belongs to no customer: 403`,
    });
    return { ...base, outcome: 'forbidden', status: 403, reason: 'Forbidden: unknown source' };
  }
  if (!customer)
    tr?.push({ step: 'customer', message: 'unknown source allowed: default routes only' });
  const mode = customer?.mode;
  const denied = customer?.deny_prefixes.find((p) => number.startsWith(p));
  if (customer && denied !== undefined) {
    tr?.push({
      step: 'result',
      message: `customer "${customer.id}" may not call ${denied}…: 403`,
    });
    return {
      ...base,
      mode,
      customer,
      outcome: 'forbidden',
      status: 403,
      reason: 'Forbidden: destination not allowed',
    };
  }

  // 2. Candidates in the customer's scope and the default scope.
  const candidates: Candidate[] = [];
  const consider = (scopeId: string, scope: 'customer' | 'default'): void => {
    for (const m of lookup(compiled.scopes.get(scopeId), number)) {
      const c = compiled.routes[m.index]!;
      const r = c.route;
      const why = !r.enabled
        ? 'route disabled'
        : !c.provider.enabled
          ? `provider "${c.provider.id}" disabled`
          : r.schedule && !scheduleOpen(r.schedule, nowMs)
            ? `schedule closed (${r.schedule.days?.join(',') ?? 'every day'} ${r.schedule.from ?? '00:00'}-${r.schedule.to ?? '24:00'} ${r.schedule.time_zone})`
            : undefined;
      if (why) {
        tr?.push({ step: 'drop', routeId: r.id, message: `${r.id}: ${why}` });
        continue;
      }
      tr?.push({
        step: 'candidate',
        routeId: r.id,
        message: `${r.id} (${scope}, provider ${c.provider.id}, prefix length ${m.prefixLength}, priority ${r.priority}, metric ${r.metric}) matches`,
      });
      candidates.push({ index: m.index, prefixLength: m.prefixLength, c, scope });
    }
  };
  if (customer) consider(customer.id, 'customer');
  consider('', 'default');

  // 3a. A customer route overrides the default route of the same provider.
  const customerProviders = new Set(
    candidates.filter((x) => x.scope === 'customer').map((x) => x.c.provider.id),
  );
  const kept = candidates.filter((x) => {
    if (x.scope === 'default' && customerProviders.has(x.c.provider.id)) {
      tr?.push({
        step: 'drop',
        routeId: x.c.route.id,
        message: `${x.c.route.id}: overridden by a customer route to provider ${x.c.provider.id}`,
      });
      return false;
    }
    return true;
  });

  // 3b. Tiers: scope, then longest prefix, then priority.
  kept.sort(
    (a, b) =>
      (a.scope === b.scope ? 0 : a.scope === 'customer' ? -1 : 1) ||
      b.prefixLength - a.prefixLength ||
      a.c.route.priority - b.c.route.priority,
  );
  const tiers: Candidate[][] = [];
  for (const x of kept) {
    const last = tiers[tiers.length - 1];
    const head = last?.[0];
    if (
      head &&
      head.scope === x.scope &&
      head.prefixLength === x.prefixLength &&
      head.c.route.priority === x.c.route.priority
    ) {
      last.push(x);
    } else tiers.push([x]);
  }

  // 4. fallthrough: false ends the list after its own tier.
  const ordered: Array<{ tier: number; x: Candidate }> = [];
  for (let t = 0; t < tiers.length; t++) {
    const tier = tiers[t]!;
    const order = orderTier(tier, settings.strategy, random);
    tr?.push({
      step: 'tier',
      message: `tier ${t + 1} (${tier[0]!.scope}, prefix length ${tier[0]!.prefixLength}, priority ${tier[0]!.c.route.priority}): ${order.map((x) => x.c.route.id).join(', ')}`,
    });
    for (const x of order) ordered.push({ tier: t, x });
    const stop = tier.find((x) => !x.c.route.fallthrough);
    if (stop && t < tiers.length - 1) {
      const rest = tiers
        .slice(t + 1)
        .flat()
        .map((x) => x.c.route.id);
      tr?.push({
        step: 'drop',
        routeId: stop.c.route.id,
        message: `${stop.c.route.id} has fallthrough: false; not appended: ${rest.join(', ')}`,
      });
      break;
    }
  }

  if (ordered.length === 0) {
    tr?.push({
      step: 'result',
      message: `no route matches ${number}: ${settings.no_route_status}`,
    });
    return {
      ...base,
      mode,
      customer,
      outcome: 'no-route',
      status: settings.no_route_status,
      reason: settings.no_route_reason,
    };
  }

  // 5. Gateways: weighted order, skip open breakers and providers at a limit, no duplicates.
  const attempts: Attempt[] = [];
  const unhealthy: Attempt[] = [];
  const seen = new Set<string>();
  for (const { tier, x } of ordered) {
    // Enough healthy attempts: the rest would be cut anyway.
    if (attempts.length >= settings.max_attempts) break;
    const { route, provider } = x.c;
    const atLimit = call.providerAtLimit?.(provider.id) ?? false;
    for (const g of weightedOrder(provider.gateways, (gw) => gw.weight, random)) {
      const key = gatewayKey(g);
      if (seen.has(key)) {
        tr?.push({
          step: 'skip',
          routeId: route.id,
          message: `${route.id}: gateway ${key} already in the plan`,
        });
        continue;
      }
      seen.add(key);
      const n = manipulate(number, provider.strip, provider.prefix);
      const attempt: Attempt = {
        index: 0,
        routeId: route.id,
        providerId: provider.id,
        gateway: g,
        gatewayKey: key,
        number: n,
        requestUri: `sip:${n}${strings(g).hostPart}`,
        tier,
        fork: route.fork,
        tryingTimeoutMs: x.c.tryingTimeoutMs,
        failover: x.c.failover,
      };
      const open = call.gatewayOpen?.(key) ?? false;
      if (open || atLimit) {
        tr?.push({
          step: 'skip',
          routeId: route.id,
          message: `${route.id}: ${key} skipped (${open ? 'breaker open' : `provider ${provider.id} at its limit`})`,
        });
        unhealthy.push(attempt);
        continue;
      }
      attempts.push(attempt);
    }
  }
  let final = attempts;
  if (final.length === 0 && unhealthy.length > 0) {
    // A breaker never turns a possible call into a certain failure.
    tr?.push({
      step: 'skip',
      message: 'every gateway is unavailable: trying them anyway, in plan order',
    });
    final = unhealthy;
  }
  if (final.length > settings.max_attempts) {
    tr?.push({
      step: 'drop',
      message: `plan cut at max_attempts ${settings.max_attempts} (${final.length - settings.max_attempts} more left out)`,
    });
    final = final.slice(0, settings.max_attempts);
  }
  final.forEach((a, i) => {
    a.index = i;
    tr?.push({
      step: 'attempt',
      routeId: a.routeId,
      message: `${i + 1}. ${a.providerId} via ${a.gatewayKey}: ${a.requestUri}`,
    });
  });
  return { ...base, mode, customer, outcome: 'route', attempts: final };
}

/** Weighted random order without replacement by metric, or by cost when the strategy says so. */
function orderTier(
  tier: Candidate[],
  strategy: 'metric' | 'cost',
  random: () => number,
): Candidate[] {
  const shuffled = weightedOrder(tier, (x) => x.c.route.metric, random);
  if (strategy !== 'cost') return shuffled;
  // Stable sort keeps the metric order among routes of equal cost.
  return shuffled.sort((a, b) => (a.c.route.cost ?? Infinity) - (b.c.route.cost ?? Infinity));
}

/** Draws items one at a time with probability proportional to weight, without replacement. */
function weightedOrder<T>(
  items: readonly T[],
  weight: (t: T) => number,
  random: () => number,
): T[] {
  if (items.length <= 1) return [...items];
  const rest = [...items];
  const out: T[] = [];
  while (rest.length > 1) {
    const total = rest.reduce((s, t) => s + weight(t), 0);
    let r = random() * total;
    let i = 0;
    for (; i < rest.length - 1; i++) {
      r -= weight(rest[i]!);
      if (r < 0) break;
    }
    out.push(rest.splice(i, 1)[0]!);
  }
  out.push(rest[0]!);
  return out;
}

/** Strip then prefix, always from the original number, so failover legs never pile prefixes up. */
function manipulate(number: string, strip: number, prefix: string): string {
  return prefix + number.slice(strip);
}
