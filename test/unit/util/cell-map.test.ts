import { describe, expect, it } from 'vitest';
import { CellMap } from '../../../src/util/cell-map.js';

describe('CellMap', () => {
  it('answers as a Map does over random sets, gets and deletes', () => {
    const cells = new CellMap<string, { n: number }>();
    const ref = new Map<string, { n: number }>();
    // A fixed linear congruential sequence: the same operations every run.
    let seed = 12345;
    const next = (m: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % m;
    };
    for (let i = 0; i < 20_000; i++) {
      const key = `k${next(200)}`;
      const op = next(3);
      if (op === 0) {
        const value = { n: i };
        expect(cells.set(key, value)).toBe(cells);
        ref.set(key, value);
      } else if (op === 1) {
        expect(cells.delete(key)).toBe(ref.delete(key));
      } else {
        expect(cells.get(key)).toBe(ref.get(key));
        expect(cells.has(key)).toBe(ref.has(key));
      }
      expect(cells.size).toBe(ref.size);
    }
    expect([...cells.keys()]).toEqual([...ref.keys()]);
    expect([...cells.values()]).toEqual([...ref.values()]);
    expect([...cells.entries()]).toEqual([...ref.entries()]);
    expect([...cells]).toEqual([...ref]);
  });

  it('keeps a key in its first place when it is set again', () => {
    const cells = new CellMap<string, number>();
    cells.set('a', 1).set('b', 2).set('a', 3);
    expect([...cells]).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
  });

  it('lets entries be deleted while it is iterated, as a Map does', () => {
    const cells = new CellMap<string, number>();
    for (let i = 0; i < 10; i++) cells.set(`k${i}`, i);
    const seen: number[] = [];
    for (const [key, value] of cells) {
      seen.push(value);
      cells.delete(key);
      // The next entry is deleted before it is reached: it is skipped.
      if (value === 3) cells.delete('k4');
    }
    expect(seen).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(cells.size).toBe(0);
  });

  it('is empty after clear, and a value deleted or cleared is gone', () => {
    const cells = new CellMap<number, string>();
    cells.set(1, 'one').set(2, 'two');
    cells.delete(1);
    expect(cells.get(1)).toBeUndefined();
    expect(cells.has(1)).toBe(false);
    expect(cells.delete(1)).toBe(false);
    cells.clear();
    expect(cells.size).toBe(0);
    expect(cells.get(2)).toBeUndefined();
    expect([...cells.values()]).toEqual([]);
  });
});
