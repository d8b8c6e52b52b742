import { describe, expect, it } from 'vitest';
import { RecentKeys } from '../../../src/util/recent-keys.js';

describe('RecentKeys', () => {
  it('remembers a key for its time, and no longer', () => {
    let now = 0;
    const k = new RecentKeys<string>(1000, 10, () => now);
    k.set('a', 'x');
    now = 1000;
    expect(k.get('a')).toBe('x');
    now = 1001;
    expect(k.get('a')).toBeUndefined();
    expect(k.size).toBe(0);
  });

  it('forgets the oldest beyond the cap, and what is past its time as new keys come', () => {
    let now = 0;
    const k = new RecentKeys<number>(1000, 3, () => now);
    for (let i = 0; i < 5; i++) k.set(`k${i}`, i);
    expect(k.size).toBe(3);
    expect(k.get('k1')).toBeUndefined();
    expect(k.get('k2')).toBe(2);
    now = 2000;
    k.set('late', 9);
    expect(k.size).toBe(1);
    expect(k.get('late')).toBe(9);
  });

  it('a key set again counts from then, and its first place in the order does not forget it', () => {
    let now = 0;
    const k = new RecentKeys<string>(1000, 3, () => now);
    k.set('a', 'first');
    k.set('b', 'b');
    now = 500;
    k.set('a', 'second');
    now = 1200;
    // b is past its time; a (set again at 500) is not.
    k.set('c', 'c');
    expect(k.get('b')).toBeUndefined();
    expect(k.get('a')).toBe('second');
    // The cap counts keys, not how often they were set.
    k.set('d', 'd');
    expect(k.size).toBe(3);
    expect(k.get('a')).toBe('second');
    k.set('e', 'e');
    expect(k.get('a')).toBeUndefined();
    expect(k.get('c')).toBe('c');
  });

  it('stays exact over many keys in and out (the order array compacted on the way)', () => {
    let now = 0;
    const k = new RecentKeys<number>(10_000, 5000, () => now);
    // The plain Map it stands for: insertion order kept by deleting before setting.
    const plain = new Map<string, { v: number; at: number }>();
    const put = (key: string, v: number) => {
      k.set(key, v);
      plain.delete(key);
      plain.set(key, { v, at: now });
      for (const [pk, pv] of plain) {
        if (plain.size <= 5000 && now - pv.at <= 10_000) break;
        plain.delete(pk);
      }
    };
    // A key a millisecond first (the cap forgets), then one every 3 ms (the time does).
    for (let i = 0; i < 60_000; i++) {
      now += i < 30_000 ? 1 : 3;
      put(`k${i}`, i);
      if (i % 7 === 0) put(`k${i - 3}`, -i);
    }
    expect(k.size).toBe(plain.size);
    for (let i = -3; i < 60_000; i++) expect(k.get(`k${i}`)).toBe(plain.get(`k${i}`)?.v);
  });
});
