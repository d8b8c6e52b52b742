/**
 * Destination prefix → route indices, for one scope, in typed arrays.
 *
 * A dialling prefix (validated as `+?[0-9*#]+`) of up to 13 characters packs into one
 * number: four bits per character, every character coded non-zero, so "1" and "01" get
 * different keys and a key also encodes its length. A table of a million prefixes is
 * then an open-addressing hash of doubles and int32s (about 24 MB) instead of a Map of
 * a million strings and arrays, and a lookup computes the keys of the number's prefixes
 * as it reads the number, without slicing a string per length.
 */

/** Characters one numeric key holds (13 × 4 bits = 52 bits, exact in a double). */
export const MAX_KEY_LENGTH = 13;

/** `find` result when no route has the prefix. */
export const ABSENT = 0x7fffffff;

const CODE = new Uint8Array(128);
for (let d = 0; d <= 9; d++) CODE[48 + d] = d + 1;
CODE['*'.charCodeAt(0)] = 11;
CODE['#'.charCodeAt(0)] = 12;
CODE['+'.charCodeAt(0)] = 13;

/** The code of one character of a number, 0 when no prefix can contain it. */
export function keyCode(charCode: number): number {
  return charCode < 128 ? CODE[charCode]! : 0;
}

/** A prefix's numeric key, or -1 when it does not fit one (too long, other characters). */
export function prefixKey(prefix: string): number {
  if (prefix.length === 0 || prefix.length > MAX_KEY_LENGTH) return -1;
  let key = 0;
  for (let i = 0; i < prefix.length; i++) {
    const code = keyCode(prefix.charCodeAt(i));
    if (code === 0) return -1;
    key = key * 16 + code;
  }
  return key;
}

function slotOf(key: number, mask: number): number {
  // Both 32-bit halves, mixed (murmur3's finaliser) so that nearby keys spread out.
  let h = (key >>> 0) ^ Math.imul((key / 4294967296) >>> 0, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & mask;
}

export class PrefixIndex {
  constructor(
    /** The longest prefix held: a lookup never reads further into the number. */
    readonly maxLength: number,
    /**
     * Bit n set when some numeric key is n characters long: a lookup skips the
     * lengths no prefix has (a probe into a large table is a cache miss).
     */
    readonly keyLengths: number,
    /** Routes with no destination (every number), in table order. */
    readonly catchAll: Int32Array,
    /**
     * Route lists for prefixes shared by several routes: a count, then the route
     * indices in table order. `find` returns `~offset` for these.
     */
    readonly lists: Int32Array,
    private readonly keys: Float64Array,
    private readonly values: Int32Array,
    /** Prefixes that do not fit a numeric key, by string; rare (over 13 characters). */
    private readonly other: Map<string, number[]>,
    /** otherLengths[n] = 1 when `other` holds a prefix of n characters. */
    private readonly otherLengths: Uint8Array,
  ) {}

  /** ABSENT, a route index (≥ 0), or `~offset` of a list in `lists` (< 0). */
  find(key: number): number {
    const mask = this.values.length - 1;
    for (let s = slotOf(key, mask); ; s = (s + 1) & mask) {
      const k = this.keys[s]!;
      if (k === key) return this.values[s]!;
      if (k === 0) return ABSENT;
    }
  }

  /** Whether prefixes of this length live outside the numeric keys. */
  hasOther(length: number): boolean {
    return length < this.otherLengths.length && this.otherLengths[length] === 1;
  }

  findOther(prefix: string): readonly number[] | undefined {
    return this.other.get(prefix);
  }
}

/** Collects (prefix, route) pairs in table order, then freezes them into a PrefixIndex. */
export class PrefixIndexBuilder {
  private readonly keys: Float64Array;
  private readonly values: Int32Array;
  /** Slots whose prefix several routes share, with their routes: few, so a Map is fine. */
  private readonly shared = new Map<number, number[]>();
  private readonly other = new Map<string, number[]>();
  private readonly catchAll: number[] = [];
  private maxLength = 0;
  private keyLengths = 0;
  private otherMax = 0;

  /** `expected`: how many pairs will be added, to size the table at most half full. */
  constructor(expected: number) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.keys = new Float64Array(capacity);
    this.values = new Int32Array(capacity);
  }

  /** Each (prefix, route) pair once; routes in table order. */
  add(prefix: string, route: number): void {
    if (prefix.length > this.maxLength) this.maxLength = prefix.length;
    const key = prefixKey(prefix);
    if (key < 0) {
      const list = this.other.get(prefix);
      if (list) list.push(route);
      else this.other.set(prefix, [route]);
      if (prefix.length > this.otherMax) this.otherMax = prefix.length;
      return;
    }
    this.keyLengths |= 1 << prefix.length;
    const mask = this.values.length - 1;
    for (let s = slotOf(key, mask); ; s = (s + 1) & mask) {
      const k = this.keys[s]!;
      if (k === 0) {
        this.keys[s] = key;
        this.values[s] = route;
        return;
      }
      if (k === key) {
        const list = this.shared.get(s);
        if (list) list.push(route);
        else this.shared.set(s, [this.values[s]!, route]);
        return;
      }
    }
  }

  addCatchAll(route: number): void {
    this.catchAll.push(route);
  }

  build(): PrefixIndex {
    let size = 0;
    for (const list of this.shared.values()) size += 1 + list.length;
    const lists = new Int32Array(size);
    let offset = 0;
    for (const [slot, list] of this.shared) {
      this.values[slot] = ~offset;
      lists[offset++] = list.length;
      for (const r of list) lists[offset++] = r;
    }
    const otherLengths = new Uint8Array(this.other.size > 0 ? this.otherMax + 1 : 0);
    for (const p of this.other.keys()) otherLengths[p.length] = 1;
    return new PrefixIndex(
      this.maxLength,
      this.keyLengths,
      Int32Array.from(this.catchAll),
      lists,
      this.keys,
      this.values,
      this.other,
      otherLengths,
    );
  }
}
