import { Fifo } from './fifo.js';

/**
 * Keys remembered for a while with a value each: at most `max` of them, each
 * for `ttlMs`, the oldest forgotten first.
 *
 * A Map alone, trimmed by iterating from its front, does the same, but V8
 * leaves a deleted entry as a hole until it next rebuilds the table, and every
 * iteration from the front walks the holes again. With one key in and one out
 * per call (a flood past the cap) that walk cost more than anything else a
 * shed INVITE did (BENCHMARKS.md, "A shed INVITE's own work"). So the order
 * lives in a queue of its own (fifo.ts).
 */
export class RecentKeys<V> {
  private readonly map = new Map<string, Entry<V>>();
  /** Insertion order; an entry whose key was set again or forgotten since is skipped. */
  private readonly order = new Fifo<{ key: string; entry: Entry<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** The value, while the key is remembered. */
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (this.now() - e.at > this.ttlMs) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Remembers the key (again: from now), and forgets what is past its time or over the cap. */
  set(key: string, value: V): void {
    const now = this.now();
    const entry = { value, at: now };
    this.map.set(key, entry);
    this.order.push({ key, entry });
    this.trim(now);
  }

  private trim(now: number): void {
    for (let o = this.order.peek(); o; o = this.order.peek()) {
      const live = this.map.get(o.key) === o.entry;
      if (live && this.map.size <= this.max && now - o.entry.at <= this.ttlMs) break;
      if (live) this.map.delete(o.key);
      this.order.shift();
    }
  }
}

interface Entry<V> {
  value: V;
  at: number;
}
