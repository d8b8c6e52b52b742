import { describe, expect, it } from 'vitest';
import { EstablishedCalls } from '../../../src/proxy/established-calls.js';
import type { CallRecord } from '../../../src/observability/call-record.js';
import { FakeClock } from '../../fakes/fake-clock.js';

function setupRecord(clock: FakeClock, callId: string): CallRecord {
  const now = new Date(clock.wallNow()).toISOString();
  return {
    call_id: callId,
    source: 'udp:127.0.0.1:5090',
    destination: '+34911234567',
    started_at: now,
    outcome: 'connected',
    status: 200,
    attempts: [],
    setup_ms: 250,
    answered_at: now,
    ended_at: now,
    billable_ms: 0,
  };
}

function setup(leaseMs = 10_000, maxCalls = 100) {
  const clock = new FakeClock();
  const ended: CallRecord[] = [];
  const calls = new EstablishedCalls({ clock, leaseMs, maxCalls, onEnd: (r) => ended.push(r) });
  const answer = (callId: string): void =>
    calls.answered(setupRecord(clock, callId), `tag-${callId}`);
  return { clock, ended, calls, answer };
}

describe('EstablishedCalls', () => {
  it("keeps the call's Record-Route token until its end, for the ACK and BYE to be checked against", () => {
    const t = setup();
    t.calls.answered(setupRecord(t.clock, 'c1'), 'tag-c1', 'token-of-c1');
    t.answer('c2');
    expect(t.calls.dialogToken('c1')).toBe('token-of-c1');
    expect(t.calls.dialogToken('c2')).toBeUndefined();
    expect(t.calls.dialogToken('c3')).toBeUndefined();
    t.calls.bye('c1', 'tag-c1');
    expect(t.calls.dialogToken('c1')).toBeUndefined();
  });

  it("writes nothing at the answer; the caller's BYE completes the record once", () => {
    const t = setup();
    t.answer('c1');
    expect(t.ended).toHaveLength(0);
    t.clock.advance(3000);
    t.calls.bye('c1', 'tag-c1');
    t.calls.bye('c1', 'tag-c1'); // a second BYE (glare, a retransmission) writes nothing more
    expect(t.ended).toHaveLength(1);
    const r = t.ended[0]!;
    expect(r).toMatchObject({ hangup: 'caller', billable_ms: 3000, setup_ms: 250 });
    expect(Date.parse(r.ended_at) - Date.parse(r.answered_at!)).toBe(3000);
    expect(t.calls.size).toBe(0);
  });

  it("a BYE with another From tag (the callee's) reads callee", () => {
    const t = setup();
    t.answer('c1');
    t.clock.advance(1200);
    t.calls.bye('c1', 'provider-tag');
    expect(t.ended[0]).toMatchObject({ hangup: 'callee', billable_ms: 1200 });
  });

  it('a BYE for a call it does not hold (never answered, already ended) is ignored', () => {
    const t = setup();
    t.calls.bye('unknown', 'x');
    expect(t.ended).toHaveLength(0);
  });

  it('a call whose BYE never comes is written with hangup timeout when its lease runs out', () => {
    const t = setup(10_000);
    t.answer('c1');
    t.clock.advance(4000);
    t.answer('c2');
    t.clock.advance(5999);
    expect(t.ended).toHaveLength(0);
    t.clock.advance(1);
    expect(t.ended.map((r) => [r.call_id, r.hangup, r.billable_ms])).toEqual([
      ['c1', 'timeout', 10_000],
    ]);
    t.clock.advance(4000);
    expect(t.ended.map((r) => r.call_id)).toEqual(['c1', 'c2']);
    // Nothing left, nothing armed: an idle registry costs no timer.
    expect(t.clock.armed).toBe(0);
  });

  it('a call that ended by BYE is not written again when its lease would have run out', () => {
    const t = setup(10_000);
    t.answer('c1');
    t.calls.bye('c1', 'tag-c1');
    t.clock.advance(20_000);
    expect(t.ended).toHaveLength(1);
  });

  it('past its cap the oldest call is written at once (timeout), so it never grows unbounded', () => {
    const t = setup(10_000, 2);
    t.answer('c1');
    t.answer('c2');
    t.clock.advance(500);
    t.answer('c3');
    expect(t.ended.map((r) => [r.call_id, r.hangup, r.billable_ms])).toEqual([
      ['c1', 'timeout', 500],
    ]);
    expect(t.calls.size).toBe(2);
  });

  it('endAll writes every call still up with hangup shutdown, and any answered later too', () => {
    const t = setup();
    t.answer('c1');
    t.answer('c2');
    t.clock.advance(700);
    t.calls.endAll();
    expect(t.ended.map((r) => [r.call_id, r.hangup, r.billable_ms])).toEqual([
      ['c1', 'shutdown', 700],
      ['c2', 'shutdown', 700],
    ]);
    t.answer('c3');
    expect(t.ended.map((r) => [r.call_id, r.hangup, r.billable_ms])[2]).toEqual([
      'c3',
      'shutdown',
      0,
    ]);
    expect(t.clock.armed).toBe(0);
  });
});
