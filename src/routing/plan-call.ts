import { cidrContains, parseAddress } from './cidr.js';
import {
  lookup,
  type CompiledRoute,
  type CompiledTable,
  type RouteMatch,
} from './compile-table.js';
import type { FailoverPolicy } from './failover.js';
import type { Customer, Gateway } from './model.js';
import { scheduleOpen } from './schedule.js';
import { normaliseNumber } from './validate-table.js';

/** What the proxy knows about a call when it asks for a plan. */
export interface CallFacts {
  /** The Request-URI user part or tel: number, raw. */
  destination: string;
  sourceAddress: string;
  /** The customer header's value, honoured only from a trusted source. */
  customerHeader?: string;
  /** true = this gateway's breaker is open: skip it. */
  gatewayOpen?: (gatewayKey: string) => boolean;
  /** true = this provider is at its call or CPS limit: skip it. */
  providerAtLimit?: (providerId: string) => boolean;
  /** false = no trace (the call path); explain leaves it on. */
  trace?: boolean;
}

export interface Attempt {
  /** 0-based position in the plan. */
  index: number;
  routeId: string;
  providerId: string;
  gateway: Gateway;
  /** "udp:198.51.100.10:5060": the key breakers and records use. */
  gatewayKey: string;
  /** The number after this provider's strip/prefix, computed from the original number. */
  number: string;
  requestUri: string;
  /** Attempts with the same tier belong to one (scope, prefix length, priority) tier. */
  tier: number;
  fork: 'serial' | 'parallel';
  tryingTimeoutMs: number;
  failover: FailoverPolicy;
}

export interface TraceLine {
  step: 'number' | 'customer' | 'candidate' | 'drop' | 'tier' | 'attempt' | 'skip' | 'result';
  routeId?: string;
  message: string;
}

export interface Plan {
  outcome: 'route' | 'no-route' | 'forbidden';
  status?: number;
  reason?: string;
  customer?: Customer;
  /** The customer's mode override; absent = the server's `proxy.mode`. */
  mode?: 'proxy' | 'redirect';
  /** The normalised dialled number. */
  number: string;
  attempts: Attempt[];
  trace: TraceLine[];
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

export function gatewayKey(g: Gateway): string {
  return strings(g).key;
}

/**
 * The ordered attempts for one call (DESIGN §3) and the reason for every
 * decision. Pure: the clock and the random source come in as arguments.
 */
export function planCall(
  compiled: CompiledTable,
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
export function weightedOrder<T>(
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
export function manipulate(number: string, strip: number, prefix: string): string {
  return prefix + number.slice(strip);
}
