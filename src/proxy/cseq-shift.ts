import { parseCSeq } from '../sip/message/cseq.js';
import { isRequest, type SipMessage } from '../sip/message/sip-message.js';

/**
 * Moves a message's CSeq number by `delta` (and, in a PRACK, the CSeq number
 * its RAck names, RFC 3262 7.2): how the caller's side of an authenticated
 * dialog is kept in the numbering the provider saw (docs/proxy.md). A value
 * that does not parse, or would leave 1..2^31-1 (RFC 3261 8.1.1.5), is left
 * as it is.
 */
export function shiftCSeq(msg: SipMessage, delta: number): void {
  if (delta === 0) return;
  const cseq = parseCSeq(msg.get('cseq') ?? '');
  if (cseq && inRange(cseq.seq + delta)) msg.set('CSeq', `${cseq.seq + delta} ${cseq.method}`);
  if (!isRequest(msg) || msg.method !== 'PRACK') return;
  const rack = /^\s*(\d{1,10})\s+(\d{1,10})\s+(\S+)\s*$/.exec(msg.get('rack') ?? '');
  if (rack && inRange(Number(rack[2]) + delta)) {
    msg.set('RAck', `${rack[1]} ${Number(rack[2]) + delta} ${rack[3]}`);
  }
}

function inRange(n: number): boolean {
  return n >= 1 && n <= 0x7fffffff;
}
