import { describe, expect, it } from 'vitest';
import { LocalLimitCounter } from '../../../src/health/limit-counter.js';

describe('LocalLimitCounter', () => {
  it('max_calls: the third concurrent call is refused until one ends', () => {
    const c = new LocalLimitCounter(() => 0);
    const lim = { maxCalls: 2 };
    expect(c.acquire('provider', 'a', 'c1', lim)).toEqual({ ok: true });
    expect(c.acquire('provider', 'a', 'c2', lim)).toEqual({ ok: true });
    expect(c.acquire('provider', 'a', 'c3', lim)).toEqual({ ok: false, refusal: 'max_calls' });
    expect(c.active('provider', 'a')).toBe(2);
    c.release('provider', 'a', 'c1');
    expect(c.acquire('provider', 'a', 'c3', lim)).toEqual({ ok: true });
    // Another provider and the customer scope count apart.
    expect(c.acquire('provider', 'b', 'c1', lim)).toEqual({ ok: true });
    expect(c.acquire('customer', 'a', 'c1', lim)).toEqual({ ok: true });
  });

  it('max_cps: counts new calls per clock second; refusals do not count', () => {
    let now = 10_000;
    const c = new LocalLimitCounter(() => now);
    const lim = { maxCps: 3 };
    const results = Array.from(
      { length: 5 },
      (_, i) => c.acquire('provider', 'a', `c${i}`, lim).ok,
    );
    expect(results).toEqual([true, true, true, false, false]);
    now = 10_999;
    expect(c.acquire('provider', 'a', 'x', lim).ok).toBe(false);
    now = 11_000;
    expect(c.acquire('provider', 'a', 'y', lim).ok).toBe(true);
  });

  it('no limits: always admitted, still counted for metrics', () => {
    const c = new LocalLimitCounter(() => 0);
    for (let i = 0; i < 50; i++) expect(c.acquire('provider', 'a', `c${i}`, {}).ok).toBe(true);
    expect(c.active('provider', 'a')).toBe(50);
    c.release('provider', 'a', 'c0');
    c.release('provider', 'a', 'c0');
    expect(c.active('provider', 'a')).toBe(49);
  });
});
