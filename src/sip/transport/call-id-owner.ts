import { rawHeaderValue } from './raw-header.js';

/**
 * Which of `count` workers owns a datagram: a hash of its Call-ID, read from the
 * raw bytes before the message is parsed (the owner parses it once). Every
 * message of a call (retransmissions, CANCEL, ACK, in-dialog requests from either
 * side) carries the same Call-ID (RFC 3261 8.1.1.4, 16.6: a proxy does not change
 * it), so one worker sees all of a call. Undefined when no Call-ID is found: the
 * receiver handles the message itself (the parser will answer 400 or drop it).
 */
export function callIdOwner(data: Buffer, count: number): number | undefined {
  const value = rawHeaderValue(data, 'call-id', 'i');
  if (value === undefined) return undefined;
  // FNV-1a over the value's bytes: cheap, and stable across processes.
  let h = 0x811c9dc5;
  for (let i = value.start; i < value.end; i++) {
    h ^= data[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}
