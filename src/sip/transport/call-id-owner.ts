/**
 * Which of `count` workers owns a datagram: a hash of its Call-ID, read from the
 * raw bytes before the message is parsed (the owner parses it once). Every
 * message of a call (retransmissions, CANCEL, ACK, in-dialog requests from either
 * side) carries the same Call-ID (RFC 3261 8.1.1.4, 16.6: a proxy does not change
 * it), so one worker sees all of a call. Undefined when no Call-ID is found: the
 * receiver handles the message itself (the parser will answer 400 or drop it).
 */
export function callIdOwner(data: Buffer, count: number): number | undefined {
  const value = findCallId(data);
  if (value === undefined) return undefined;
  // FNV-1a over the value's bytes: cheap, and stable across processes.
  let h = 0x811c9dc5;
  for (let i = value.start; i < value.end; i++) {
    h ^= data[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

const CR = 13;
const LF = 10;
const COLON = 58;
const SP = 32;
const HT = 9;

/** Byte range of the first Call-ID (or compact `i`) header's value, trimmed. */
function findCallId(data: Buffer): { start: number; end: number } | undefined {
  const n = data.length;
  // Skip the start line.
  let i = data.indexOf(LF);
  while (i !== -1 && i + 1 < n) {
    const lineStart = i + 1;
    const c = data[lineStart]!;
    if (c === CR || c === LF) return undefined; // end of the header section
    const nameEnd = headerNameEnd(data, lineStart, n);
    if (nameEnd !== -1 && isCallIdName(data, lineStart, nameEnd)) {
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

function isCallIdName(data: Buffer, start: number, end: number): boolean {
  const len = end - start;
  if (len === 1) return (data[start]! | 0x20) === 0x69; // i
  if (len !== 7) return false;
  const want = 'call-id';
  for (let k = 0; k < 7; k++) {
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
