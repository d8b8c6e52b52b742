import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileTable,
  planCall,
  seededRandom,
  validateTable,
  type CallFacts,
  type Plan,
  type RouteTable,
} from '../../../src/routing/index.js';
import { referenceCompile, referencePlan } from './reference/reference-planner.js';

// The compact table and the allocation-light planner must give every caller exactly what
// the first planner gave: the same attempts, the same trace, and the same random draws
// consumed (so a seeded plan, and every plan after it, is unchanged).

const NOW = Date.UTC(2026, 0, 7, 10, 30);
const prefixArb = fc.oneof(
  // Few distinct prefixes, so that routes share them and tiers have several members.
  fc.constantFrom('+3', '+34', '+3491', '1', '12', '*1#'),
  fc.stringMatching(/^\+[0-9]{1,4}$/),
  fc.stringMatching(/^[0-9*#]{1,3}$/),
  // Longer than the 13 characters a numeric key holds.
  fc.stringMatching(/^\+3491[0-9]{9,12}$/),
);

const tableArb = fc
  .record({
    strategy: fc.constantFrom('metric', 'cost'),
    maxAttempts: fc.integer({ min: 1, max: 8 }),
    allowUnknown: fc.boolean(),
    providers: fc.array(
      fc.record({
        gateways: fc.array(
          fc.record({
            host: fc.integer({ min: 1, max: 6 }),
            weight: fc.integer({ min: 1, max: 3 }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        tcp: fc.boolean(),
        enabled: fc.boolean(),
        strip: fc.integer({ min: 0, max: 3 }),
        prefix: fc.constantFrom('', '00', '9'),
        failover: fc.boolean(),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    patterns: fc.array(fc.array(prefixArb, { minLength: 1, maxLength: 4 }), { maxLength: 3 }),
    routes: fc.array(
      fc.record({
        provider: fc.nat(),
        destination: fc.oneof(
          fc.constant(undefined),
          prefixArb.map((prefix) => ({ prefix })),
          fc.nat().map((n) => ({ pattern: n })),
          fc.nat().map((n) => ({ group: n })),
        ),
        priority: fc.integer({ min: 0, max: 2 }),
        metric: fc.integer({ min: 1, max: 5 }),
        cost: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        enabled: fc.boolean(),
        customer: fc.constantFrom(undefined, 'cu', 'v6'),
        fallthrough: fc.boolean(),
        fork: fc.constantFrom('serial', 'parallel'),
        failover: fc.boolean(),
        schedule: fc.option(
          fc.record({
            from: fc.constantFrom('00:00', '09:00', '12:00', '22:00'),
            to: fc.constantFrom('06:00', '11:00', '18:00'),
          }),
          { nil: undefined },
        ),
      }),
      { minLength: 0, maxLength: 14 },
    ),
  })
  .map((t) => ({
    settings: {
      max_attempts: t.maxAttempts,
      strategy: t.strategy,
      allow_unknown_sources: t.allowUnknown,
      trusted_sources: ['203.0.113.0/24'],
    },
    providers: t.providers.map((p, i) => ({
      id: `p${i}`,
      enabled: p.enabled,
      strip: p.strip,
      prefix: p.prefix,
      ...(p.failover ? { failover: { on: [503, 'trying_timeout'] } } : {}),
      // A small shared pool of hosts, so the same gateway appears under several providers.
      gateways: [...new Map(p.gateways.map((g) => [g.host, g])).values()].map((g) => ({
        uri: `sip:198.51.100.${g.host}:5060${p.tcp ? ';transport=tcp' : ''}`,
        weight: g.weight,
      })),
    })),
    patterns: t.patterns.map((prefixes, i) => ({ id: `pat${i}`, prefixes })),
    groups:
      t.patterns.length > 0
        ? [
            { id: 'g0', patterns: t.patterns.map((_, i) => `pat${i}`) },
            { id: 'g1', patterns: ['pat0'] },
          ]
        : [],
    customers: [
      { id: 'cu', sources: ['192.0.2.0/24', '192.0.2.128/25'], deny_prefixes: ['+1900'] },
      { id: 'v6', sources: ['2001:db8::/32'], mode: 'redirect' },
    ],
    routes: t.routes.map((r, i) => {
      const d = r.destination;
      const destination =
        d === undefined
          ? undefined
          : 'prefix' in d
            ? d
            : t.patterns.length === 0
              ? undefined
              : 'pattern' in d
                ? { pattern: `pat${d.pattern % t.patterns.length}` }
                : { group: `g${d.group % 2}` };
      return {
        id: `r${i}`,
        provider_id: `p${r.provider % t.providers.length}`,
        ...(destination ? { destination } : {}),
        priority: r.priority,
        metric: r.metric,
        ...(r.cost !== undefined ? { cost: r.cost } : {}),
        enabled: r.enabled,
        fallthrough: r.fallthrough,
        fork: r.fork,
        ...(r.failover ? { failover: { on: ['5xx'] } } : {}),
        ...(r.customer ? { customer_id: r.customer } : {}),
        ...(r.schedule ? { schedule: { ...r.schedule, time_zone: 'Europe/Madrid' } } : {}),
      };
    }),
  }));

const callArb = fc.record({
  destination: fc.oneof(
    fc.stringMatching(/^\+[0-9]{4,12}$/),
    fc.stringMatching(/^\+3491[0-9]{0,8}$/),
    fc.stringMatching(/^[0-9*#]{1,8}$/),
    fc.stringMatching(/^\+3491[0-9]{9,14}$/),
    fc.constantFrom('+1 900 555-0100', '(0034) 91.123', 'alice', '', '+34a911'),
  ),
  source: fc.constantFrom(
    '192.0.2.7',
    '192.0.2.200',
    '::ffff:192.0.2.9',
    '2001:db8::5',
    '198.51.100.1',
    '203.0.113.5',
    'not-an-address',
  ),
  header: fc.constantFrom(undefined, 'cu', ' v6 ', 'nobody'),
  open: fc.subarray([1, 2, 3, 4, 5, 6]),
  atLimit: fc.subarray([0, 1, 2, 3, 4]),
  seed: fc.integer(),
  trace: fc.boolean(),
});

// Policies are compiled per table (closures): compare them by their triggers.
function comparable(plan: Plan): object {
  return {
    ...plan,
    attempts: plan.attempts.map((a) => ({ ...a, failover: a.failover.triggers })),
  };
}

describe('the compact planner against the first planner', () => {
  it('gives the same plan, trace and random draws for every table and call', () => {
    fc.assert(
      fc.property(tableArb, fc.array(callArb, { minLength: 1, maxLength: 4 }), (raw, calls) => {
        const v = validateTable(raw);
        expect(v.ok).toBe(true);
        if (!v.ok) return;
        const table: RouteTable = v.table;
        const compiled = compileTable(table);
        const reference = referenceCompile(table);
        for (const call of calls) {
          const open = new Set(call.open.map((g) => `198.51.100.${g}:5060`));
          const limited = new Set(call.atLimit.map((p) => `p${p}`));
          const facts: CallFacts = {
            destination: call.destination,
            sourceAddress: call.source,
            customerHeader: call.header,
            gatewayOpen: (k) => open.has(k.slice(4)),
            providerAtLimit: (p) => limited.has(p),
            ...(call.trace ? {} : { trace: false }),
          };
          const r1 = seededRandom(call.seed);
          const r2 = seededRandom(call.seed);
          const got = planCall(compiled, facts, r1, NOW);
          const want = referencePlan(reference, facts, r2, NOW);
          expect(comparable(got)).toEqual(comparable(want));
          // As many draws consumed: the next value of both sources is the same.
          expect(r1()).toBe(r2());
        }
      }),
      { numRuns: 600 },
    );
  });

  it('finds routes whose prefix is longer than a numeric key holds, and prefers them', () => {
    const v = validateTable({
      providers: [
        { id: 'short', gateways: [{ uri: 'sip:198.51.100.1' }] },
        { id: 'long', gateways: [{ uri: 'sip:198.51.100.2' }] },
      ],
      settings: { allow_unknown_sources: true },
      routes: [
        { id: 'es', provider_id: 'short', destination: { prefix: '+34' } },
        { id: 'one-number', provider_id: 'long', destination: { prefix: '+34911234567890' } },
      ],
    });
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    const plan = planCall(
      compileTable(v.table),
      { destination: '+349112345678901', sourceAddress: '192.0.2.1' },
      seededRandom(1),
      NOW,
    );
    expect(plan.attempts.map((a) => a.routeId)).toEqual(['one-number', 'es']);
  });

  it('agrees on a large table (growing working arrays), huge metrics and a plan made inside a callback', () => {
    const random = seededRandom(99);
    const providers = Array.from({ length: 40 }, (_, p) => ({
      id: `p${p}`,
      gateways: Array.from({ length: 1 + (p % 12) }, (_, g) => ({
        uri: `sip:10.0.${p % 7}.${g}:5060`,
        weight: 1 + ((p + g) % 3),
      })),
    }));
    const routes = Array.from({ length: 400 }, (_, i) => ({
      id: `r${i}`,
      provider_id: `p${i % 40}`,
      ...(i % 3 === 0 ? {} : { destination: { prefix: `+34${'9112345'.slice(0, i % 8)}` } }),
      priority: i % 2,
      // Beyond an int32 for some: read from the route, not the packed row.
      metric: i % 5 === 0 ? 3_000_000_000 + i : 1 + (i % 4),
      ...(i % 4 === 0 ? { customer_id: 'cu' } : {}),
    }));
    const v = validateTable({
      settings: { max_attempts: 100, allow_unknown_sources: true },
      providers,
      customers: [{ id: 'cu', sources: ['192.0.2.0/24'] }],
      routes,
    });
    if (!v.ok) throw new Error(JSON.stringify(v.errors.slice(0, 3)));
    const compiled = compileTable(v.table);
    const reference = referenceCompile(v.table);
    for (let k = 0; k < 20; k++) {
      const seed = Math.floor(random() * 2 ** 31);
      // A callback that plans another call on the same table while this plan runs.
      const nested = (key: string): boolean =>
        planCall(compiled, { destination: '+3491', sourceAddress: '192.0.2.1' }, random, NOW)
          .attempts.length > 0 && key.endsWith('.3:5060');
      for (const trace of [true, false]) {
        const facts: CallFacts = {
          destination: `+3491123456${k}`,
          sourceAddress: k % 2 === 0 ? '192.0.2.1' : '198.51.100.1',
          gatewayOpen: nested,
          trace,
        };
        const r1 = seededRandom(seed);
        const r2 = seededRandom(seed);
        const got = planCall(compiled, facts, r1, NOW);
        const want = referencePlan(reference, facts, r2, NOW);
        expect(got.attempts.length).toBeGreaterThan(16);
        expect(comparable(got)).toEqual(comparable(want));
        expect(r1()).toBe(r2());
      }
    }
  });
});
