import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../src/observability/metrics.js';
import type { CallRecord } from '../../../src/observability/call-record.js';

function rec(over: Partial<CallRecord>): CallRecord {
  return {
    call_id: 'c',
    source: 'udp:127.0.0.1:5090',
    destination: '+34911234567',
    started_at: '2026-11-23T00:00:00.000Z',
    outcome: 'connected',
    status: 200,
    attempts: [],
    setup_ms: 100,
    ended_at: '2026-11-23T00:00:00.100Z',
    billable_ms: 0,
    ...over,
  };
}

const attempt = (provider: string, over: object) => ({
  index: 1,
  route: `r-${provider}`,
  provider,
  gateway: `udp:127.0.0.1:${provider === 'a' ? 5071 : 5072}`,
  request_uri: 'sip:x@127.0.0.1',
  duration_ms: 5,
  first_response_ms: 5,
  ...over,
});

/** The value of one sample line of the exposition text. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('Metrics', () => {
  it('counts calls, attempts by class and failovers by reason when setup ends', async () => {
    const m = new Metrics({
      sipCounters: () => ({
        received: 10,
        sent: 12,
        droppedMalformed: 2,
        relayedToWorker: 3,
        absorbedShedAcks: 4,
      }),
      activeCalls: () => [{ provider: 'b', calls: 3 }],
      gateways: () => [
        { gateway: 'udp:127.0.0.1:5071', provider: 'a', breaker: 'open', probe_up: false },
      ],
      routeVersion: () => 7,
    });
    for (let i = 0; i < 3; i++) {
      m.observeSetup(
        rec({
          attempts: [attempt('a', { status: 503 }), attempt('b', { status: 200 })],
          pdd_ms: 120,
        }),
      );
    }
    m.observeSetup(
      rec({
        outcome: 'failed',
        status: 404,
        attempts: [attempt('a', { reason: 'trying_timeout' }), attempt('b', { status: 404 })],
      }),
    );
    m.reload('applied');
    m.reload('refused');
    const text = await m.text();
    expect(sample(text, 'trunkroute_calls_total', 'outcome="connected"')).toBe(3);
    expect(sample(text, 'trunkroute_calls_total', 'outcome="failed"')).toBe(1);
    expect(sample(text, 'trunkroute_failovers_total', 'provider="a",reason="503"')).toBe(3);
    expect(sample(text, 'trunkroute_failovers_total', 'provider="a",reason="trying_timeout"')).toBe(
      1,
    );
    // The last attempt of a failed call is not a failover: nothing came after it.
    expect(text).not.toContain('trunkroute_failovers_total{provider="b"');
    expect(
      sample(
        text,
        'trunkroute_attempts_total',
        'provider="b",gateway="udp:127.0.0.1:5072",result="2xx"',
      ),
    ).toBe(3);
    expect(sample(text, 'trunkroute_post_dial_delay_seconds_count', '')).toBeUndefined();
    expect(text).toMatch(/trunkroute_post_dial_delay_seconds_count 3/);
    expect(sample(text, 'trunkroute_active_calls', 'provider="b"')).toBe(3);
    expect(
      sample(text, 'trunkroute_gateway_breaker_state', 'provider="a",gateway="udp:127.0.0.1:5071"'),
    ).toBe(1);
    expect(sample(text, 'trunkroute_gateway_up', 'provider="a",gateway="udp:127.0.0.1:5071"')).toBe(
      0,
    );
    expect(text).toMatch(/trunkroute_route_table_version 7/);
    expect(sample(text, 'trunkroute_route_table_reloads_total', 'outcome="refused"')).toBe(1);
    expect(sample(text, 'trunkroute_sip_messages_total', 'direction="malformed"')).toBe(2);
    expect(sample(text, 'trunkroute_sip_messages_total', 'direction="relayed"')).toBe(3);
    expect(sample(text, 'trunkroute_sip_messages_total', 'direction="absorbed"')).toBe(4);
  });

  it('ASR and ACD per provider from the written records: seizures, answers, billable seconds', async () => {
    const m = new Metrics();
    // Two calls fail over from a (503) to b, which answers; 3 s and 5 s billed.
    for (const billable of [3000, 5000]) {
      m.observeRecord(
        rec({
          attempts: [attempt('a', { status: 503 }), attempt('b', { status: 200 })],
          billable_ms: billable,
          hangup: 'caller',
        }),
      );
    }
    // b rejects one call outright; c is skipped at its limit (nothing sent: no seizure).
    m.observeRecord(
      rec({
        outcome: 'failed',
        status: 486,
        attempts: [attempt('c', { reason: 'provider_limit' }), attempt('b', { status: 486 })],
      }),
    );
    // A 2xx in a call that was cancelled meanwhile (the CANCEL/2xx race) connected nothing.
    m.observeRecord(
      rec({ outcome: 'cancelled', status: 487, attempts: [attempt('a', { status: 200 })] }),
    );
    const text = await m.text();
    expect(sample(text, 'trunkroute_provider_seizures_total', 'provider="a"')).toBe(3);
    expect(sample(text, 'trunkroute_provider_seizures_total', 'provider="b"')).toBe(3);
    expect(sample(text, 'trunkroute_provider_seizures_total', 'provider="c"')).toBeUndefined();
    expect(sample(text, 'trunkroute_provider_answers_total', 'provider="a"')).toBe(0);
    expect(sample(text, 'trunkroute_provider_answers_total', 'provider="b"')).toBe(2);
    expect(sample(text, 'trunkroute_provider_billable_seconds_total', 'provider="b"')).toBe(8);
    expect(sample(text, 'trunkroute_provider_asr', 'provider="a"')).toBe(0);
    expect(sample(text, 'trunkroute_provider_asr', 'provider="b"')).toBeCloseTo(2 / 3, 6);
    expect(sample(text, 'trunkroute_provider_acd_seconds', 'provider="b"')).toBe(4);
    // No answer yet: no average to show.
    expect(sample(text, 'trunkroute_provider_acd_seconds', 'provider="a"')).toBeUndefined();
  });

  it('setup counters do not count ASR/ACD, and the written record does not count setup', async () => {
    const m = new Metrics();
    const r = rec({ attempts: [attempt('b', { status: 200 })], billable_ms: 1000 });
    m.observeSetup(r);
    let text = await m.text();
    expect(sample(text, 'trunkroute_calls_total', 'outcome="connected"')).toBe(1);
    expect(text).not.toContain('trunkroute_provider_seizures_total{');
    m.observeRecord(r);
    text = await m.text();
    expect(sample(text, 'trunkroute_calls_total', 'outcome="connected"')).toBe(1);
    expect(sample(text, 'trunkroute_provider_answers_total', 'provider="b"')).toBe(1);
  });
});
