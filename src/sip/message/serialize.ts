import type { SipMessage } from './sip-message.js';
import { SipRequest, SipResponse } from './sip-message.js';

/**
 * The start line and every header line but Content-Length (or only the lines
 * whose key is in `only`), each ending in CRLF.
 */
function startAndHeaders(m: SipMessage, only?: ReadonlySet<string>): string {
  let head: string;
  if (m instanceof SipRequest) head = `${m.method} ${m.uri} ${m.version}\r\n`;
  else if (m instanceof SipResponse) head = `${m.version} ${m.status} ${m.reason}\r\n`;
  else throw new Error('unknown message kind');
  for (const h of m.headers) {
    if (h.key === 'content-length' || (only && !only.has(h.key))) continue;
    head += `${h.name}: ${h.value}\r\n`;
  }
  return head;
}

/**
 * Writes a message to wire format. Header values go out byte for byte as stored
 * (latin1); Content-Length is always written from the body actually sent.
 */
export function serializeMessage(m: SipMessage): Buffer {
  const head = `${startAndHeaders(m)}Content-Length: ${m.body.length}\r\n\r\n`;
  if (m.body.length === 0) return Buffer.from(head, 'latin1');
  // One buffer for head and body: latin1 is one byte per character.
  const out = Buffer.allocUnsafe(head.length + m.body.length);
  out.write(head, 0, 'latin1');
  m.body.copy(out, head.length);
  return out;
}

/**
 * The message as one flat latin1 string, to be held (KeptMessage), not sent: no
 * Content-Length, so that parsed again as a datagram its body is the rest
 * (RFC 3261 18.3) and its header lines are the ones it had. With `only`, just
 * the start line and the lines whose key is in it, and no body.
 */
export function messageText(m: SipMessage, only?: ReadonlySet<string>): string {
  const parts = [startAndHeaders(m, only), '\r\n'];
  if (!only && m.body.length > 0) parts.push(m.body.toString('latin1'));
  // A joined string is one flat string; startAndHeaders's concatenations are a
  // tree of one node per line, as many objects as the message it replaces.
  return parts.join('');
}
