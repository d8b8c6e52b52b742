import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Scene, failoverTable, DIALLED, type ProviderTrunk } from './harness/scene.js';
import { startRedis, type RedisServer } from './harness/redis.js';
import type { TrunkrouteProcess } from './harness/trunkroute.js';
import type { CallRecord } from '../../src/observability/call-record.js';

// Issue 6 end to end: probes, breakers, limits, metrics and call records, with
// real SIPp providers and callers, real trunkroute processes and a real redis-server.

const scene = new Scene();
let redis: RedisServer | undefined;
afterEach(async () => {
  await scene.stopAll();
  await redis?.stop();
  redis = undefined;
});

const providersOf = (r: CallRecord): string[] => r.attempts.map((a) => a.provider);
/** The providers an INVITE was actually sent to (not those skipped at their limit). */
const sentTo = (r: CallRecord): string[] =>
  r.attempts.filter((a) => a.reason !== 'provider_limit').map((a) => a.provider);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The value of one sample of the Prometheus text. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function get(tr: TrunkrouteProcess, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${tr.apiPort}${path}`);
  return res.text();
}

/** One call; the record trunkroute wrote for it. */
async function oneCall(tr: TrunkrouteProcess): Promise<CallRecord> {
  const before = tr.records().length;
  const r = await scene.call(tr);
  expect(r.successfulCalls).toBe(1);
  const recs = await tr.waitForRecords(before + 1);
  return recs[before]!;
}

describe('gateway health (real SIPp)', () => {
  it('a provider that stops answering is marked down by its probes, skipped by new calls, and back after a restart', async () => {
    const probe = { enabled: true, interval_ms: 500, timeout_ms: 300, down_after: 2, up_after: 2 };
    let a: ProviderTrunk = await scene.provider(
      'a',
      { answer: true, probed: true },
      { calls: 1000 },
    );
    const b = await scene.provider('b', { answer: true, probed: true }, { calls: 1000 });
    const tr = await scene.trunkroute(
      failoverTable([
        { ...a, extra: { probe } },
        { ...b, extra: { probe } },
      ]),
    );
    expect(providersOf(await oneCall(tr))).toEqual(['a']);

    a.sipp!.kill();
    await a.sipp!.done;
    const killedAt = Date.now();
    // Down within interval × down_after, plus the probe timeouts and a margin for a busy machine.
    await tr.waitForLog(
      (l) => l.msg === 'gateway down' && l.gateway === a.key,
      500 * 2 + 300 * 2 + 2000,
    );
    expect(Date.now() - killedAt).toBeLessThan(500 * 2 + 300 * 2 + 2000);

    // Straight to B: one attempt, connected well before A's trying timeout (2 s) could have run out.
    const skipped = await oneCall(tr);
    expect(providersOf(skipped)).toEqual(['b']);
    expect(skipped.setup_ms).toBeLessThan(2000);
    const explain = JSON.parse(
      await get(tr, `/v1.0/explain?destination=${encodeURIComponent(DIALLED)}&source=127.0.0.1`),
    ) as { text: string };
    expect(explain.text).toContain(`${a.key} skipped (breaker open)`);

    a = await scene.provider('a', { answer: true, probed: true }, { calls: 1000, port: a.port });
    await tr.waitForLog((l) => l.msg === 'gateway up' && l.gateway === a.key, 500 * 2 + 3000);
    expect(providersOf(await oneCall(tr))).toEqual(['a']);
  });

  it('503 with Retry-After: 5 from A: calls in the next 5 s go straight to B, then A is tried again', async () => {
    const a = await scene.provider('a', { retryAfter: 5 }, { calls: 1000 });
    const b = await scene.provider('b', { answer: true }, { calls: 1000 });
    const tr = await scene.trunkroute(failoverTable([a, b]));

    const first = await oneCall(tr);
    const openedAt = Date.now();
    expect(first.attempts.map((x) => x.status)).toEqual([503, 200]);
    for (let i = 0; i < 3; i++) {
      expect(providersOf(await oneCall(tr))).toEqual(['b']);
      await sleep(700);
    }
    expect(Date.now() - openedAt).toBeLessThan(5000);
    const metrics = await get(tr, '/metrics');
    expect(
      sample(metrics, `trunkroute_gateway_breaker_state{provider="a",gateway="${a.key}"}`),
    ).toBe(1);

    await sleep(Math.max(0, 5200 - (Date.now() - openedAt)));
    expect((await oneCall(tr)).attempts.map((x) => x.status)).toEqual([503, 200]);
    a.sipp!.kill();
    expect((await a.sipp!.done).createdCalls).toBe(2);
  });

  it('a customer over its max_calls gets 503 with Retry-After; its other call connects', async () => {
    const a = await scene.provider('a', { answer: true, delayMs: 2500 }, { calls: 1000 });
    const tr = await scene.trunkroute(failoverTable([a], {}, { max_calls: 1 }));
    const long = await scene.caller(tr);
    await sleep(800);
    const refused = await scene.call(tr, { expect: 503 });
    expect(refused.successfulCalls).toBe(1);
    expect((await long.done).successfulCalls).toBe(1);
    const recs = await tr.waitForRecords(2);
    expect(recs.map((r) => `${r.outcome} ${r.status}`).sort()).toEqual([
      'connected 200',
      'rejected 503',
    ]);
  });

  it('/metrics after 100 calls through A=503 → B=200 counts exactly 100 failovers from A and 100 calls on B, as the records and SIPp do', async () => {
    const a = await scene.provider(
      'a',
      { reject: 503, reason: 'Service Unavailable' },
      { calls: 1000 },
    );
    const b = await scene.provider('b', { answer: true }, { calls: 1000 });
    // A's breaker is off: every call must still try A for the counts to be exact.
    const tr = await scene.trunkroute(
      failoverTable([{ ...a, extra: { breaker: { failures: 0 } } }, b]),
    );
    const caller = await scene.call(tr, { calls: 100, rate: 50 });
    expect(caller.successfulCalls).toBe(100);
    expect(caller.failedCalls).toBe(0);
    const recs = await tr.waitForRecords(100);
    expect(recs.filter((r) => r.attempts.map((x) => x.status).join() === '503,200')).toHaveLength(
      100,
    );

    const metrics = await get(tr, '/metrics');
    expect(sample(metrics, 'trunkroute_failovers_total{provider="a",reason="503"}')).toBe(100);
    expect(
      sample(metrics, `trunkroute_attempts_total{provider="b",gateway="${b.key}",result="2xx"}`),
    ).toBe(100);
    expect(
      sample(metrics, `trunkroute_attempts_total{provider="a",gateway="${a.key}",result="5xx"}`),
    ).toBe(100);
    expect(sample(metrics, 'trunkroute_calls_total{outcome="connected"}')).toBe(100);
    expect(sample(metrics, 'trunkroute_post_dial_delay_seconds_count')).toBe(100);
    // Every BYE passed: no call holds a slot any more.
    expect(sample(metrics, 'trunkroute_active_calls{provider="b"}')).toBe(0);
    expect(sample(metrics, 'trunkroute_sip_messages_total{direction="malformed"}')).toBe(0);

    a.sipp!.kill();
    b.sipp!.kill();
    const [ra, rb] = await Promise.all([a.sipp!.done, b.sipp!.done]);
    expect(ra.createdCalls).toBe(100);
    expect(rb.successfulCalls).toBe(100);
  });
});

describe('health shared by instances on one redis-server', () => {
  async function twoInstances(
    table: object,
    health: Record<string, unknown> = {},
  ): Promise<[TrunkrouteProcess, TrunkrouteProcess, Redis]> {
    redis = await startRedis();
    const config = { redis: { url: redis.url }, health: { sync_poll_ms: 500, ...health } };
    const tr1 = await scene.trunkroute(table, config);
    const tr2 = await scene.trunkroute(table, config);
    const client = new Redis(redis.url, { lazyConnect: true });
    await client.connect();
    return [tr1, tr2, client];
  }

  it('a breaker opened by instance 1 (503 Retry-After) is honoured by instance 2; both write the record stream', async () => {
    const a = await scene.provider('a', { retryAfter: 5 }, { calls: 1000 });
    const b = await scene.provider('b', { answer: true }, { calls: 1000 });
    const [tr1, tr2, client] = await twoInstances(failoverTable([a, b]));
    try {
      expect((await oneCall(tr1)).attempts.map((x) => x.status)).toEqual([503, 200]);
      expect(providersOf(await oneCall(tr2))).toEqual(['b']);
      a.sipp!.kill();
      expect((await a.sipp!.done).createdCalls).toBe(1);

      const entries = (await client.xrange('trunkroute:calls', '-', '+')) as Array<
        [string, string[]]
      >;
      expect(entries).toHaveLength(2);
      const fields = entries.map(([, f]) => Object.fromEntries(pairs(f)));
      expect(fields.map((f) => f.outcome)).toEqual(['connected', 'connected']);
      expect(new Set(fields.map((f) => f.instance)).size).toBe(2);
      expect((JSON.parse(fields[0]!.attempts!) as unknown[]).length).toBe(2);
    } finally {
      client.disconnect();
    }
  });

  it('max_calls: 2 on A holds across both instances under 10 concurrent calls', async () => {
    const a = await scene.provider('a', { answer: true, delayMs: 1500 }, { calls: 1000 });
    const b = await scene.provider('b', { answer: true }, { calls: 1000 });
    const [tr1, tr2, client] = await twoInstances(
      failoverTable([{ ...a, extra: { max_calls: 2 } }, b]),
    );
    client.disconnect();
    const callers = await Promise.all(
      [tr1, tr2].map((tr) => scene.caller(tr, { calls: 5, rate: 50, limit: 5, holdMs: 3000 })),
    );
    const results = await Promise.all(callers.map((c) => c.done));
    expect(results.map((r) => r.successfulCalls)).toEqual([5, 5]);
    a.sipp!.kill();
    b.sipp!.kill();
    const [ra, rb] = await Promise.all([a.sipp!.done, b.sipp!.done]);
    expect(ra.createdCalls).toBe(2);
    expect(rb.createdCalls).toBe(8);
    const recs = [...(await tr1.waitForRecords(5)), ...(await tr2.waitForRecords(5))];
    expect(
      recs.filter((r) => r.attempts.some((x) => x.provider === 'a' && x.status === 200)),
    ).toHaveLength(2);
  });

  it('an instance killed with calls in progress leaves no slot stuck once the lease runs out', async () => {
    const lease = 4000;
    const a = await scene.provider('a', { answer: true }, { calls: 1000 });
    const b = await scene.provider('b', { answer: true }, { calls: 1000 });
    const [tr1, tr2, client] = await twoInstances(
      failoverTable([{ ...a, extra: { max_calls: 2 } }, b]),
      { lease_ms: lease },
    );
    client.disconnect();
    // Two long calls through instance 1 take both of A's slots.
    const held = await scene.caller(tr1, { calls: 2, rate: 50, limit: 2, holdMs: 30_000 });
    // Answered calls are recorded when they end: while they are up, /healthz and
    // /metrics show them (both on A).
    let up: { answered_calls_up?: number } = {};
    for (let i = 0; i < 200 && up.answered_calls_up !== 2; i++) {
      if (i > 0) await sleep(50);
      up = JSON.parse(await get(tr1, '/healthz')) as typeof up;
    }
    expect(up.answered_calls_up).toBe(2);
    expect(await get(tr1, '/metrics')).toContain('trunkroute_active_calls{provider="a"} 2');
    expect(tr1.records()).toHaveLength(0);
    process.kill(tr1.pid, 'SIGKILL');
    await tr1.exited;
    held.kill();

    // The dead instance's slots still count until their lease runs out...
    const during = await oneCall(tr2);
    expect(sentTo(during)).toEqual(['b']);
    expect(during.attempts[0]).toMatchObject({ provider: 'a', reason: 'provider_limit' });
    await sleep(lease + 1000);
    // ...then A has both slots again.
    await scene.call(tr2, { calls: 2, rate: 50, limit: 2, holdMs: 1000 });
    const recs = await tr2.waitForRecords(3);
    expect(recs.slice(1).map(sentTo)).toEqual([['a'], ['a']]);
  });
});

describe('health while Redis is away', () => {
  it('redis-server stopped: calls still connect with limits counted per instance; restarted: breakers are shared again', async () => {
    redis = await startRedis();
    const a = await scene.provider('a', { retryAfter: 3 }, { calls: 1000 });
    const b = await scene.provider('b', { answer: true }, { calls: 1000 });
    const config = { redis: { url: redis.url }, health: { sync_poll_ms: 300 } };
    const table = failoverTable([a, { ...b, extra: { max_calls: 5 } }]);
    const tr1 = await scene.trunkroute(table, config);
    const tr2 = await scene.trunkroute(table, config);

    await redis.stop();
    for (const tr of [tr1, tr2]) {
      const r = await scene.call(tr, { calls: 3, rate: 20 });
      expect(r.successfulCalls).toBe(3);
    }
    // Each instance saw A's Retry-After itself: one 503 each, then straight to B.
    // (An answered call is recorded at its BYE, whose log line can reach us after
    // the caller's SIPp has exited: wait for the records, do not read them at once.)
    for (const tr of [tr1, tr2])
      expect((await tr.waitForRecords(3)).map((r) => r.attempts.length)).toEqual([2, 1, 1]);

    await redis.restart();
    await sleep(3500); // both breakers closed again, clients reconnected
    expect((await oneCall(tr1)).attempts.map((x) => x.status)).toEqual([503, 200]);
    await sleep(300);
    expect(providersOf(await oneCall(tr2))).toEqual(['b']);
  });
});

function pairs(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
