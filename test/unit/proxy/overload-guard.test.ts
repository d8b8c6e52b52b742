import { describe, expect, it } from 'vitest';
import { OverloadGuard } from '../../../src/proxy/overload-guard.js';

describe('OverloadGuard', () => {
  it('lets a source burst one second of its rate, then refills at the rate', () => {
    let now = 0;
    const g = new OverloadGuard({ sourceRate: 10, maxCallsInSetup: 0, maxSources: 100 }, () => now);
    const first = Array.from({ length: 12 }, () => g.check('192.0.2.1', 0));
    expect(first.filter((r) => r === undefined)).toHaveLength(10);
    expect(first.slice(10)).toEqual(['source_rate', 'source_rate']);
    // Another source is not affected.
    expect(g.check('192.0.2.2', 0)).toBeUndefined();
    now = 300; // 3 tokens back
    const later = Array.from({ length: 4 }, () => g.check('192.0.2.1', 0));
    expect(later).toEqual([undefined, undefined, undefined, 'source_rate']);
  });

  it('refuses every new call while calls in setup are at the cap', () => {
    const g = new OverloadGuard({ sourceRate: 0, maxCallsInSetup: 5, maxSources: 100 }, () => 0);
    expect(g.check('192.0.2.1', 4)).toBeUndefined();
    expect(g.check('192.0.2.1', 5)).toBe('calls_in_setup');
  });

  it('tracks at most maxSources addresses, forgetting the least recently seen', () => {
    let now = 0;
    const g = new OverloadGuard({ sourceRate: 1, maxCallsInSetup: 0, maxSources: 3 }, () => now);
    for (let i = 0; i < 1000; i++) g.check(`198.51.100.${i % 250}.${i}`, 0);
    expect(g.trackedSources).toBe(3);
    g.check('a', 0);
    expect(g.check('a', 0)).toBe('source_rate');
    for (const s of ['b', 'c', 'd']) g.check(s, 0);
    // 'a' was forgotten: it starts with a full bucket again.
    now = 1;
    expect(g.check('a', 0)).toBeUndefined();
  });
  it('asks the load shedder only for calls within their source rate, and names load when it sheds', () => {
    let asked = 0;
    const shedAll = {
      admit: () => {
        asked++;
        return false;
      },
      noteTurnedAway: () => undefined,
    };
    const g = new OverloadGuard(
      { sourceRate: 2, maxCallsInSetup: 0, maxSources: 100 },
      () => 0,
      shedAll,
    );
    expect([1, 2, 3].map(() => g.check('192.0.2.1', 0))).toEqual(['load', 'load', 'source_rate']);
    expect(asked).toBe(2);
    const open = new OverloadGuard({ sourceRate: 0, maxCallsInSetup: 0, maxSources: 1 }, () => 0, {
      admit: () => true,
      noteTurnedAway: () => undefined,
    });
    expect(open.check('192.0.2.1', 0)).toBeUndefined();
    const noRate = new OverloadGuard(
      { sourceRate: 0, maxCallsInSetup: 0, maxSources: 1 },
      () => 0,
      shedAll,
    );
    expect(noRate.check('192.0.2.1', 0)).toBe('load');
  });

  it('puts only known sources to the shedder; strangers and capped INVITEs are counted as turned away', () => {
    const seen: string[] = [];
    const load = {
      admit: () => {
        seen.push('admit');
        return true;
      },
      noteTurnedAway: () => seen.push('away'),
    };
    const g = new OverloadGuard(
      { sourceRate: 1, maxCallsInSetup: 3, maxSources: 10 },
      () => 0,
      load,
    );
    const looked: string[] = [];
    const known = (source: string): boolean => {
      looked.push(source);
      return source !== '192.0.2.9';
    };
    expect(g.check('192.0.2.1', 0, known)).toBeUndefined();
    // A stranger goes on to its 403, and is not shed.
    expect(g.check('192.0.2.9', 0, known)).toBeUndefined();
    expect(g.check('192.0.2.1', 0, known)).toBe('source_rate');
    expect(g.check('192.0.2.2', 3, known)).toBe('calls_in_setup');
    expect(seen).toEqual(['admit', 'away', 'away', 'away']);
    // The source is looked up only when the shedder is asked.
    expect(looked).toEqual(['192.0.2.1', '192.0.2.9']);
  });

  it('answers a retransmission of an INVITE it turned away the same way, even once the load has gone, until Timer B', () => {
    let now = 0;
    let shedding = true;
    const shedder = { admit: () => !shedding, noteTurnedAway: () => {} };
    const g = new OverloadGuard(
      { sourceRate: 0, maxCallsInSetup: 0, maxSources: 100 },
      () => now,
      shedder,
    );
    expect(g.check('192.0.2.1', 0, undefined, 'z9hG4bK-1|192.0.2.1:5060|INVITE')).toBe('load');
    expect(g.repeated('z9hG4bK-1|192.0.2.1:5060|INVITE')).toEqual({
      reason: 'load',
      answered: false,
    });
    // The load has gone: a new INVITE is taken, but the caller's retransmission of
    // the one turned away (sent before our 503 reached it) is not a new call.
    shedding = false;
    now = 800;
    expect(g.check('192.0.2.1', 0, undefined, 'z9hG4bK-2|192.0.2.1:5060|INVITE')).toBeUndefined();
    expect(g.repeated('z9hG4bK-2|192.0.2.1:5060|INVITE')).toBeUndefined();
    expect(g.repeated('z9hG4bK-1|192.0.2.1:5060|INVITE')?.reason).toBe('load');
    // Past Timer B (64 × T1) it is forgotten.
    now = 32_001;
    expect(g.repeated('z9hG4bK-1|192.0.2.1:5060|INVITE')).toBeUndefined();
  });

  it('does not answer again a retransmission that left the caller before its answer left us, and answers one sent after', () => {
    let now = 0;
    // Datagrams wait 300 ms in our queue.
    const shedder = { admit: () => false, noteTurnedAway: () => {}, queueDelayMs: 300 };
    const g = new OverloadGuard(
      { sourceRate: 0, maxCallsInSetup: 0, maxSources: 100 },
      () => now,
      shedder,
    );
    const key = 'z9hG4bK-1|192.0.2.1:5060|INVITE';
    expect(g.check('192.0.2.1', 0, undefined, key)).toBe('load');
    // Read 250 ms after the 503 left: it was in our queue while the 503 went out.
    now = 250;
    expect(g.repeated(key)).toEqual({ reason: 'load', answered: true });
    // Read 300 ms after it: sent once the 503 had left, so perhaps about a lost
    // 503, and answered; the next is measured from this answer.
    now = 300;
    expect(g.repeated(key)).toEqual({ reason: 'load', answered: false });
    now = 599;
    expect(g.repeated(key)?.answered).toBe(true);
    now = 600;
    expect(g.repeated(key)?.answered).toBe(false);
    // With no queue, every retransmission is answered (RFC 3261 8.2.7).
    shedder.queueDelayMs = 0;
    now = 601;
    expect(g.repeated(key)?.answered).toBe(false);
  });

  it('remembers a bounded number of INVITEs turned away, the oldest making room', () => {
    const g = new OverloadGuard({ sourceRate: 0, maxCallsInSetup: 1, maxSources: 100 }, () => 0);
    for (let i = 0; i < 60_000; i++) g.check('192.0.2.1', 5, undefined, `k${i}`);
    expect(g.rememberedTurnedAway).toBe(50_000);
    expect(g.repeated('k0')).toBeUndefined();
    expect(g.repeated('k59999')?.reason).toBe('calls_in_setup');
  });
});
