import type { SipRequest } from '../sip/message/sip-message.js';
import { tagOf } from '../sip/message/name-addr.js';

/**
 * RFC 3261 16.6 step 8 / 16.3 step 4: the part of our branch that lets us tell a
 * loop (the same request comes back to us unchanged) from a spiral (it comes back
 * with another Request-URI). FNV-1a over the fields that identify the request.
 */
export function loopHash(req: SipRequest): string {
  const cseq = req.get('cseq') ?? '';
  const seq = cseq.trim().split(/\s+/)[0] ?? '';
  const parts = [
    req.uri,
    req.get('call-id') ?? '',
    seq,
    tagOf(req.get('from') ?? '') ?? '',
    tagOf(req.get('to') ?? '') ?? '',
  ];
  return fnv1a(parts);
}

/** FNV-1a over a list of strings (with a separator between them), base 36. */
export function fnv1a(parts: readonly string[]): string {
  let h = 0x811c9dc5;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      h ^= p.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= 0x7c;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}
