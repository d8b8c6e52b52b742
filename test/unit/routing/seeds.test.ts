import { describe, expect, it } from 'vitest';
import {
  compileTable,
  planCall,
  seededRandom,
  validateTable,
  type CompiledTable,
  type Plan,
} from '../../../src/routing/index.js';

// The seeds' examples (IvozProvider outgoing routing, VoIPBIN's Route API), run as written.

const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);
const PBX = '192.0.2.10';

function compile(raw: object): CompiledTable {
  const v = validateTable(raw);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return compileTable(v.table);
}

function providers(...ids: string[]): object[] {
  return ids.map((id, i) => ({
    id,
    name: id,
    gateways: [{ uri: `sip:198.51.100.${10 + i}:5060` }],
  }));
}

const customers = [{ id: 'pbx', sources: ['192.0.2.0/24'] }];

function plan(c: CompiledTable, destination: string, random = seededRandom(1), source = PBX): Plan {
  return planCall(c, { destination, sourceAddress: source }, random, NOW);
}

function firstShare(c: CompiledTable, provider: string, draws = 30_000): number {
  const random = seededRandom(42);
  let n = 0;
  for (let i = 0; i < draws; i++)
    if (plan(c, '+34911234567', random).attempts[0]!.providerId === provider) n++;
  return n / draws;
}

describe('IvozProvider: priority and metric', () => {
  it('Example 1: priority 1 metric 1 twice → 50/50 of first attempts', () => {
    const c = compile({
      providers: providers('a', 'b'),
      customers,
      routes: [
        { id: 'A', provider_id: 'a', priority: 1, metric: 1 },
        { id: 'B', provider_id: 'b', priority: 1, metric: 1 },
      ],
    });
    expect(Math.abs(firstShare(c, 'a') - 0.5)).toBeLessThan(0.015);
  });

  it('Example 2: metric 1 and 2 → 33/66 of first attempts; the second attempt is the other route', () => {
    const c = compile({
      providers: providers('a', 'b'),
      customers,
      routes: [
        { id: 'A', provider_id: 'a', priority: 1, metric: 1 },
        { id: 'B', provider_id: 'b', priority: 1, metric: 2 },
      ],
    });
    expect(Math.abs(firstShare(c, 'a') - 1 / 3)).toBeLessThan(0.015);
    const p = plan(c, '+34911234567');
    expect(new Set(p.attempts.map((a) => a.providerId))).toEqual(new Set(['a', 'b']));
  });

  it('Failover example: priority 1 then priority 2, always in that order', () => {
    const c = compile({
      providers: providers('a', 'b'),
      customers,
      routes: [
        { id: 'B', provider_id: 'b', priority: 2, metric: 1 },
        { id: 'A', provider_id: 'a', priority: 1, metric: 1 },
      ],
    });
    const random = seededRandom(7);
    for (let i = 0; i < 100; i++) {
      expect(plan(c, '+34911234567', random).attempts.map((a) => a.routeId)).toEqual(['A', 'B']);
    }
  });

  it('a target pattern and a target pattern group both select Spain, and nothing else', () => {
    const base = {
      providers: providers('peering', 'other'),
      patterns: [
        { id: 'spain', name: 'Spain', prefixes: ['+34', '0034'] },
        { id: 'uk', name: 'UK', prefixes: ['+44'] },
      ],
      groups: [{ id: 'europe', name: 'Europe', patterns: ['spain'] }],
      customers,
    };
    for (const destination of [{ pattern: 'spain' }, { group: 'europe' }]) {
      const c = compile({ ...base, routes: [{ id: 'r', provider_id: 'peering', destination }] });
      expect(plan(c, '+34 91 123 45 67').attempts.map((a) => a.providerId)).toEqual(['peering']);
      expect(plan(c, '0034911234567').attempts.map((a) => a.providerId)).toEqual(['peering']);
      const uk = plan(c, '+442071234567');
      expect(uk.outcome).toBe('no-route');
      expect(uk.status).toBe(404);
    }
  });
});

describe('VoIPBIN: common scenarios', () => {
  it('Scenario 1: Telnyx primary, Twilio on failure (503 fails over, 486 does not)', () => {
    const c = compile({
      providers: providers('telnyx', 'twilio'),
      customers,
      routes: [
        {
          id: 'us-primary',
          name: 'US Primary Route',
          provider_id: 'telnyx',
          priority: 1,
          detail: 'Primary route for US outbound calls',
        },
        { id: 'us-backup', name: 'US Backup Route', provider_id: 'twilio', priority: 2 },
      ],
    });
    const p = plan(c, '+15551234567');
    expect(p.attempts.map((a) => a.providerId)).toEqual(['telnyx', 'twilio']);
    expect(p.attempts[0]!.failover.shouldFailover({ kind: 'response', status: 503 })).toBe(true);
    expect(p.attempts[0]!.failover.shouldFailover({ kind: 'response', status: 486 })).toBe(false);
  });

  it('Scenario 2: US to A, EU to B, everything else to C, with C as the last resort', () => {
    const c = compile({
      providers: providers('a', 'b', 'c'),
      customers,
      routes: [
        { id: 'us', provider_id: 'a', destination: { prefix: '+1' } },
        { id: 'uk', provider_id: 'b', destination: { prefix: '+44' } },
        { id: 'de', provider_id: 'b', destination: { prefix: '+49' } },
        { id: 'fr', provider_id: 'b', destination: { prefix: '+33' } },
        { id: 'default', provider_id: 'c' },
      ],
    });
    expect(plan(c, '+15551234567').attempts.map((a) => a.providerId)).toEqual(['a', 'c']);
    expect(plan(c, '+4930123456').attempts.map((a) => a.providerId)).toEqual(['b', 'c']);
    expect(plan(c, '+33123456789').attempts.map((a) => a.providerId)).toEqual(['b', 'c']);
    expect(plan(c, '+81312345678').attempts.map((a) => a.providerId)).toEqual(['c']);
  });

  it('Scenario 3: two customers, each with its own primary, sharing a backup', () => {
    const c = compile({
      providers: providers('premium', 'budget', 'standard'),
      customers: [
        { id: 'enterprise', sources: ['192.0.2.0/25'] },
        { id: 'startup', sources: ['192.0.2.128/25'] },
      ],
      routes: [
        { id: 'ent-primary', customer_id: 'enterprise', provider_id: 'premium', priority: 1 },
        { id: 'start-primary', customer_id: 'startup', provider_id: 'budget', priority: 1 },
        { id: 'backup', provider_id: 'standard', priority: 2 },
      ],
    });
    expect(
      plan(c, '+15551234567', seededRandom(1), '192.0.2.10').attempts.map((a) => a.providerId),
    ).toEqual(['premium', 'standard']);
    expect(
      plan(c, '+15551234567', seededRandom(1), '192.0.2.200').attempts.map((a) => a.providerId),
    ).toEqual(['budget', 'standard']);
    const stranger = plan(c, '+15551234567', seededRandom(1), '203.0.113.9');
    expect(stranger.outcome).toBe('forbidden');
    expect(stranger.status).toBe(403);
  });
});

describe('validation names the entry and the field', () => {
  it('unknown provider, duplicate id, metric ≤ 0, bad CIDR, bad time zone, typo, all at once', () => {
    const v = validateTable({
      providers: providers('telnyx'),
      customers: [{ id: 'c1', sources: ['192.0.2.0/33'] }],
      routes: [
        { id: 'r0', provider_id: 'telnyx' },
        { id: 'r0', provider_id: 'telnyx' },
        { id: 'r2', provider_id: 'telnyx', metric: 0 },
        { id: 'r3', provider_id: 'telnx' },
        { id: 'r4', provider_id: 'telnyx', priorty: 1 },
        { id: 'r5', provider_id: 'telnyx', schedule: { time_zone: 'Mars/Olympus' } },
      ],
    });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    const msgs = v.errors.map((e) => `${e.path}: ${e.message}`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        'customers[0].sources[0]: "192.0.2.0/33" is not an IP address or CIDR',
        'routes[1].id: duplicate route id "r0"',
        'routes[2].metric: must be greater than 0 (got 0)',
        'routes[3].provider_id: unknown provider "telnx"',
        'routes[4].priorty: unknown field "priorty"',
        'routes[5].schedule.time_zone: unknown time zone "Mars/Olympus"',
      ]),
    );
  });
});
