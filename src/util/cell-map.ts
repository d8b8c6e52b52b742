/** One entry's value, emptied when the entry goes. */
interface Cell<V> {
  v: V | undefined;
}

/**
 * A Map for entries that come and go by the thousand a second and hold large
 * object graphs (a transaction and its messages, a call in setup): each value
 * sits in a small cell that is emptied when its entry is deleted.
 *
 * Why: when V8 rebuilds a Map's hash table (it does so as deletions fill it),
 * the old table keeps its entries and a link to the new table. Once one old
 * table has been promoted to the old generation, the young-generation GC takes
 * every pointer in it as live until the next full GC, and through the links
 * every later table too, with whatever their entries still point at: a call
 * that was in such a Map at a rebuild was copied and promoted whole, though
 * nothing referenced it any more (issue 14; docs/performance.md, "Deleted is
 * let go"; bench/map-promotion.bench.mjs). With cells, a stale table keeps an
 * empty cell alive and nothing behind it.
 */
export class CellMap<K, V> {
  private readonly map = new Map<K, Cell<V>>();

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key)?.v;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    const cell = this.map.get(key);
    if (cell) cell.v = value;
    else this.map.set(key, { v: value });
    return this;
  }

  delete(key: K): boolean {
    const cell = this.map.get(key);
    if (!cell) return false;
    cell.v = undefined;
    return this.map.delete(key);
  }

  clear(): void {
    for (const cell of this.map.values()) cell.v = undefined;
    this.map.clear();
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  *values(): IterableIterator<V> {
    for (const cell of this.map.values()) yield cell.v as V;
  }

  /** In insertion order, as a Map's; an entry deleted meanwhile is not reached. */
  *entries(): IterableIterator<[K, V]> {
    for (const [key, cell] of this.map) yield [key, cell.v as V];
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
