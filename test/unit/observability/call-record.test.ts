import { describe, expect, it } from 'vitest';
import { newAttemptRecord, newCallRecord } from '../../../src/observability/call-record.js';

// Records of every kind of call have the same fields in the same order (one
// hidden class for the code that reads them), and what is absent stays absent
// from what is written.

describe('call records', () => {
  const base = {
    call_id: 'c1',
    source: '192.0.2.1',
    destination: '34911',
    started_at: '2026-12-04T00:00:00.000Z',
    status: 503,
    attempts: [],
    setup_ms: 3,
    ended_at: '2026-12-04T00:00:00.003Z',
    billable_ms: 0,
  };

  it('a failed call and an answered one have the same fields, in the same order', () => {
    const failed = newCallRecord({ ...base, outcome: 'failed' });
    const answered = newCallRecord({
      ...base,
      outcome: 'connected',
      status: 200,
      customer: 'acme',
      pdd_ms: 2,
      answered_at: base.ended_at,
      hangup: 'caller',
      instance: 'h:1',
    });
    expect(Object.keys(failed)).toEqual(Object.keys(answered));
    const a = newAttemptRecord({
      index: 1,
      route: 'r',
      provider: 'p',
      gateway: 'g',
      request_uri: 'sip:1@h',
    });
    a.status = 200;
    const b = newAttemptRecord({
      index: 2,
      route: 'r',
      provider: 'p',
      gateway: 'g',
      request_uri: 'sip:1@h',
    });
    b.reason = 'timeout';
    expect(Object.keys(a)).toEqual(Object.keys(b));
  });

  it('what is absent is not written', () => {
    const written = JSON.parse(
      JSON.stringify(newCallRecord({ ...base, outcome: 'failed' })),
    ) as object;
    for (const k of ['customer', 'pdd_ms', 'answered_at', 'hangup', 'instance'])
      expect(written).not.toHaveProperty(k);
    expect(written).toMatchObject({
      call_id: 'c1',
      outcome: 'failed',
      status: 503,
      billable_ms: 0,
    });
    const attempt = JSON.parse(
      JSON.stringify(
        newAttemptRecord({ index: 1, route: 'r', provider: 'p', gateway: 'g', request_uri: 'u' }),
      ),
    ) as object;
    expect(Object.keys(attempt)).toEqual([
      'index',
      'route',
      'provider',
      'gateway',
      'request_uri',
      'duration_ms',
    ]);
  });
});
