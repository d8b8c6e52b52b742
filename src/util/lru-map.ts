/**
 * A map of at most `max` keys that forgets the least recently used first.
 *
 * Not a Map re-inserted on every use (delete, then set, so that its insertion
 * order is the use order): V8 leaves each deleted entry as a hole until it
 * rebuilds the table, and with the table near full it rebuilds it every few
 * operations, each time for every entry. With 100,000 entries one use cost
 * 15-25 µs, where this list costs a pointer swap (BENCHMARKS.md, "A shed
 * INVITE's own work").
 */
export class LruMap<V> {
  private readonly map = new Map<string, Node<V>>();
  /** Least recently used at the head, most recently at the tail. */
  private head?: Node<V>;
  private tail?: Node<V>;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  /** The value, which now counts as the most recently used. */
  get(key: string): V | undefined {
    const n = this.map.get(key);
    if (!n) return undefined;
    if (n !== this.tail) {
      this.unlink(n);
      this.append(n);
    }
    return n.value;
  }

  /** Sets the key as the most recently used; past `max` keys the least recently used goes. */
  set(key: string, value: V): void {
    const n = this.map.get(key);
    if (n) {
      n.value = value;
      this.get(key);
      return;
    }
    while (this.map.size >= this.max && this.head) {
      const oldest = this.head;
      this.unlink(oldest);
      this.map.delete(oldest.key);
    }
    const fresh: Node<V> = { key, value, prev: undefined, next: undefined };
    this.map.set(key, fresh);
    this.append(fresh);
  }

  private unlink(n: Node<V>): void {
    if (n.prev) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = undefined;
  }

  private append(n: Node<V>): void {
    n.prev = this.tail;
    if (this.tail) this.tail.next = n;
    else this.head = n;
    this.tail = n;
  }
}

interface Node<V> {
  key: string;
  value: V;
  prev: Node<V> | undefined;
  next: Node<V> | undefined;
}
