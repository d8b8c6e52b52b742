import { describe, expect, it } from 'vitest';
import { HealthMonitor, isAlive, type HealthDefaults } from '../../../src/health/health-monitor.js';
import { LocalLimitCounter } from '../../../src/health/limit-counter.js';
import { validateTable } from '../../../src/routing/index.js';
import type { RouteTable } from '../../../src/routing/model.js';
import { FakeClock } from '../../fakes/fake-clock.js';

const defaults: HealthDefaults = {
  probe: {
    enabled: true,
    intervalMs: 1000,
    timeoutMs: 200,
    aliveCodes: ['2xx', '3xx', '4xx', '6xx'],
    downAfter: 3,
    upAfter: 2,
  },
  breaker: { failures: 5, windowMs: 30_000, cooldownMs: 30_000 },
  maxCallMs: 60_000,
};

function table(providers: Array<Record<string, unknown>>): RouteTable {
  const v = validateTable({ providers, routes: [] });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.table;
}

const A = 'udp:127.0.0.1:5071';
const B = 'udp:127.0.0.1:5072';
const twoProviders = (over: Record<string, unknown> = {}) =>
  table([
    { id: 'a', gateways: [{ uri: 'sip:127.0.0.1:5071' }], ...over },
    { id: 'b', gateways: [{ uri: 'sip:127.0.0.1:5072' }], probe: { enabled: false } },
  ]);

/** An attempt record of provider a's gateway, with the fields a test sets. */
const rec = (over: object) => ({
  index: 1,
  route: 'r',
  provider: 'a',
  gateway: A,
  request_uri: '',
  duration_ms: 1,
  ...over,
});

/** A probe sender whose answers the test sets per gateway; it counts the probes. */
function setup(opts: { probe?: boolean; selfBusy?: (ms: number) => boolean } = {}) {
  const clock = new FakeClock();
  const answers = new Map<string, number | 'timeout'>();
  const probes: string[] = [];
  const events: string[] = [];
  const monitor = new HealthMonitor({
    clock,
    defaults,
    counter: new LocalLimitCounter(() => clock.wallNow()),
    probe:
      opts.probe === false
        ? undefined
        : async (g, timeoutMs) => {
            const key = `udp:${g.host}:${g.port}`;
            probes.push(key);
            const a = answers.get(key) ?? 200;
            if (a === 'timeout') {
              await new Promise<void>((r) => clock.setTimer(timeoutMs, r));
              return 'timeout';
            }
            return a;
          },
    onEvent: (e, d) => events.push(`${e} ${String(d.gateway)}`),
    selfBusy: opts.selfBusy,
  });
  /** Moves the fake clock in small steps, letting the probes' promises settle. */
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
  };
  return { clock, answers, probes, events, monitor, run };
}

describe('HealthMonitor', () => {
  it('probes every interval; a gateway is down after down_after failures and up after up_after successes', async () => {
    const t = setup();
    t.monitor.setTable(twoProviders());
    await t.run(100);
    expect(t.probes).toEqual([A]); // b has probing off
    t.answers.set(A, 'timeout');
    // Failures at about 1.2 s, 2.4 s, 3.6 s: down after the third, within interval × 3 (+ timeouts).
    await t.run(2500);
    expect(t.monitor.gatewayOpen(A)).toBe(false);
    await t.run(1200);
    expect(t.monitor.gatewayOpen(A)).toBe(true);
    expect(t.events).toContain(`gateway down ${A}`);
    t.answers.set(A, 200);
    await t.run(1000);
    expect(t.monitor.gatewayOpen(A)).toBe(true); // one success is not enough
    await t.run(1000);
    expect(t.events).toContain(`gateway up ${A}`);
    // Probe failures also fed the breaker (failures: 5 > 3 here, so it stayed closed).
    expect(t.monitor.gatewayOpen(A)).toBe(false);
  });

  it('a 5xx answer to OPTIONS is a failure; 404 shows the gateway is there', () => {
    expect(isAlive(404, defaults.probe.aliveCodes)).toBe(true);
    expect(isAlive(200, defaults.probe.aliveCodes)).toBe(true);
    expect(isAlive(503, defaults.probe.aliveCodes)).toBe(false);
    expect(isAlive(503, ['503'])).toBe(true);
  });

  it('503 with Retry-After opens the gateway for that long, then one call goes through', () => {
    const t = setup({ probe: false });
    t.monitor.setTable(twoProviders());
    t.monitor.onAttemptEnd(
      A,
      {
        index: 1,
        route: 'r',
        provider: 'a',
        gateway: A,
        request_uri: '',
        status: 503,
        duration_ms: 1,
      },
      5,
    );
    expect(t.monitor.gatewayOpen(A)).toBe(true);
    expect(t.monitor.gatewayOpen(B)).toBe(false);
    t.clock.advance(4999);
    expect(t.monitor.gatewayOpen(A)).toBe(true);
    t.clock.advance(1);
    expect(t.monitor.gatewayOpen(A)).toBe(false);
    expect(t.monitor.gateways().find((g) => g.gateway === A)?.breaker).toBe('half-open');
  });

  it('live timeouts and 5xx open the breaker; 486 or a ring timeout count for the gateway', () => {
    const t = setup({ probe: false });
    t.monitor.setTable(twoProviders({ breaker: { failures: 2, cooldown_ms: 1000 } }));
    t.monitor.onAttemptEnd(A, rec({ reason: 'trying_timeout' }));
    t.monitor.onAttemptEnd(A, rec({ status: 486 }));
    t.monitor.onAttemptEnd(A, rec({ status: 500 }));
    expect(t.monitor.gatewayOpen(A)).toBe(false);
    t.monitor.onAttemptEnd(A, rec({ reason: 'transport_error' }));
    expect(t.monitor.gatewayOpen(A)).toBe(true);
    t.clock.advance(1000);
    // Half-open: the first call takes the trial, the next one still skips the gateway.
    expect(t.monitor.gatewayOpen(A)).toBe(false);
    t.monitor.admitAttempt('a', A, 'call-1#0');
    expect(t.monitor.gatewayOpen(A)).toBe(true);
    t.monitor.onAttemptEnd(A, rec({ reason: 'ring_timeout' }));
    expect(t.monitor.gatewayOpen(A)).toBe(false);
    expect(t.monitor.gateways().find((g) => g.gateway === A)?.breaker).toBe('closed');
  });

  it('while trunkroute itself is saturated, timeouts do not count against the gateway; transport errors still do', () => {
    let busy = true;
    const t = setup({ probe: false, selfBusy: () => busy });
    t.monitor.setTable(twoProviders({ breaker: { failures: 2, cooldown_ms: 1000 } }));
    for (let i = 0; i < 5; i++) t.monitor.onAttemptEnd(A, rec({ reason: 'trying_timeout' }));
    t.monitor.onAttemptEnd(A, rec({ reason: 'timeout' }));
    expect(t.monitor.gatewayOpen(A)).toBe(false);
    expect(t.monitor.timeoutsWhileBusy).toBe(6);
    t.monitor.onAttemptEnd(A, rec({ reason: 'transport_error' }));
    t.monitor.onAttemptEnd(A, rec({ reason: 'transport_error' }));
    expect(t.monitor.gatewayOpen(A)).toBe(true);
    // Once we are no longer the bottleneck, timeouts count again.
    busy = false;
    t.clock.advance(1000);
    t.monitor.admitAttempt('a', A, 'call-1#0');
    t.monitor.onAttemptEnd(A, rec({ status: 200 }));
    expect(t.monitor.gatewayOpen(A)).toBe(false);
    t.monitor.onAttemptEnd(A, rec({ reason: 'trying_timeout' }));
    t.monitor.onAttemptEnd(A, rec({ reason: 'trying_timeout' }));
    expect(t.monitor.gatewayOpen(A)).toBe(true);
    expect(t.monitor.timeoutsWhileBusy).toBe(6);
  });

  it("asks whether trunkroute was saturated during the attempt: the look-back is the attempt's duration", () => {
    const asked: number[] = [];
    // Saturated 3 s ago: a 5 s trying timeout overlaps it, a 1 s one does not.
    const t = setup({
      probe: false,
      selfBusy: (ms) => {
        asked.push(ms);
        return ms >= 3000;
      },
    });
    t.monitor.setTable(twoProviders({ breaker: { failures: 1, cooldown_ms: 1000 } }));
    t.monitor.onAttemptEnd(A, rec({ reason: 'trying_timeout', duration_ms: 5000 }));
    expect(t.monitor.gatewayOpen(A)).toBe(false);
    expect(t.monitor.timeoutsWhileBusy).toBe(1);
    t.monitor.onAttemptEnd(A, rec({ reason: 'timeout', duration_ms: 1000 }));
    expect(t.monitor.gatewayOpen(A)).toBe(true);
    expect(asked).toEqual([5000, 1000]);
  });

  it('breaker events from another instance are applied and not sent back', () => {
    const shared: string[] = [];
    const clock = new FakeClock();
    const monitor = new HealthMonitor({
      clock,
      defaults,
      counter: new LocalLimitCounter(() => 0),
      sharing: {
        opened: (g, ms) => shared.push(`open ${g} ${ms}`),
        closed: (g) => shared.push(`closed ${g}`),
      },
    });
    monitor.setTable(twoProviders());
    monitor.applyRemote({ gateway: A, state: 'open', ms: 3000, reason: 'remote 503' });
    expect(monitor.gatewayOpen(A)).toBe(true);
    expect(shared).toEqual([]);
    monitor.onAttemptEnd(
      B,
      {
        index: 1,
        route: 'r',
        provider: 'b',
        gateway: B,
        request_uri: '',
        status: 503,
        duration_ms: 1,
      },
      2,
    );
    expect(shared).toEqual([`open ${B} 2000`]);
    monitor.applyRemote({ gateway: A, state: 'closed' });
    expect(monitor.gatewayOpen(A)).toBe(false);
    monitor.close();
  });

  it('provider max_calls: the planner hint, the slot, and an answered call holds it until its BYE', () => {
    const t = setup({ probe: false });
    t.monitor.setTable(twoProviders({ max_calls: 1 }));
    expect(t.monitor.providerAtLimit('a')).toBe(false);
    expect(t.monitor.admitAttempt('a', A, 'c1#0')).toEqual({ ok: true });
    expect(t.monitor.providerAtLimit('a')).toBe(true);
    expect(t.monitor.admitAttempt('a', A, 'c2#0')).toEqual({ ok: false, refusal: 'max_calls' });
    t.monitor.holdCall('call-1', [{ scope: 'provider', id: 'a', holder: 'c1#0' }]);
    expect(t.monitor.activeCalls('a')).toBe(1);
    t.monitor.callEnded('call-1');
    expect(t.monitor.activeCalls('a')).toBe(0);
    expect(t.monitor.providerAtLimit('a')).toBe(false);
  });

  it('an answered call whose BYE never comes is released after max_call_ms', () => {
    const t = setup({ probe: false });
    t.monitor.setTable(twoProviders({ max_calls: 1 }));
    t.monitor.admitAttempt('a', A, 'c1#0');
    t.monitor.holdCall('call-1', [{ scope: 'provider', id: 'a', holder: 'c1#0' }]);
    t.clock.advance(59_999);
    expect(t.monitor.activeCalls('a')).toBe(1);
    // The sweep runs once a minute (at most): released at the next one after the bound.
    t.clock.advance(60_001);
    expect(t.monitor.activeCalls('a')).toBe(0);
  });

  it('a gateway removed from the table is forgotten and no longer probed', async () => {
    const t = setup();
    t.monitor.setTable(twoProviders());
    await t.run(100);
    t.monitor.setTable(table([{ id: 'b', gateways: [{ uri: 'sip:127.0.0.1:5072' }] }]));
    const before = t.probes.filter((p) => p === A).length;
    await t.run(3000);
    expect(t.probes.filter((p) => p === A).length).toBe(before);
    expect(t.monitor.gateways().map((g) => g.gateway)).toEqual([B]);
    t.monitor.close();
  });

  it('probing turned off and on again by table edits stops and resumes the probes', async () => {
    const t = setup();
    // Probes that time out (200 ms) so that one is in flight when probing is turned off.
    t.answers.set(A, 'timeout');
    t.monitor.setTable(twoProviders());
    await t.run(1300);
    const on = t.probes.length;
    expect(on).toBeGreaterThan(0);
    t.monitor.setTable(twoProviders({ probe: { enabled: false } }));
    await t.run(3000);
    const off = t.probes.length;
    expect(off - on).toBeLessThanOrEqual(1); // at most the one already in flight
    t.monitor.setTable(twoProviders());
    await t.run(3000);
    expect(t.probes.length - off).toBeGreaterThanOrEqual(2);
    t.monitor.close();
  });
});
