import { describe, expect, it } from 'vitest';
import {
  ABSENT,
  MAX_KEY_LENGTH,
  PrefixIndexBuilder,
  prefixKey,
  type PrefixIndex,
} from '../../../src/routing/prefix-index.js';

// The compiled table's prefix → routes map: every prefix found with its routes in
// table order, no prefix confused with another.

function routesOf(index: PrefixIndex, prefix: string): number[] {
  const key = prefixKey(prefix);
  if (key < 0) return [...(index.findOther(prefix) ?? [])];
  const v = index.find(key);
  if (v === ABSENT) return [];
  if (v >= 0) return [v];
  return Array.from(index.lists.subarray(~v + 1, ~v + 1 + index.lists[~v]!));
}

describe('prefix keys', () => {
  it('differ for prefixes that differ only by leading zeros, a plus or a star', () => {
    const keys = ['1', '01', '001', '+1', '+01', '*1', '#1', '1*', '10', '100'].map(prefixKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((k) => k > 0)).toBe(true);
  });

  it('do not hold prefixes longer than 13 characters or other characters', () => {
    expect(prefixKey('+349112345678')).toBeGreaterThan(0);
    expect(prefixKey('+3491123456789')).toBe(-1);
    expect(MAX_KEY_LENGTH).toBe(13);
    expect(prefixKey('34a')).toBe(-1);
    expect(prefixKey('')).toBe(-1);
  });
});

describe('prefix index', () => {
  it('finds every one of 50,000 prefixes with its routes, and nothing else', () => {
    const prefixes = Array.from({ length: 50_000 }, (_, i) => `+${(i * 7919) % 1_000_003}`);
    const builder = new PrefixIndexBuilder(prefixes.length + 3);
    prefixes.forEach((p, i) => builder.add(p, i));
    // Three more routes on an existing prefix: one list, in table order.
    for (const r of [50_000, 50_001, 50_002]) builder.add(prefixes[123]!, r);
    const index = builder.build();
    prefixes.forEach((p, i) => {
      if (i !== 123) expect(routesOf(index, p)).toEqual([i]);
    });
    expect(routesOf(index, prefixes[123]!)).toEqual([123, 50_000, 50_001, 50_002]);
    expect(routesOf(index, '+999999999')).toEqual([]);
    expect(routesOf(index, '0')).toEqual([]);
  });

  it('keeps long prefixes by string, catch-alls apart, and knows which lengths exist', () => {
    const builder = new PrefixIndexBuilder(3);
    builder.add('+34', 0);
    builder.add('+34911234567890', 1);
    builder.add('+34911234567890', 2);
    builder.addCatchAll(3);
    const index = builder.build();
    expect(routesOf(index, '+34911234567890')).toEqual([1, 2]);
    expect(index.hasOther(15)).toBe(true);
    expect(index.hasOther(14)).toBe(false);
    expect(index.maxLength).toBe(15);
    expect(index.keyLengths).toBe(1 << 3);
    expect(Array.from(index.catchAll)).toEqual([3]);
  });
});
