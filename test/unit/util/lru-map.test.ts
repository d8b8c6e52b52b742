import { describe, expect, it } from 'vitest';
import { LruMap } from '../../../src/util/lru-map.js';

describe('LruMap', () => {
  it('forgets the least recently used key past its size, a get counting as a use', () => {
    const m = new LruMap<number>(3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    expect(m.get('a')).toBe(1);
    m.set('d', 4);
    expect(m.size).toBe(3);
    expect(m.get('b')).toBeUndefined();
    expect(m.get('a')).toBe(1);
    m.set('c', 30);
    m.set('e', 5);
    // d was the least recently used: a and c were used after it.
    expect(m.get('d')).toBeUndefined();
    expect(m.get('c')).toBe(30);
    expect(m.get('e')).toBe(5);
  });

  it('a map of one keeps the last key', () => {
    const m = new LruMap<string>(1);
    m.set('a', 'x');
    m.set('b', 'y');
    expect(m.get('a')).toBeUndefined();
    expect(m.get('b')).toBe('y');
    expect(m.size).toBe(1);
  });

  it('keeps the same keys as a Map re-inserted on every use, over many uses', () => {
    const m = new LruMap<number>(500);
    const plain = new Map<string, number>();
    const use = (k: string, v?: number) => {
      const had = plain.get(k);
      if (had !== undefined) plain.delete(k);
      if (v !== undefined || had !== undefined) plain.set(k, v ?? had!);
      while (plain.size > 500) plain.delete(plain.keys().next().value!);
    };
    for (let i = 0; i < 20_000; i++) {
      const k = `k${(i * 7919) % 1300}`;
      if (i % 3 === 0) {
        expect(m.get(k)).toBe(plain.get(k));
        use(k);
      } else {
        m.set(k, i);
        use(k, i);
      }
    }
    expect(m.size).toBe(plain.size);
    for (const [k, v] of plain) expect(m.get(k)).toBe(v);
  });
});
