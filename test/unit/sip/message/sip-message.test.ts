import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../../src/sip/message/parse-message.js';
import { SipRequest } from '../../../../src/sip/message/sip-message.js';
import { firstListValue, splitList } from '../../../../src/sip/message/split-list.js';

function request(vias: string[]): SipRequest {
  const text =
    'OPTIONS sip:a@example.com SIP/2.0\r\n' +
    vias.map((v) => `Via: ${v}\r\n`).join('') +
    'From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n' +
    'Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n';
  const r = parseMessage(Buffer.from(text, 'latin1'));
  if (!r.ok) throw new Error(r.error);
  return r.message as SipRequest;
}

describe('SipMessage.topVia', () => {
  it('parses the first value of the first Via line', () => {
    const m = request([
      'SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK-1, SIP/2.0/TCP 10.0.0.2;branch=z9hG4bK-2',
      'SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK-3',
    ]);
    expect(m.topVia()).toMatchObject({ transport: 'UDP', host: '10.0.0.1', port: 5062 });
    expect(m.topVia()?.params.get('branch')).toBe('z9hG4bK-1');
  });

  it('follows every change of the Via lines (prepend, removeFirstValue, set, remove)', () => {
    const m = request([
      'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-2',
    ]);
    expect(m.topVia()?.host).toBe('10.0.0.1');
    m.prepend('Via', 'SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK-ours');
    expect(m.topVia()).toMatchObject({ host: '192.0.2.9', port: 5070 });
    m.removeFirstValue('via');
    expect(m.topVia()?.host).toBe('10.0.0.1');
    m.removeFirstValue('via');
    expect(m.topVia()?.host).toBe('10.0.0.2');
    // A line changed in place (same field object, new value) is parsed again.
    m.headers.find((h) => h.key === 'via')!.value = 'SIP/2.0/TLS 10.0.0.7;branch=z9hG4bK-7';
    expect(m.topVia()).toMatchObject({ transport: 'TLS', host: '10.0.0.7' });
    m.set('Via', 'garbage');
    expect(m.topVia()).toBeUndefined();
    m.remove('via');
    expect(m.topVia()).toBeUndefined();
  });

  it('is undefined for a first Via line of only commas, as first() is', () => {
    const m = request([',,', 'SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK-3']);
    expect(m.first('via')).toBeUndefined();
    expect(m.topVia()).toBeUndefined();
  });
});

describe('firstListValue', () => {
  it('is splitList(value)[0] for quoted, bracketed and empty elements', () => {
    for (const v of [
      '',
      ' , ,',
      '<sip:a@x;lr>, <sip:b@y;lr>',
      '"Doe, John" <sip:j@x>, <sip:k@y>',
      '"a \\" , b" <sip:q@x>',
      ' , SIP/2.0/UDP h;branch=z9hG4bK-1 ,SIP/2.0/UDP g',
      '<sip:a@x;p="1,2">',
    ]) {
      expect(firstListValue(v)).toBe(splitList(v)[0]);
    }
    expect(splitList('"Doe, John" <sip:j@x>, <sip:k@y>')).toEqual([
      '"Doe, John" <sip:j@x>',
      '<sip:k@y>',
    ]);
  });
});

describe('SipRequest.requestUri', () => {
  it('parses the Request-URI once, and again when it changes', () => {
    const m = request(['SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-1']);
    const first = m.requestUri();
    expect(first).toMatchObject({ scheme: 'sip', user: 'a', host: 'example.com' });
    expect(m.requestUri()).toBe(first);
    m.uri = 'sip:+34911234567@198.51.100.10:5070;transport=udp';
    expect(m.requestUri()).toMatchObject({
      user: '+34911234567',
      host: '198.51.100.10',
      port: 5070,
    });
    expect(m.requestUri()?.params.get('transport')).toBe('udp');
    m.uri = 'not a uri';
    expect(m.requestUri()).toBeUndefined();
  });
});
