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
    duration_ms: 100,
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
  it('counts calls, attempts by class and failovers by reason from the call records', async () => {
    const m = new Metrics({
      sipCounters: () => ({ received: 10, sent: 12, droppedMalformed: 2, relayedToWorker: 3 }),
      activeCalls: () => [{ provider: 'b', calls: 3 }],
      gateways: () => [
        { gateway: 'udp:127.0.0.1:5071', provider: 'a', breaker: 'open', probe_up: false },
      ],
      routeVersion: () => 7,
    });
    for (let i = 0; i < 3; i++) {
      m.observeCall(
        rec({
          attempts: [attempt('a', { status: 503 }), attempt('b', { status: 200 })],
          pdd_ms: 120,
        }),
      );
    }
    m.observeCall(
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
  });
});
