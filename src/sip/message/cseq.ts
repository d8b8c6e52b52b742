import { isTokenChar } from './token-char.js';

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * CSeq (RFC 3261 20.16): a 32-bit sequence number and a method, with spaces or
 * tabs around and between them. Read by a scan (every message is read two or
 * three times): a regular expression's match was an array and three strings.
 */
export function parseCSeq(value: string): { seq: number; method: string } | undefined {
  const n = value.length;
  let i = 0;
  while (i < n && isBlank(value.charCodeAt(i))) i++;
  let seq = 0;
  const digits = i;
  for (let c = value.charCodeAt(i); i < n && c >= 0x30 && c <= 0x39; c = value.charCodeAt(++i))
    seq = seq * 10 + (c - 0x30);
  if (i === digits || i - digits > 10 || seq > 0xffffffff) return undefined;
  const gap = i;
  while (i < n && isBlank(value.charCodeAt(i))) i++;
  if (i === gap) return undefined;
  const from = i;
  while (i < n && isTokenChar(value.charCodeAt(i))) i++;
  const to = i;
  if (to === from) return undefined;
  while (i < n && isBlank(value.charCodeAt(i))) i++;
  if (i !== n) return undefined;
  return { seq, method: value.slice(from, to) };
}
