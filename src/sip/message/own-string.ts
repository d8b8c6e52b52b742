/**
 * The same text in a string of its own. V8 keeps a substring of 13 or more
 * characters as a view of the string it was cut from, so a header value read
 * from a datagram keeps the whole datagram alive for as long as the value is
 * held; a transaction that holds a few such values for its 32 s held every
 * datagram of the call (issue 14: most of the live heap under load). Joining
 * forces a flat copy, and the slice is then a view of that copy only.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
