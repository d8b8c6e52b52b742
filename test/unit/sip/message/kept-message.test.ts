import { describe, expect, it } from 'vitest';
import { KeptMessage } from '../../../../src/sip/message/kept-message.js';
import { messageText, serializeMessage } from '../../../../src/sip/message/serialize.js';
import { SipRequest, SipResponse } from '../../../../src/sip/message/sip-message.js';

// A transaction holds the message it may send again as its text; what it sends
// from it is the same message, byte for byte.

function invite(): SipRequest {
  const r = new SipRequest('INVITE', 'sip:+15551234@198.51.100.7:5060;user=phone');
  r.append('Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkept1;rport');
  r.append('Route', '<sip:203.0.113.9;lr>');
  r.append('From', '"A" <sip:a@192.0.2.1>;tag=f1');
  r.append('To', '<sip:+15551234@198.51.100.7>');
  r.append('Call-ID', 'kept-1@192.0.2.1');
  r.append('CSeq', '1 INVITE');
  r.append('Content-Type', 'application/sdp');
  r.append('X-Latin1', 'caf\u00e9');
  r.body = Buffer.from('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n\u00ff', 'latin1');
  return r;
}

describe('KeptMessage', () => {
  it('gives back a request, body and all, that serialises to the same bytes', () => {
    const m = invite();
    const kept = new KeptMessage(m);
    const again = kept.get();
    expect(again).toBeInstanceOf(SipRequest);
    expect(again.method).toBe('INVITE');
    expect(again.uri).toBe(m.uri);
    expect(again.headers.map((h) => [h.name, h.value])).toEqual(
      m.headers.map((h) => [h.name, h.value]),
    );
    expect(serializeMessage(again).equals(serializeMessage(m))).toBe(true);
    expect(kept.get()).not.toBe(again);
  });

  it('gives back a response without a body, without a Content-Length line of its own', () => {
    const res = new SipResponse(200, 'OK');
    res.append('Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkept2');
    res.append('CSeq', '2 BYE');
    res.append('Content-Length', '0');
    const again = new KeptMessage(res).get();
    expect(again).toBeInstanceOf(SipResponse);
    expect(again.status).toBe(200);
    expect(again.body.length).toBe(0);
    expect(again.headers.map((h) => h.key)).toEqual(['via', 'cseq']);
    expect(serializeMessage(again).equals(serializeMessage(res))).toBe(true);
  });

  it('holds the text whole: start line, header lines, blank line, body; no Content-Length', () => {
    const text = messageText(invite());
    expect(text.startsWith('INVITE sip:+15551234@198.51.100.7:5060;user=phone SIP/2.0\r\n')).toBe(
      true,
    );
    expect(text).toContain('\r\nX-Latin1: caf\u00e9\r\n\r\nv=0\r\n');
    expect(text).not.toContain('Content-Length');
    expect(text.endsWith('\u00ff')).toBe(true);
  });
});
