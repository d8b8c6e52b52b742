import { cidrContains, parseAddress, parseV4, type ParsedAddress } from './cidr.js';
import {
  BIG_METRIC,
  FLAGS,
  METRIC,
  MULTI_PREFIX,
  NO_FALLTHROUGH,
  PARALLEL,
  PRIORITY,
  ROUTE_STRIDE,
  SCHEDULED,
  TEMPLATE,
  USABLE,
  type CompiledTable,
  type SourceRange,
} from './compile-table.js';
import type { FailoverPolicy } from './failover.js';
import type { Credentials } from './credentials.js';
import type { Customer, Gateway, Route } from './model.js';
import { ABSENT, keyCode, MAX_KEY_LENGTH, type PrefixIndex } from './prefix-index.js';
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
  /** Digest credentials for a 401/407 from this gateway (gateway's, else provider's). */
  auth?: Credentials;
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

/**
 * Working memory of one plan, reused by the next one, so that the hot path (trace
 * off) allocates little beyond the plan and the attempts it returns. Nothing in it
 * outlives a plan, so planCall stays pure as seen from outside. A plan started from
 * inside a callback of another (gatewayOpen, providerAtLimit) gets a scratch of its own.
 */
class Scratch {
  /** The numeric key of the number's first n characters, at [n]. */
  readonly keys = new Float64Array(MAX_KEY_LENGTH + 1);
  /** Matches of one scope: route, prefix length. */
  matchRoute = new Int32Array(64);
  matchLength = new Int32Array(64);
  /** Candidates kept: route, prefix length, scope (0 customer, 1 default), metric. */
  route = new Int32Array(64);
  length = new Int32Array(64);
  scope = new Uint8Array(64);
  weight = new Float64Array(64);
  /** Candidates in tier order, then in the final (drawn) order with their tier. */
  sorted = new Int32Array(64);
  ordered = new Int32Array(64);
  tier = new Int32Array(64);
  /** Gateway positions of one provider, drawn. */
  gateways = new Int32Array(8);
  /** Gateway ids already in the plan. */
  seen = new Int32Array(16);

  growCandidates(n: number): void {
    if (n <= this.route.length) return;
    const size = Math.max(n, this.route.length * 2);
    this.route = grown(this.route, size);
    this.length = grown(this.length, size);
    this.scope = grown(this.scope, size);
    this.weight = grown(this.weight, size);
    this.sorted = new Int32Array(size);
    this.ordered = new Int32Array(size);
    this.tier = new Int32Array(size);
  }

  growMatches(n: number): void {
    if (n <= this.matchRoute.length) return;
    const size = Math.max(n, this.matchRoute.length * 2);
    this.matchRoute = grown(this.matchRoute, size);
    this.matchLength = grown(this.matchLength, size);
  }
}

function grown<T extends Int32Array | Uint8Array | Float64Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

let spare: Scratch | undefined = new Scratch();

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
  const scratch = spare ?? new Scratch();
  spare = undefined;
  try {
    return plan(compiled, call, random, nowMs, scratch);
  } finally {
    spare = scratch;
  }
}

function plan(
  compiled: CompiledTable,
  call: CallFacts,
  random: () => number,
  nowMs: number,
  s: Scratch,
): Plan {
  const { settings, routes } = compiled.table;
  const trace: TraceLine[] = [];
  // Optional chaining skips building the message too when nobody will read it.
  const tr = call.trace === false ? undefined : trace;
  const number = normaliseNumber(call.destination);
  tr?.push({ step: 'number', message: `dialled number "${call.destination}" → "${number}"` });

  // 1. Customer: by header from a trusted source, else by source address.
  let customer: Customer | undefined;
  const v4 = parseV4(call.sourceAddress);
  const v6 = v4 < 0 ? parseAddress(call.sourceAddress) : undefined;
  if (call.customerHeader && inAnyRange(compiled.trusted, v4, v6)) {
    customer = compiled.customerById.get(call.customerHeader.trim());
    tr?.push({
      step: 'customer',
      message: customer
        ? `customer "${customer.id}" named by header from trusted source ${call.sourceAddress}`
        : `header names unknown customer "${call.customerHeader}"`,
    });
  }
  if (!customer) {
    // The most specific range wins; among equal ones, the first customer in the table.
    let bestLen = -1;
    for (const r of compiled.sources) {
      if (r.length > bestLen && inRange(r, v4, v6)) {
        bestLen = r.length;
        customer = r.customer;
        tr?.push({
          step: 'customer',
          message: `source ${call.sourceAddress} is in ${r.text} of customer "${r.customer.id}"`,
        });
      }
    }
  }
  if (!customer && !settings.allow_unknown_sources) {
    tr?.push({
      step: 'result',
      message: `source ${call.sourceAddress} belongs to no customer: 403`,
    });
    return {
      number,
      attempts: [],
      trace,
      outcome: 'forbidden',
      status: 403,
      reason: 'Forbidden: unknown source',
    };
  }
  if (!customer)
    tr?.push({ step: 'customer', message: 'unknown source allowed: default routes only' });
  const mode = customer?.mode;
  if (customer) {
    for (const denied of customer.deny_prefixes) {
      if (!number.startsWith(denied)) continue;
      tr?.push({
        step: 'result',
        message: `customer "${customer.id}" may not call ${denied}…: 403`,
      });
      return {
        number,
        attempts: [],
        trace,
        mode,
        customer,
        outcome: 'forbidden',
        status: 403,
        reason: 'Forbidden: destination not allowed',
      };
    }
  }

  // 2. Candidates in the customer's scope and the default scope. The numeric keys of
  // the number's prefixes are computed once, for both scopes.
  let numeric = Math.min(number.length, MAX_KEY_LENGTH);
  let key = 0;
  for (let i = 0; i < numeric; i++) {
    const code = keyCode(number.charCodeAt(i));
    if (code === 0) {
      // No prefix in a numeric key contains this character: longer ones cannot match.
      numeric = i;
      break;
    }
    key = key * 16 + code;
    s.keys[i + 1] = key;
  }
  let count = 0;
  if (customer)
    count = consider(
      compiled,
      compiled.scopes.get(customer.id),
      0,
      number,
      numeric,
      0,
      s,
      nowMs,
      tr,
    );
  const customerCount = count;
  count = consider(compiled, compiled.scopes.get(''), 1, number, numeric, count, s, nowMs, tr);

  // 3a. A customer route overrides the default route of the same provider.
  const { routeInfo, templates } = compiled;
  if (customerCount > 0) {
    let kept = customerCount;
    for (let k = customerCount; k < count; k++) {
      const provider = templates[routeInfo[s.route[k]! * ROUTE_STRIDE + TEMPLATE]!]!.provider;
      let overridden = false;
      for (let j = 0; j < customerCount && !overridden; j++)
        overridden =
          templates[routeInfo[s.route[j]! * ROUTE_STRIDE + TEMPLATE]!]!.provider === provider;
      if (overridden) {
        if (tr) {
          const id = routes[s.route[k]!]!.id;
          tr.push({
            step: 'drop',
            routeId: id,
            message: `${id}: overridden by a customer route to provider ${provider.id}`,
          });
        }
        continue;
      }
      s.route[kept] = s.route[k]!;
      s.length[kept] = s.length[k]!;
      s.scope[kept] = s.scope[k]!;
      s.weight[kept] = s.weight[k]!;
      kept++;
    }
    count = kept;
  }

  // 3b. Tiers: scope, then longest prefix, then priority; a stable insertion sort
  // (the list is short and nearly sorted already), so equal candidates keep table order.
  const sorted = s.sorted;
  for (let k = 0; k < count; k++) {
    let j = k - 1;
    while (j >= 0 && tierAfter(compiled, s, sorted[j]!, k)) {
      sorted[j + 1] = sorted[j]!;
      j--;
    }
    sorted[j + 1] = k;
  }

  // 4. Each tier drawn by metric (or sorted by cost); fallthrough: false ends the
  // list after its own tier.
  let orderedCount = 0;
  for (let a = 0, t = 0; a < count; t++) {
    let b = a + 1;
    while (b < count && !tierDiffers(compiled, s, sorted[a]!, sorted[b]!)) b++;
    const from = orderedCount;
    for (let j = a; j < b; j++) {
      s.ordered[orderedCount] = sorted[j]!;
      s.tier[orderedCount++] = t;
    }
    drawInPlace(s.ordered, from, orderedCount, s.weight, random);
    if (settings.strategy === 'cost') sortByCost(routes, s, from, orderedCount);
    if (tr) {
      const head = sorted[a]!;
      const ids: string[] = [];
      for (let j = from; j < orderedCount; j++) ids.push(routes[s.route[s.ordered[j]!]!]!.id);
      tr.push({
        step: 'tier',
        message: `tier ${t + 1} (${s.scope[head] === 0 ? 'customer' : 'default'}, prefix length ${s.length[head]}, priority ${routeInfo[s.route[head]! * ROUTE_STRIDE + PRIORITY]}): ${ids.join(', ')}`,
      });
    }
    let stop = -1;
    for (let j = a; j < b && stop < 0; j++)
      if (routeInfo[s.route[sorted[j]!]! * ROUTE_STRIDE + FLAGS]! & NO_FALLTHROUGH)
        stop = s.route[sorted[j]!]!;
    if (stop >= 0 && b < count) {
      if (tr) {
        const id = routes[stop]!.id;
        const rest: string[] = [];
        for (let j = b; j < count; j++) rest.push(routes[s.route[sorted[j]!]!]!.id);
        tr.push({
          step: 'drop',
          routeId: id,
          message: `${id} has fallthrough: false; not appended: ${rest.join(', ')}`,
        });
      }
      break;
    }
    a = b;
  }

  if (orderedCount === 0) {
    tr?.push({
      step: 'result',
      message: `no route matches ${number}: ${settings.no_route_status}`,
    });
    return {
      number,
      attempts: [],
      trace,
      mode,
      customer,
      outcome: 'no-route',
      status: settings.no_route_status,
      reason: settings.no_route_reason,
    };
  }

  // 5. Gateways: weighted order, skip open breakers and providers at a limit, no duplicates.
  const attempts: Attempt[] = [];
  let unhealthy: Attempt[] | undefined;
  let seenCount = 0;
  for (let k = 0; k < orderedCount; k++) {
    // Enough healthy attempts: the rest would be cut anyway.
    if (attempts.length >= settings.max_attempts) break;
    const ri = s.route[s.ordered[k]!]!;
    const routeId = compiled.routeIds[ri]!;
    const template = templates[routeInfo[ri * ROUTE_STRIDE + TEMPLATE]!]!;
    const { provider } = template;
    const atLimit = call.providerAtLimit?.(provider.id) ?? false;
    const gatewayCount = template.gateways.length;
    if (s.gateways.length < gatewayCount) s.gateways = new Int32Array(gatewayCount);
    for (let j = 0; j < gatewayCount; j++) s.gateways[j] = j;
    drawInPlace(s.gateways, 0, gatewayCount, template.gatewayWeights, random);
    let manipulated: string | undefined;
    for (let j = 0; j < gatewayCount; j++) {
      const g = template.gateways[s.gateways[j]!]!;
      let repeated = false;
      for (let j2 = 0; j2 < seenCount && !repeated; j2++) repeated = s.seen[j2] === g.id;
      if (repeated) {
        tr?.push({
          step: 'skip',
          routeId,
          message: `${routeId}: gateway ${g.key} already in the plan`,
        });
        continue;
      }
      if (seenCount === s.seen.length) s.seen = grown(s.seen, seenCount * 2);
      s.seen[seenCount++] = g.id;
      manipulated ??= manipulate(number, provider.strip, provider.prefix);
      const attempt: Attempt = {
        index: 0,
        routeId,
        providerId: provider.id,
        gateway: g.gateway,
        gatewayKey: g.key,
        number: manipulated,
        requestUri: `${g.scheme}${manipulated}${g.hostPart}`,
        tier: s.tier[k]!,
        fork: routeInfo[ri * ROUTE_STRIDE + FLAGS]! & PARALLEL ? 'parallel' : 'serial',
        tryingTimeoutMs: template.tryingTimeoutMs,
        failover: template.failover,
        auth: g.auth,
      };
      const open = call.gatewayOpen?.(g.key) ?? false;
      if (open || atLimit) {
        tr?.push({
          step: 'skip',
          routeId,
          message: `${routeId}: ${g.key} skipped (${open ? 'breaker open' : `provider ${provider.id} at its limit`})`,
        });
        (unhealthy ??= []).push(attempt);
        continue;
      }
      attempts.push(attempt);
    }
  }
  let final = attempts;
  if (final.length === 0 && unhealthy) {
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
  for (let i = 0; i < final.length; i++) {
    const a = final[i]!;
    a.index = i;
    tr?.push({
      step: 'attempt',
      routeId: a.routeId,
      message: `${i + 1}. ${a.providerId} via ${a.gatewayKey}: ${a.requestUri}`,
    });
  }
  return { number, attempts: final, trace, mode, customer, outcome: 'route' };
}

function inRange(r: SourceRange, v4: number, v6: ParsedAddress | undefined): boolean {
  if (r.family === 4) return v4 >= 0 && (v4 & r.v4Mask) >>> 0 === r.v4Net;
  return v6 !== undefined && cidrContains(r.cidr, v6);
}

function inAnyRange(ranges: SourceRange[], v4: number, v6: ParsedAddress | undefined): boolean {
  for (const r of ranges) if (inRange(r, v4, v6)) return true;
  return false;
}

/**
 * The routes of one scope matching the number, longest prefix first (so the first
 * time a route is seen is its longest match), then the catch-alls; the usable ones
 * become candidates from `count` on. Returns the new candidate count.
 */
function consider(
  compiled: CompiledTable,
  index: PrefixIndex | undefined,
  scope: 0 | 1,
  number: string,
  numeric: number,
  count: number,
  s: Scratch,
  nowMs: number,
  tr: TraceLine[] | undefined,
): number {
  if (!index) return count;
  let m = 0;
  for (let len = Math.min(number.length, index.maxLength); len >= 1; len--) {
    if (len <= numeric) {
      if ((index.keyLengths & (1 << len)) === 0) continue;
      const v = index.find(s.keys[len]!);
      if (v === ABSENT) continue;
      if (v >= 0) m = addMatch(compiled, s, m, v, len);
      else {
        const { lists } = index;
        const n = lists[~v]!;
        for (let j = 1; j <= n; j++) m = addMatch(compiled, s, m, lists[~v + j]!, len);
      }
    } else if (index.hasOther(len)) {
      const hits = index.findOther(number.slice(0, len));
      if (hits) for (const r of hits) m = addMatch(compiled, s, m, r, len);
    }
  }
  const { catchAll } = index;
  s.growMatches(m + catchAll.length);
  for (let j = 0; j < catchAll.length; j++) {
    s.matchRoute[m] = catchAll[j]!;
    s.matchLength[m++] = 0;
  }

  const { routes } = compiled.table;
  const info = compiled.routeInfo;
  s.growCandidates(count + m);
  for (let k = 0; k < m; k++) {
    const ri = s.matchRoute[k]!;
    const at = ri * ROUTE_STRIDE;
    const flags = info[at + FLAGS]!;
    // The route object is read only off the hot path: trace, schedule, huge metric.
    if (
      (flags & USABLE) === 0 ||
      ((flags & SCHEDULED) !== 0 && !scheduleOpen(routes[ri]!.schedule!, nowMs))
    ) {
      if (tr) {
        const r = routes[ri]!;
        const provider = compiled.templates[info[at + TEMPLATE]!]!.provider;
        tr.push({ step: 'drop', routeId: r.id, message: `${r.id}: ${dropReason(r, provider)}` });
      }
      continue;
    }
    if (tr) {
      const r = routes[ri]!;
      const provider = compiled.templates[info[at + TEMPLATE]!]!.provider;
      tr.push({
        step: 'candidate',
        routeId: r.id,
        message: `${r.id} (${scope === 0 ? 'customer' : 'default'}, provider ${provider.id}, prefix length ${s.matchLength[k]}, priority ${r.priority}, metric ${r.metric}) matches`,
      });
    }
    s.route[count] = ri;
    s.length[count] = s.matchLength[k]!;
    s.scope[count] = scope;
    s.weight[count++] = (flags & BIG_METRIC) === 0 ? info[at + METRIC]! : routes[ri]!.metric;
  }
  return count;
}

function addMatch(
  compiled: CompiledTable,
  s: Scratch,
  m: number,
  route: number,
  len: number,
): number {
  if (compiled.routeInfo[route * ROUTE_STRIDE + FLAGS]! & MULTI_PREFIX) {
    for (let j = 0; j < m; j++) if (s.matchRoute[j] === route) return m;
  }
  s.growMatches(m + 1);
  s.matchRoute[m] = route;
  s.matchLength[m] = len;
  return m + 1;
}

function dropReason(r: Route, provider: { id: string; enabled: boolean }): string {
  if (!r.enabled) return 'route disabled';
  if (!provider.enabled) return `provider "${provider.id}" disabled`;
  const sc = r.schedule!;
  return `schedule closed (${sc.days?.join(',') ?? 'every day'} ${sc.from ?? '00:00'}-${sc.to ?? '24:00'} ${sc.time_zone})`;
}

/** Candidate a sorts strictly after candidate b: scope, longer prefix, lower priority. */
function tierAfter(compiled: CompiledTable, s: Scratch, a: number, b: number): boolean {
  if (s.scope[a] !== s.scope[b]) return s.scope[a]! > s.scope[b]!;
  if (s.length[a] !== s.length[b]) return s.length[a]! < s.length[b]!;
  const info = compiled.routeInfo;
  return (
    info[s.route[a]! * ROUTE_STRIDE + PRIORITY]! > info[s.route[b]! * ROUTE_STRIDE + PRIORITY]!
  );
}

function tierDiffers(compiled: CompiledTable, s: Scratch, a: number, b: number): boolean {
  return (
    s.scope[a] !== s.scope[b] ||
    s.length[a] !== s.length[b] ||
    compiled.routeInfo[s.route[a]! * ROUTE_STRIDE + PRIORITY] !==
      compiled.routeInfo[s.route[b]! * ROUTE_STRIDE + PRIORITY]
  );
}

/**
 * Weighted random order without replacement, in place on items[from, to): each draw
 * picks an item with probability proportional to its weight among those left, and
 * the items left keep their relative order (so the draws are those of the list-based
 * version: same random numbers, same result).
 */
function drawInPlace(
  items: Int32Array,
  from: number,
  to: number,
  weights: Float64Array,
  random: () => number,
): void {
  for (let k = from; k < to - 1; k++) {
    let total = 0;
    for (let j = k; j < to; j++) total += weights[items[j]!]!;
    let r = random() * total;
    let i = k;
    for (; i < to - 1; i++) {
      r -= weights[items[i]!]!;
      if (r < 0) break;
    }
    const chosen = items[i]!;
    for (let j = i; j > k; j--) items[j] = items[j - 1]!;
    items[k] = chosen;
  }
}

/** Stable: routes of equal cost keep their drawn (metric) order; no cost sorts last. */
function sortByCost(routes: Route[], s: Scratch, from: number, to: number): void {
  const items = s.ordered;
  for (let k = from + 1; k < to; k++) {
    const x = items[k]!;
    const cost = routes[s.route[x]!]!.cost ?? Infinity;
    let j = k - 1;
    while (j >= from && (routes[s.route[items[j]!]!]!.cost ?? Infinity) > cost) {
      items[j + 1] = items[j]!;
      j--;
    }
    items[j + 1] = x;
  }
}

/** The key breakers and records use for a gateway; the compiled templates hold the same string. */
export function gatewayKey(g: Gateway): string {
  return `${g.transport}:${g.host}:${g.port}`;
}

/** Strip then prefix, always from the original number, so failover legs never pile prefixes up. */
export function manipulate(number: string, strip: number, prefix: string): string {
  return prefix + number.slice(strip);
}
