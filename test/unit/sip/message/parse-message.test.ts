import { describe, expect, it } from 'vitest';
import { headerKey } from '../../../../src/sip/message/header-names.js';
import { parseMessage } from '../../../../src/sip/message/parse-message.js';

function parse(startLine: string, headerLines: string[]) {
  const text = `${startLine}\r\n${headerLines.map((h) => `${h}\r\n`).join('')}\r\n`;
  return parseMessage(Buffer.from(text, 'latin1'));
}

const BASE = [
  'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-1',
  'From: <sip:b@example.com>;tag=1',
  'To: <sip:a@example.com>',
  'Call-ID: c1',
  'CSeq: 1 OPTIONS',
];

describe('parseMessage header names', () => {
  it('reads every spelling the same the first time and every time after', () => {
    // Seeded names, compact and lower-case forms, names learned on the way, a dozen
    // of one length (more than are kept per length), and names longer than any kept.
    const extra = [
      'v: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-2',
      'call-id: c2',
      'X-A: 1',
      ...Array.from({ length: 12 }, (_, i) => `X-${String.fromCharCode(66 + i)}: ${i}`),
      'X-A-Header-Name-Longer-Than-Any-Kept: long',
      'Content-Length: 0',
    ];
    for (let round = 0; round < 3; round++) {
      const r = parse('OPTIONS sip:a@example.com SIP/2.0', [...BASE, ...extra]);
      if (!r.ok) throw new Error(r.error);
      const lines = [...BASE, ...extra];
      expect(r.message.headers.map((h) => [h.name, h.key, h.value])).toEqual(
        lines.map((l) => {
          const [name, value] = l.split(': ');
          return [name, headerKey(name!), value];
        }),
      );
      expect(r.message.getAll('via')).toHaveLength(2);
      expect(r.message.get('x-m')).toBe('11');
    }
  });

  it('still refuses a name that is no token, after names of its length were learned', () => {
    const r = parse('OPTIONS sip:a@example.com SIP/2.0', [...BASE, 'To@: x']);
    expect(r).toMatchObject({ ok: false, error: 'Bad header line' });
  });
});

describe('parseMessage status line', () => {
  const status = (line: string) => {
    const r = parse(line, BASE);
    return r.ok && !r.message.isRequest
      ? [r.message.status, r.message.reason, r.message.version]
      : r.ok
        ? 'request'
        : r.error;
  };

  it('reads the code, the reason phrase and the version', () => {
    expect(status('SIP/2.0 180 Ringing')).toEqual([180, 'Ringing', 'SIP/2.0']);
    expect(status('SIP/2.0 503 Service  Unavailable ')).toEqual([
      503,
      'Service  Unavailable ',
      'SIP/2.0',
    ]);
    expect(status('SIP/2.0 200 ')).toEqual([200, '', 'SIP/2.0']);
    expect(status('SIP/2.00 200 OK')).toEqual([200, 'OK', 'SIP/2.00']);
    expect(status('SIP/2.0 603 D\u00e9clin\u00e9')).toEqual([603, 'D\u00e9clin\u00e9', 'SIP/2.0']);
  });

  it('refuses a line without code, space or a printable reason', () => {
    expect(status('SIP/2.0 200')).toBe('Bad Status-Line');
    expect(status('SIP/2.0 2x0 OK')).toBe('Bad Status-Line');
    expect(status('SIP/2.0  200 OK')).toBe('Bad Status-Line');
    expect(status('SIP/2.0 2000 OK')).toBe('Bad Status-Line');
    expect(status('SIP/2.0 200 O\rK')).toBe('Bad Status-Line');
    expect(status('SIP/2.0 099 Early')).toBe('Bad Status-Code');
    expect(status('SIP/2.0 700 Late')).toBe('Bad Status-Code');
  });
});
