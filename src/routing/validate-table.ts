import { parseCidr } from './cidr.js';
import { Credentials } from './credentials.js';
import { TRIGGER_WORDS, type FailoverSpec, type FailoverTrigger } from './failover.js';
import {
  DEFAULT_SETTINGS,
  type Customer,
  type Day,
  type Destination,
  type BreakerOverride,
  type GatewayTls,
  type Gateway,
  type Group,
  type Pattern,
  type ProbeOverride,
  type Provider,
  type Route,
  type RouteTable,
  type Schedule,
  type Settings,
} from './model.js';

/** One problem in a route table: where (`routes[3].provider_id`) and what. */
export interface ValidationError {
  path: string;
  message: string;
}

export function formatError(e: ValidationError): string {
  return e.path ? `${e.path}: ${e.message}` : e.message;
}

export type ValidationResult =
  { ok: true; table: RouteTable } | { ok: false; errors: ValidationError[] };

type Obj = Record<string, unknown>;

const DAYS: readonly Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const DIAL_PREFIX = /^\+?[0-9*#]+$/;
const HOST_NAME =
  /^(?:[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$|^[0-9A-Fa-f:.]+$/;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Collects every error; the table is returned only when there is none. */
class Checker {
  readonly errors: ValidationError[] = [];

  err(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  obj(v: unknown, path: string): Obj | undefined {
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Obj;
    this.err(path, 'must be an object');
    return undefined;
  }

  known(o: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o))
      if (!allowed.includes(k)) this.err(join(path, k), `unknown field "${k}"`);
  }

  str(
    o: Obj,
    key: string,
    path: string,
    opts: { required?: boolean; def?: string } = {},
  ): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (opts.required) this.err(join(path, key), 'is required');
      return opts.def;
    }
    if (typeof v !== 'string') {
      this.err(join(path, key), 'must be a string');
      return opts.def;
    }
    return v;
  }

  int(
    o: Obj,
    key: string,
    path: string,
    opts: { required?: boolean; def?: number; min?: number; max?: number; positive?: boolean } = {},
  ): number | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (opts.required) this.err(join(path, key), 'is required');
      return opts.def;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.err(join(path, key), 'must be an integer');
      return opts.def;
    }
    if (opts.positive && v <= 0) {
      this.err(join(path, key), `must be greater than 0 (got ${v})`);
      return opts.def;
    }
    if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
      this.err(
        join(path, key),
        `must be between ${opts.min ?? '-∞'} and ${opts.max ?? '∞'} (got ${v})`,
      );
      return opts.def;
    }
    return v;
  }

  bool(o: Obj, key: string, path: string, def: boolean): boolean {
    const v = o[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') {
      this.err(join(path, key), 'must be true or false');
      return def;
    }
    return v;
  }

  list(o: Obj, key: string, path: string, required = false): unknown[] {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) this.err(join(path, key), 'is required');
      return [];
    }
    if (!Array.isArray(v)) {
      this.err(join(path, key), 'must be a list');
      return [];
    }
    return v;
  }

  strings(o: Obj, key: string, path: string, required = false): string[] {
    const out: string[] = [];
    this.list(o, key, path, required).forEach((v, i) => {
      if (typeof v === 'string') out.push(v);
      else this.err(`${join(path, key)}[${i}]`, 'must be a string');
    });
    return out;
  }

  oneOf<T extends string>(
    o: Obj,
    key: string,
    path: string,
    values: readonly T[],
    def?: T,
  ): T | undefined {
    const v = o[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string' || !values.includes(v as T)) {
      this.err(join(path, key), `must be one of ${values.join(', ')} (got ${JSON.stringify(v)})`);
      return def;
    }
    return v as T;
  }

  id(o: Obj, path: string, seen: Set<string>, kind: string): string {
    const id = this.str(o, 'id', path, { required: true }) ?? '';
    if (id && !ID.test(id))
      this.err(join(path, 'id'), `"${id}" is not a valid id (letters, digits, . _ : -)`);
    else if (id && seen.has(id)) this.err(join(path, 'id'), `duplicate ${kind} id "${id}"`);
    seen.add(id);
    return id;
  }

  prefix(value: string, path: string): string {
    const p = normaliseNumber(value);
    if (!DIAL_PREFIX.test(p))
      this.err(path, `"${value}" is not a dialling prefix (digits, optional leading +)`);
    return p;
  }

  failover(o: Obj, path: string): FailoverSpec | undefined {
    const raw = o.failover;
    if (raw === undefined || raw === null) return undefined;
    const fo = this.obj(raw, join(path, 'failover'));
    if (!fo) return undefined;
    this.known(fo, join(path, 'failover'), ['on']);
    const on: FailoverTrigger[] = [];
    this.list(fo, 'on', join(path, 'failover'), true).forEach((t, i) => {
      const p = `${join(path, 'failover.on')}[${i}]`;
      if (typeof t === 'number' && Number.isInteger(t) && t >= 300 && t <= 699) on.push(t);
      else if (typeof t === 'string' && TRIGGER_WORDS.has(t)) on.push(t as FailoverTrigger);
      else
        this.err(
          p,
          `${JSON.stringify(t)} is not a trigger (a status 300-699, 3xx/4xx/5xx/6xx, trying_timeout, timeout, transport_error)`,
        );
    });
    return { on };
  }

  probe(o: Obj, path: string): ProbeOverride | undefined {
    const p = join(path, 'probe');
    if (o.probe === undefined || o.probe === null) return undefined;
    const po = this.obj(o.probe, p);
    if (!po) return undefined;
    this.known(po, p, [
      'enabled',
      'interval_ms',
      'timeout_ms',
      'alive_codes',
      'down_after',
      'up_after',
    ]);
    const codes = po.alive_codes === undefined ? undefined : this.strings(po, 'alive_codes', p);
    codes?.forEach((code, i) => {
      if (!/^([1-6]xx|[1-6]\d\d)$/i.test(code))
        this.err(`${p}.alive_codes[${i}]`, `"${code}" is not a status (200) or a class (2xx)`);
    });
    return {
      enabled: po.enabled === undefined ? undefined : this.bool(po, 'enabled', p, true),
      interval_ms: this.int(po, 'interval_ms', p, { min: 100, max: 3_600_000 }),
      timeout_ms: this.int(po, 'timeout_ms', p, { min: 50, max: 60_000 }),
      alive_codes: codes,
      down_after: this.int(po, 'down_after', p, { min: 1, max: 100 }),
      up_after: this.int(po, 'up_after', p, { min: 1, max: 100 }),
    };
  }

  /** `auth: { username, password, realm? }`; errors name the field, never echo the password. */
  auth(o: Obj, path: string): Credentials | undefined {
    const p = join(path, 'auth');
    if (o.auth === undefined || o.auth === null) return undefined;
    const ao = this.obj(o.auth, p);
    if (!ao) return undefined;
    this.known(ao, p, ['username', 'password', 'realm']);
    const username = this.str(ao, 'username', p, { required: true });
    const password = this.str(ao, 'password', p, { required: true });
    const realm = this.str(ao, 'realm', p);
    if (username === '') this.err(join(p, 'username'), 'must not be empty');
    if (password === '') this.err(join(p, 'password'), 'must not be empty');
    if (username === undefined || password === undefined) return undefined;
    return new Credentials(username, password, realm);
  }

  /** A provider's certificate checks (docs/tls.md). */
  tls(o: Obj, path: string): GatewayTls | undefined {
    const p = join(path, 'tls');
    if (o.tls === undefined || o.tls === null) return undefined;
    const to = this.obj(o.tls, p);
    if (!to) return undefined;
    this.known(to, p, ['ca_file', 'server_name', 'verify']);
    const caFile = this.str(to, 'ca_file', p);
    if (caFile !== undefined && !caFile.trim()) this.err(join(p, 'ca_file'), 'must not be empty');
    const serverName = this.str(to, 'server_name', p);
    if (serverName !== undefined && !HOST_NAME.test(serverName))
      this.err(join(p, 'server_name'), `"${serverName}" is not a host name or address`);
    const verify = this.bool(to, 'verify', p, true);
    if (!verify && caFile !== undefined)
      this.err(join(p, 'verify'), 'false contradicts ca_file (a pinned CA is only used to verify)');
    const out: GatewayTls = {};
    if (caFile) out.ca_file = caFile;
    if (serverName) out.server_name = serverName;
    if (!verify) out.verify = false;
    return out;
  }

  breaker(o: Obj, path: string): BreakerOverride | undefined {
    const p = join(path, 'breaker');
    if (o.breaker === undefined || o.breaker === null) return undefined;
    const bo = this.obj(o.breaker, p);
    if (!bo) return undefined;
    this.known(bo, p, ['failures', 'window_ms', 'cooldown_ms']);
    return {
      failures: this.int(bo, 'failures', p, { min: 0, max: 1000 }),
      window_ms: this.int(bo, 'window_ms', p, { min: 100, max: 3_600_000 }),
      cooldown_ms: this.int(bo, 'cooldown_ms', p, { min: 100, max: 3_600_000 }),
    };
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

const SEPARATOR = /[\s\-.()/]/;
const SEPARATORS = /[\s\-.()/]/g;

/** Visual separators out, a leading + kept (DESIGN §3). */
export function normaliseNumber(n: string): string {
  // Most numbers have none: a test, without building a new string (once per call).
  return SEPARATOR.test(n) ? n.replace(SEPARATORS, '') : n;
}

function gateway(c: Checker, raw: unknown, path: string): Gateway | undefined {
  const g = c.obj(raw, path);
  if (!g) return undefined;
  c.known(g, path, ['uri', 'weight', 'auth']);
  const auth = c.auth(g, path);
  const uri = c.str(g, 'uri', path, { required: true });
  const weight = c.int(g, 'weight', path, { def: 1, positive: true }) ?? 1;
  if (uri === undefined) return undefined;
  const m = /^(sips?):(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?((?:;[^;]*)*)$/i.exec(
    uri.trim(),
  );
  if (!m) {
    c.err(
      join(path, 'uri'),
      `"${uri}" is not a gateway URI (sip:host[:port][;transport=udp|tcp|tls] or sips:host[:port])`,
    );
    return undefined;
  }
  const scheme = m[1]!.toLowerCase() === 'sips' ? 'sips' : 'sip';
  // RFC 5630 3.1: sips means TLS on every hop.
  let transport: Gateway['transport'] = scheme === 'sips' ? 'tls' : 'udp';
  for (const p of (m[5] ?? '').split(';').filter(Boolean)) {
    const [k, v] = p.split('=');
    if (k?.toLowerCase() !== 'transport') continue;
    const t = (v ?? '').toLowerCase();
    if (scheme === 'sips' && t !== 'tls')
      c.err(join(path, 'uri'), `transport "${v}" contradicts sips: (always TLS)`);
    else if (t === 'udp' || t === 'tcp' || t === 'tls') transport = t;
    else c.err(join(path, 'uri'), `transport "${v}" is not supported (udp, tcp or tls)`);
  }
  // RFC 3261 19.1.2: 5061 is the default port of TLS.
  const port = m[4] ? Number(m[4]) : transport === 'tls' ? 5061 : 5060;
  if (port < 1 || port > 65535) c.err(join(path, 'uri'), `port ${port} out of range`);
  return {
    uri: uri.trim(),
    scheme,
    host: (m[2] ?? m[3])!,
    port,
    transport,
    weight,
    ...(auth ? { auth } : {}),
  };
}

function schedule(c: Checker, raw: unknown, path: string): Schedule | undefined {
  if (raw === undefined || raw === null) return undefined;
  const s = c.obj(raw, path);
  if (!s) return undefined;
  c.known(s, path, ['days', 'from', 'to', 'time_zone']);
  const days = s.days === undefined ? undefined : (c.strings(s, 'days', path) as Day[]);
  days?.forEach((d, i) => {
    if (!DAYS.includes(d)) c.err(`${join(path, 'days')}[${i}]`, `"${d}" is not a day (mon..sun)`);
  });
  const from = c.str(s, 'from', path);
  const to = c.str(s, 'to', path);
  if (from !== undefined && !HHMM.test(from)) c.err(join(path, 'from'), `"${from}" is not HH:MM`);
  if (to !== undefined && !HHMM.test(to)) c.err(join(path, 'to'), `"${to}" is not HH:MM`);
  const tz = c.str(s, 'time_zone', path, { def: 'UTC' })!;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
  } catch {
    c.err(join(path, 'time_zone'), `unknown time zone "${tz}"`);
  }
  return { days, from, to, time_zone: tz };
}

function settings(c: Checker, raw: unknown): Settings {
  if (raw === undefined || raw === null) return { ...DEFAULT_SETTINGS };
  const s = c.obj(raw, 'settings');
  if (!s) return { ...DEFAULT_SETTINGS };
  const p = 'settings';
  c.known(s, p, [
    'max_attempts',
    'strategy',
    'no_route_status',
    'no_route_reason',
    'allow_unknown_sources',
    'trusted_sources',
    'customer_header',
    'default_trying_timeout_ms',
    'failover',
  ]);
  const d = DEFAULT_SETTINGS;
  const trusted = c.strings(s, 'trusted_sources', p);
  trusted.forEach((t, i) => {
    if (!parseCidr(t))
      c.err(`settings.trusted_sources[${i}]`, `"${t}" is not an IP address or CIDR`);
  });
  return {
    max_attempts: c.int(s, 'max_attempts', p, { def: d.max_attempts, min: 1, max: 100 })!,
    strategy: c.oneOf(s, 'strategy', p, ['metric', 'cost'] as const, d.strategy)!,
    no_route_status: c.int(s, 'no_route_status', p, {
      def: d.no_route_status,
      min: 400,
      max: 699,
    })!,
    no_route_reason: c.str(s, 'no_route_reason', p, { def: d.no_route_reason })!,
    allow_unknown_sources: c.bool(s, 'allow_unknown_sources', p, d.allow_unknown_sources),
    trusted_sources: trusted,
    customer_header: c.str(s, 'customer_header', p, { def: d.customer_header })!,
    default_trying_timeout_ms: c.int(s, 'default_trying_timeout_ms', p, {
      def: d.default_trying_timeout_ms,
      min: 100,
      max: 180_000,
    })!,
    failover: c.failover(s, p),
  };
}

/**
 * Validates and normalises a raw route table (parsed YAML/JSON or an API
 * body). Every error is collected; a table with any error is never returned,
 * so nothing is ever half-applied.
 */
export function validateTable(raw: unknown): ValidationResult {
  const c = new Checker();
  const root = c.obj(raw ?? {}, '');
  if (!root) return { ok: false, errors: c.errors };
  c.known(root, '', ['settings', 'providers', 'patterns', 'groups', 'customers', 'routes']);
  const st = settings(c, root.settings);

  const providerIds = new Set<string>();
  const providers: Provider[] = [];
  c.list(root, 'providers', '').forEach((r, i) => {
    const path = `providers[${i}]`;
    const o = c.obj(r, path);
    if (!o) return;
    c.known(o, path, [
      'id',
      'name',
      'gateways',
      'strip',
      'prefix',
      'trying_timeout_ms',
      'failover',
      'max_calls',
      'max_cps',
      'probe',
      'breaker',
      'auth',
      'tls',
      'enabled',
    ]);
    const id = c.id(o, path, providerIds, 'provider');
    const gws = c.list(o, 'gateways', path, true);
    if (Array.isArray(o.gateways) && gws.length === 0)
      c.err(join(path, 'gateways'), 'needs at least one gateway');
    const tls = c.tls(o, path);
    const gateways = gws
      .map((g, j) => gateway(c, g, `${path}.gateways[${j}]`))
      .filter((g): g is Gateway => g !== undefined);
    if (tls) {
      if (gateways.length && !gateways.some((g) => g.transport === 'tls'))
        c.err(join(path, 'tls'), 'the provider has no TLS gateway (transport=tls or sips:)');
      for (const g of gateways) if (g.transport === 'tls') g.tls = tls;
    }
    const prefix = c.str(o, 'prefix', path, { def: '' })!;
    if (prefix && !DIAL_PREFIX.test(prefix))
      c.err(join(path, 'prefix'), `"${prefix}" is not a dialling prefix`);
    providers.push({
      id,
      name: c.str(o, 'name', path, { def: id })!,
      gateways,
      strip: c.int(o, 'strip', path, { def: 0, min: 0, max: 32 })!,
      prefix,
      trying_timeout_ms: c.int(o, 'trying_timeout_ms', path, { min: 100, max: 180_000 }),
      failover: c.failover(o, path),
      max_calls: c.int(o, 'max_calls', path, { positive: true }),
      max_cps: c.int(o, 'max_cps', path, { positive: true }),
      probe: c.probe(o, path),
      breaker: c.breaker(o, path),
      auth: c.auth(o, path),
      tls,
      enabled: c.bool(o, 'enabled', path, true),
    });
  });

  const patternIds = new Set<string>();
  const patterns: Pattern[] = [];
  c.list(root, 'patterns', '').forEach((r, i) => {
    const path = `patterns[${i}]`;
    const o = c.obj(r, path);
    if (!o) return;
    c.known(o, path, ['id', 'name', 'prefixes']);
    const id = c.id(o, path, patternIds, 'pattern');
    const prefixes = c
      .strings(o, 'prefixes', path, true)
      .map((p, j) => c.prefix(p, `${path}.prefixes[${j}]`));
    if (Array.isArray(o.prefixes) && prefixes.length === 0)
      c.err(join(path, 'prefixes'), 'needs at least one prefix');
    patterns.push({ id, name: c.str(o, 'name', path, { def: id })!, prefixes });
  });

  const groupIds = new Set<string>();
  const groups: Group[] = [];
  c.list(root, 'groups', '').forEach((r, i) => {
    const path = `groups[${i}]`;
    const o = c.obj(r, path);
    if (!o) return;
    c.known(o, path, ['id', 'name', 'patterns']);
    const id = c.id(o, path, groupIds, 'group');
    const pats = c.strings(o, 'patterns', path, true);
    pats.forEach((p, j) => {
      if (!patternIds.has(p)) c.err(`${path}.patterns[${j}]`, `unknown pattern "${p}"`);
    });
    groups.push({ id, name: c.str(o, 'name', path, { def: id })!, patterns: pats });
  });

  const customerIds = new Set<string>();
  const customers: Customer[] = [];
  c.list(root, 'customers', '').forEach((r, i) => {
    const path = `customers[${i}]`;
    const o = c.obj(r, path);
    if (!o) return;
    c.known(o, path, ['id', 'name', 'sources', 'mode', 'deny_prefixes', 'max_calls', 'max_cps']);
    const id = c.id(o, path, customerIds, 'customer');
    const sources = c.strings(o, 'sources', path);
    sources.forEach((s, j) => {
      if (!parseCidr(s)) c.err(`${path}.sources[${j}]`, `"${s}" is not an IP address or CIDR`);
    });
    customers.push({
      id,
      name: c.str(o, 'name', path, { def: id })!,
      sources,
      mode: c.oneOf(o, 'mode', path, ['proxy', 'redirect'] as const),
      deny_prefixes: c
        .strings(o, 'deny_prefixes', path)
        .map((p, j) => c.prefix(p, `${path}.deny_prefixes[${j}]`)),
      max_calls: c.int(o, 'max_calls', path, { positive: true }),
      max_cps: c.int(o, 'max_cps', path, { positive: true }),
    });
  });

  const routeIds = new Set<string>();
  const routes: Route[] = [];
  c.list(root, 'routes', '').forEach((r, i) => {
    const path = `routes[${i}]`;
    const o = c.obj(r, path);
    if (!o) return;
    c.known(o, path, [
      'id',
      'name',
      'detail',
      'customer_id',
      'destination',
      'priority',
      'metric',
      'provider_id',
      'schedule',
      'cost',
      'fallthrough',
      'failover',
      'fork',
      'enabled',
    ]);
    const id = c.id(o, path, routeIds, 'route');
    const providerId = c.str(o, 'provider_id', path, { required: true }) ?? '';
    if (providerId && !providerIds.has(providerId))
      c.err(join(path, 'provider_id'), `unknown provider "${providerId}"`);
    const customerId = c.str(o, 'customer_id', path);
    if (customerId !== undefined && !customerIds.has(customerId)) {
      c.err(join(path, 'customer_id'), `unknown customer "${customerId}"`);
    }
    let destination: Destination = null;
    if (o.destination !== undefined && o.destination !== null) {
      const dp = join(path, 'destination');
      const d = c.obj(o.destination, dp);
      if (d) {
        c.known(d, dp, ['prefix', 'pattern', 'group']);
        const keys = Object.keys(d).filter((k) => ['prefix', 'pattern', 'group'].includes(k));
        if (keys.length !== 1) c.err(dp, 'must have exactly one of prefix, pattern, group');
        else if (keys[0] === 'prefix') {
          const p = c.str(d, 'prefix', dp, { required: true });
          if (p !== undefined) destination = { prefix: c.prefix(p, join(dp, 'prefix')) };
        } else if (keys[0] === 'pattern') {
          const p = c.str(d, 'pattern', dp, { required: true });
          if (p !== undefined && !patternIds.has(p))
            c.err(join(dp, 'pattern'), `unknown pattern "${p}"`);
          if (p !== undefined) destination = { pattern: p };
        } else {
          const g = c.str(d, 'group', dp, { required: true });
          if (g !== undefined && !groupIds.has(g)) c.err(join(dp, 'group'), `unknown group "${g}"`);
          if (g !== undefined) destination = { group: g };
        }
      }
    }
    const cost = o.cost;
    if (cost !== undefined && (typeof cost !== 'number' || !(cost >= 0))) {
      c.err(join(path, 'cost'), 'must be a number ≥ 0');
    }
    // Checked in this order, so errors are listed in field order.
    const name = c.str(o, 'name', path, { def: id })!;
    const detail = c.str(o, 'detail', path, { def: '' })!;
    const priority = c.int(o, 'priority', path, { def: 1, min: 0, max: 1_000_000 })!;
    const metric = c.int(o, 'metric', path, { def: 1, positive: true })!;
    const sched =
      o.schedule === undefined || o.schedule === null
        ? undefined
        : schedule(c, o.schedule, join(path, 'schedule'));
    const fallthrough = c.bool(o, 'fallthrough', path, true);
    const failover = c.failover(o, path);
    const fork = c.oneOf(o, 'fork', path, ['serial', 'parallel'] as const, 'serial')!;
    const enabled = c.bool(o, 'enabled', path, true);
    const route: Route = {
      id,
      name,
      detail,
      destination,
      priority,
      metric,
      provider_id: providerId,
      fallthrough,
      fork,
      enabled,
    };
    // Optional fields only when set: most routes have none of them, and a million
    // routes are 32 MB smaller without four undefined slots each.
    if (customerId !== undefined) route.customer_id = customerId;
    if (sched) route.schedule = sched;
    if (typeof cost === 'number') route.cost = cost;
    if (failover) route.failover = failover;
    routes.push(route);
  });

  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  return { ok: true, table: { settings: st, providers, patterns, groups, customers, routes } };
}
