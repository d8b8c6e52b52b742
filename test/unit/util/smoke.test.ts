import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../fakes/fake-clock.js';

describe('FakeClock', () => {
  it('fires timers in due order only when advanced', () => {
    const c = new FakeClock();
    const seen: string[] = [];
    c.setTimer(20, () => seen.push('b'));
    c.setTimer(10, () => seen.push('a'));
    const t = c.setTimer(15, () => seen.push('x'));
    t.cancel();
    c.advance(9);
    expect(seen).toEqual([]);
    c.advance(11);
    expect(seen).toEqual(['a', 'b']);
    expect(c.now()).toBe(20);
  });
});
