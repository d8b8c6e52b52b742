/**
 * Reading a header from a datagram's bytes before it is parsed: for decisions
 * made on every datagram (which worker owns it, whether it can be dropped) that
 * must cost less than the parse. Only what the parser would read the same way
 * is found; anything else is left to the parser (the caller then takes the
 * ordinary path).
 */

const CR = 13;
const LF = 10;
const COLON = 58;
const SP = 32;
const HT = 9;

/**
 * Byte range of the first header's value (trimmed) whose name is `long` or its
 * compact form `compact` (RFC 3261 7.3.3), in any case; both given in lower
 * case. Undefined when the header section has none, or its value is empty.
 */
export function rawHeaderValue(
  data: Buffer,
  long: string,
  compact: string,
): { start: number; end: number } | undefined {
  const n = data.length;
  // Skip the start line.
  let i = data.indexOf(LF);
  while (i !== -1 && i + 1 < n) {
    const lineStart = i + 1;
    const c = data[lineStart]!;
    if (c === CR || c === LF) return undefined; // end of the header section
    const nameEnd = headerNameEnd(data, lineStart, n);
    if (nameEnd !== -1 && isName(data, lineStart, nameEnd, long, compact)) {
      let s = data.indexOf(COLON, nameEnd) + 1;
      let e = lineEnd(data, s, n);
      while (s < e && (data[s] === SP || data[s] === HT)) s++;
      while (e > s && (data[e - 1] === SP || data[e - 1] === HT || data[e - 1] === CR)) e--;
      return s < e ? { start: s, end: e } : undefined;
    }
    i = data.indexOf(LF, lineStart);
  }
  return undefined;
}

/** End of a header name (before optional whitespace and the colon), or -1. */
function headerNameEnd(data: Buffer, start: number, n: number): number {
  let j = start;
  while (j < n) {
    const c = data[j]!;
    if (c === COLON || c === SP || c === HT) break;
    if (c === CR || c === LF) return -1;
    j++;
  }
  let k = j;
  while (k < n && (data[k] === SP || data[k] === HT)) k++;
  return k < n && data[k] === COLON ? j : -1;
}

function isName(data: Buffer, start: number, end: number, long: string, compact: string): boolean {
  const len = end - start;
  const want = len === compact.length ? compact : len === long.length ? long : undefined;
  if (want === undefined) return false;
  for (let k = 0; k < len; k++) {
    if ((data[start + k]! | 0x20) !== want.charCodeAt(k)) return false;
  }
  return true;
}

/** End of a header line, following folded continuation lines (RFC 3261 7.3.1). */
function lineEnd(data: Buffer, from: number, n: number): number {
  let e = data.indexOf(LF, from);
  while (e !== -1 && e + 1 < n && (data[e + 1] === SP || data[e + 1] === HT)) {
    e = data.indexOf(LF, e + 1);
  }
  return e === -1 ? n : e;
}
