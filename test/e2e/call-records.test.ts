import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { SCENARIOS, Scene, failoverTable } from './harness/scene.js';
import { startRedis, type RedisServer } from './harness/redis.js';
import type { TrunkrouteProcess } from './harness/trunkroute.js';
import type { CallRecord } from '../../src/observability/call-record.js';

// Full call records (issue 15): an answered call is written once, at its end, with
// when it was answered and ended, what is billable and who hung up.

const scene = new Scene();
let redis: RedisServer | undefined;
afterEach(async () => {
  await scene.stopAll();
  await redis?.stop();
  redis = undefined;
});

/** Milliseconds between two ISO times of one record. */
const between = (from: string | undefined, to: string | undefined): number =>
  Date.parse(to ?? '') - Date.parse(from ?? '');

/** Answered calls still up in the instance (/healthz), polled until `n` (bounded). */
async function waitForUp(tr: TrunkrouteProcess, n: number): Promise<void> {
  let up: unknown;
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`http://127.0.0.1:${tr.apiPort}/healthz`);
    up = ((await res.json()) as { answered_calls_up?: number }).answered_calls_up;
    if (up === n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`answered_calls_up stayed ${String(up)}, expected ${n}`);
}

/** The stream entries' fields, one object per entry. */
async function streamEntries(url: string): Promise<Array<Record<string, string>>> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  try {
    const entries = (await client.xrange('trunkroute:calls', '-', '+')) as Array<
      [string, string[]]
    >;
    return entries.map(([, flat]) => {
      const o: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
      return o;
    });
  } finally {
    client.disconnect();
  }
}

/** The log line's record as the stream must carry it: every field, as text. */
function asStream(r: CallRecord): Record<string, string> {
  const o: Record<string, string> = {};
  for (const [k, v] of Object.entries(r) as Array<[string, unknown]>) {
    if (v !== undefined) o[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return o;
}

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('call records (real SIPp)', () => {
  it('a 3-second call: written once at the BYE, answered_at/ended_at, about 3 s billable, hangup caller; the stream entry equals the log line', async () => {
    redis = await startRedis();
    const a = await scene.provider('a', { answer: true });
    const tr = await scene.trunkroute(failoverTable([a]), { redis: { url: redis.url } });
    const caller = await scene.caller(tr, { holdMs: 3000 });
    await waitForUp(tr, 1);
    // Answered and up: nothing written yet.
    expect(tr.records()).toHaveLength(0);
    expect((await caller.done).successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec).toMatchObject({ outcome: 'connected', status: 200, hangup: 'caller' });
    expect(rec!.billable_ms).toBeGreaterThan(2500);
    expect(rec!.billable_ms).toBeLessThan(4500);
    expect(between(rec!.answered_at, rec!.ended_at)).toBeGreaterThan(2500);
    expect(between(rec!.started_at, rec!.answered_at)).toBeLessThan(
      between(rec!.started_at, rec!.ended_at),
    );
    expect(rec!.setup_ms).toBeLessThan(rec!.billable_ms);
    await waitForUp(tr, 0);

    let entries: Array<Record<string, string>> = [];
    for (let i = 0; i < 100 && entries.length === 0; i++) {
      entries = await streamEntries(redis.url);
      if (entries.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(entries).toEqual([asStream(rec!)]);
    // Exactly one record for the call, also in the log.
    expect(tr.records()).toHaveLength(1);
  });

  it('a call the provider hangs up reads hangup callee', async () => {
    // The provider hangs up 1 s after the answer (its -d is the pause before its BYE).
    const a = await scene.provider(
      'a',
      { scenario: join(SCENARIOS, 'provider-answer-bye.xml') },
      { extraArgs: ['-d', '1000'] },
    );
    const tr = await scene.trunkroute(failoverTable([a]));
    const r = await scene.call(tr, { scenario: 'caller-await-bye.xml' });
    expect(r.successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec).toMatchObject({ outcome: 'connected', hangup: 'callee' });
    expect(rec!.answered_at).toBeDefined();
    expect(rec!.billable_ms).toBeGreaterThan(700);
    expect(rec!.billable_ms).toBeLessThan(3000);
    // The provider saw its BYE answered: it went through trunkroute to the caller and back.
    expect((await a.sipp!.done).successfulCalls).toBe(1);
  });

  it('a call whose BYE never comes reads hangup timeout once health.max_call_ms has run out', async () => {
    const a = await scene.provider('a', { answer: true });
    const tr = await scene.trunkroute(failoverTable([a]), { health: { max_call_ms: 2000 } });
    const r = await scene.call(tr, { scenario: 'caller-no-bye.xml' });
    expect(r.successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1, 15_000);
    expect(rec).toMatchObject({ outcome: 'connected', hangup: 'timeout' });
    // The lease is 2 s from the answer; a loaded machine may write it somewhat later.
    expect(rec!.billable_ms).toBeGreaterThanOrEqual(2000);
    expect(rec!.billable_ms).toBeLessThan(4500);
    // The provider's slot went with it.
    await waitForUp(tr, 0);
    const metrics = await (await fetch(`http://127.0.0.1:${tr.apiPort}/metrics`)).text();
    expect(sample(metrics, 'trunkroute_active_calls', 'provider="a"')).toBe(0);
  });

  it('a call still up at SIGTERM is written with hangup shutdown before the process exits (log and stream)', async () => {
    redis = await startRedis();
    const a = await scene.provider('a', { answer: true });
    const tr = await scene.trunkroute(failoverTable([a]), { redis: { url: redis.url } });
    await scene.caller(tr, { holdMs: 20_000 });
    await waitForUp(tr, 1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(tr.records()).toHaveLength(0);
    process.kill(tr.pid, 'SIGTERM');
    expect(await tr.exited).toBe(0);
    const recs = tr.records();
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ outcome: 'connected', hangup: 'shutdown' });
    expect(recs[0]!.billable_ms).toBeGreaterThanOrEqual(1000);
    expect(recs[0]!.billable_ms).toBeLessThan(10_000);
    // The process is gone: whatever the stream holds was written before it exited.
    expect(await streamEntries(redis.url)).toEqual([asStream(recs[0]!)]);
  });

  it('after a mixed run /metrics shows ASR and ACD per provider: a rejects (503), b answers', async () => {
    const calls = 3;
    const a = await scene.provider('a', { reject: 503 }, { calls });
    const b = await scene.provider('b', { answer: true }, { calls });
    const tr = await scene.trunkroute(failoverTable([a, b]));
    const r = await scene.call(tr, { calls, rate: 10, holdMs: 1000 });
    expect(r.successfulCalls).toBe(calls);
    const recs = await tr.waitForRecords(calls);
    expect(recs.map((x) => x.attempts.map((t) => t.status))).toEqual(
      Array.from({ length: calls }, () => [503, 200]),
    );
    const billed = recs.reduce((s, x) => s + x.billable_ms, 0) / 1000;
    const text = await (await fetch(`http://127.0.0.1:${tr.apiPort}/metrics`)).text();
    expect(sample(text, 'trunkroute_provider_seizures_total', 'provider="a"')).toBe(calls);
    expect(sample(text, 'trunkroute_provider_answers_total', 'provider="a"')).toBe(0);
    expect(sample(text, 'trunkroute_provider_seizures_total', 'provider="b"')).toBe(calls);
    expect(sample(text, 'trunkroute_provider_answers_total', 'provider="b"')).toBe(calls);
    expect(sample(text, 'trunkroute_provider_billable_seconds_total', 'provider="b"')).toBeCloseTo(
      billed,
      3,
    );
    expect(sample(text, 'trunkroute_provider_asr', 'provider="a"')).toBe(0);
    expect(sample(text, 'trunkroute_provider_asr', 'provider="b"')).toBe(1);
    const acd = sample(text, 'trunkroute_provider_acd_seconds', 'provider="b"')!;
    expect(acd).toBeCloseTo(billed / calls, 3);
    // About the 1 s hold, allowing for a loaded machine.
    expect(acd).toBeGreaterThan(0.8);
    expect(acd).toBeLessThan(2.5);
  });
});
