import { rawHeaderValue } from './raw-header.js';

const ACK_ = Buffer.from('ACK ', 'latin1');
const TAG_PARAM = Buffer.from(';tag=', 'latin1');

/**
 * Whether a datagram is an ACK whose To header carries exactly `tag` (as
 * `;tag=` followed by it, the way trunkroute writes its own tags), read from the
 * bytes without parsing. Used to absorb the ACKs of shed INVITEs' 503s, whose
 * tag no peer can know in advance: a stateless 503 has no transaction for its
 * ACK to stop (RFC 3261 16.11, 17.2.1), so that ACK is dropped either way, and
 * here it is dropped before it costs a parse (or, with workers, a relay).
 * Another spelling of the same thing (`;TAG = x`) is simply not recognised: the
 * ACK then takes the ordinary path and is dropped there.
 */
export function isAckForTag(data: Buffer, tag: Buffer): boolean {
  if (data.length < ACK_.length || data.compare(ACK_, 0, ACK_.length, 0, ACK_.length) !== 0)
    return false;
  const to = rawHeaderValue(data, 'to', 't');
  if (!to) return false;
  for (let at = data.indexOf(TAG_PARAM, to.start); at !== -1 && at < to.end;) {
    const s = at + TAG_PARAM.length;
    const e = s + tag.length;
    if (e <= to.end && data.compare(tag, 0, tag.length, s, e) === 0) {
      const next = e === to.end ? 0x3b : data[e]!;
      // The whole value: followed by another parameter, whitespace or the end.
      if (next === 0x3b || next === 0x20 || next === 0x09 || next === 0x0d) return true;
    }
    at = data.indexOf(TAG_PARAM, s);
  }
  return false;
}
