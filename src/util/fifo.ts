/**
 * A first-in, first-out queue in an array read from an index that only moves
 * forward: `Array.prototype.shift` moves every element each time, and a Map
 * used as a queue leaves holes V8 walks again (docs/performance.md, "No Map is
 * used as a queue"). What has been read is let go at once, and the array is
 * compacted once the read part is most of it: amortised O(1) an item.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Takes the oldest item out; undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    // Read: the array no longer keeps it alive.
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
