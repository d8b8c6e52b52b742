import { describe, expect, it } from 'vitest';
import { ownString } from '../../../../src/sip/message/own-string.js';
import { parseMessage } from '../../../../src/sip/message/parse-message.js';
import { NO_BODY, type SipMessage } from '../../../../src/sip/message/sip-message.js';

const INVITE = [
  'INVITE sip:+34911234567@provider.example.net:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-ownstring-1;rport',
  'From: "caller" <sip:caller@192.0.2.10:5060>;tag=abc123def456',
  'To: <sip:+34911234567@provider.example.net>',
  'Call-ID: 0123456789abcdef@192.0.2.10',
  'CSeq: 1 INVITE',
  'Content-Type: application/sdp',
  'Content-Length: 7',
  '',
  'v=0\r\ns=',
].join('\r\n');

function parsed(text: string): SipMessage {
  const r = parseMessage(Buffer.from(text, 'latin1'));
  if (!r.ok) throw new Error(r.error);
  return r.message;
}

describe('ownString', () => {
  it('returns the same text, short or long', () => {
    const datagram = 'x'.repeat(100) + 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1';
    expect(ownString(datagram.slice(100))).toBe('SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1');
    expect(ownString('short')).toBe('short');
    expect(ownString('')).toBe('');
  });
});

describe('a parsed message', () => {
  it('keeps no view of the datagram for an empty body', () => {
    const m = parsed(
      INVITE.replace('Content-Length: 7', 'Content-Length: 0').replace('v=0\r\ns=', ''),
    );
    expect(m.body).toBe(NO_BODY);
    const noLength = parsed(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-x\r\nCall-ID: a@b\r\nCSeq: 2 BYE\r\n\r\n',
    );
    expect(noLength.body).toBe(NO_BODY);
  });
});
