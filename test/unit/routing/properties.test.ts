import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scheduleOpen } from '../../../src/routing/schedule.js';
import {
  compileTable,
  planCall,
  seededRandom,
  validateTable,
  type Plan,
  type RouteTable,
} from '../../../src/routing/index.js';

// Properties of every plan over random tables and calls (DESIGN §3).

const digits = fc.stringMatching(/^[0-9]{1,4}$/);
const NOW = Date.UTC(2026, 0, 7, 10, 30);

const tableArb = fc
  .record({
    providers: fc.array(
      fc.record({
        gateways: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
        enabled: fc.boolean(),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    routes: fc.array(
      fc.record({
        provider: fc.nat(),
        prefix: fc.option(
          digits.map((d) => `+${d}`),
          { nil: undefined },
        ),
        priority: fc.integer({ min: 0, max: 3 }),
        metric: fc.integer({ min: 1, max: 5 }),
        enabled: fc.boolean(),
        customer: fc.boolean(),
        fallthrough: fc.boolean(),
        schedule: fc.option(
          fc.record({
            from: fc.constantFrom('00:00', '09:00', '12:00'),
            to: fc.constantFrom('11:00', '18:00'),
          }),
          { nil: undefined },
        ),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    maxAttempts: fc.integer({ min: 1, max: 8 }),
  })
  .map(({ providers, routes, maxAttempts }) => ({
    settings: { max_attempts: maxAttempts },
    // Gateways are drawn from a small shared pool so duplicates across providers happen.
    providers: providers.map((p, i) => ({
      id: `p${i}`,
      enabled: p.enabled,
      gateways: [...new Set(p.gateways)].map((g) => ({ uri: `sip:198.51.100.${g}:5060` })),
    })),
    customers: [{ id: 'cu', sources: ['192.0.2.0/24'] }],
    routes: routes.map((r, i) => ({
      id: `r${i}`,
      provider_id: `p${r.provider % providers.length}`,
      ...(r.prefix ? { destination: { prefix: r.prefix } } : {}),
      priority: r.priority,
      metric: r.metric,
      enabled: r.enabled,
      fallthrough: r.fallthrough,
      ...(r.customer ? { customer_id: 'cu' } : {}),
      ...(r.schedule ? { schedule: { ...r.schedule, time_zone: 'Europe/Madrid' } } : {}),
    })),
  }));

function check(table: RouteTable, plan: Plan, open: Set<string>): void {
  const byId = new Map(table.routes.map((r) => [r.id, r]));
  const providers = new Map(table.providers.map((p) => [p.id, p]));
  const keys = plan.attempts.map((a) => a.gatewayKey);
  expect(new Set(keys).size).toBe(keys.length);
  expect(plan.attempts.length).toBeLessThanOrEqual(table.settings.max_attempts);
  const allSkipped = plan.trace.some((t) => t.message.startsWith('every gateway is unavailable'));
  let seenDefault = false;
  let last: { customer: boolean; len: number; prio: number } | undefined;
  for (const a of plan.attempts) {
    const r = byId.get(a.routeId)!;
    expect(r.enabled).toBe(true);
    expect(providers.get(r.provider_id)!.enabled).toBe(true);
    if (r.schedule) expect(scheduleOpen(r.schedule, NOW)).toBe(true);
    if (!allSkipped) expect(open.has(a.gatewayKey)).toBe(false);
    const customer = r.customer_id !== undefined;
    if (!customer) seenDefault = true;
    else expect(seenDefault).toBe(false);
    const len = r.destination && 'prefix' in r.destination ? r.destination.prefix.length : 0;
    if (last && last.customer === customer) {
      expect(len).toBeLessThanOrEqual(last.len);
      if (len === last.len) expect(r.priority).toBeGreaterThanOrEqual(last.prio);
    }
    last = { customer, len, prio: r.priority };
  }
}

describe('route plans over random tables', () => {
  it('never a disabled route, closed schedule, open breaker or duplicate gateway; order holds; same seed, same plan', () => {
    fc.assert(
      fc.property(
        tableArb,
        fc.stringMatching(/^\+[0-9]{4,12}$/),
        fc.subarray([1, 2, 3, 4, 5, 6]),
        fc.integer(),
        (raw, number, openGws, seed) => {
          const v = validateTable(raw);
          expect(v.ok).toBe(true);
          if (!v.ok) return;
          const compiled = compileTable(v.table);
          const open = new Set(openGws.map((g) => `udp:198.51.100.${g}:5060`));
          const facts = {
            destination: number,
            sourceAddress: '192.0.2.7',
            gatewayOpen: (k: string) => open.has(k),
          };
          const p1 = planCall(compiled, facts, seededRandom(seed), NOW);
          const p2 = planCall(compiled, facts, seededRandom(seed), NOW);
          expect(p2.attempts.map((a) => a.gatewayKey)).toEqual(
            p1.attempts.map((a) => a.gatewayKey),
          );
          check(v.table, p1, open);
        },
      ),
      { numRuns: 400 },
    );
  });
});
