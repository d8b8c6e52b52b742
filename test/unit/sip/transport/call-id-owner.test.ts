import { describe, expect, it } from 'vitest';
import { callIdOwner } from '../../../../src/sip/transport/call-id-owner.js';

const msg = (start: string, headers: string[]): Buffer =>
  Buffer.from(`${start}\r\n${headers.join('\r\n')}\r\n\r\nbody: Call-ID: not-this\r\n`, 'latin1');

describe('callIdOwner', () => {
  it('gives every message of one call the same owner, however the header is spelt', () => {
    const id = 'a84b4c76e66710@pc33.atlanta.example.com';
    const forms = [
      msg('INVITE sip:bob@example.com SIP/2.0', [
        'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
        `Call-ID: ${id}`,
      ]),
      msg('SIP/2.0 503 Service Unavailable', [`call-id:   ${id}  `, 'CSeq: 1 INVITE']),
      msg('ACK sip:bob@example.com SIP/2.0', [`i: ${id}`]),
      msg('BYE sip:bob@example.com SIP/2.0', ['From: <sip:a@b>;tag=1', `CALL-ID\t: ${id}`]),
    ];
    const owners = forms.map((f) => callIdOwner(f, 7));
    expect(owners[0]).toBeGreaterThanOrEqual(0);
    expect(new Set(owners).size).toBe(1);
  });

  it('reads only the header section, and says nothing when there is no Call-ID', () => {
    expect(callIdOwner(msg('OPTIONS sip:x SIP/2.0', ['Via: SIP/2.0/UDP h']), 4)).toBeUndefined();
    expect(callIdOwner(Buffer.from('garbage'), 4)).toBeUndefined();
    expect(callIdOwner(msg('OPTIONS sip:x SIP/2.0', ['Call-ID:']), 4)).toBeUndefined();
    // Not a Call-ID: a header whose name only starts like one.
    expect(callIdOwner(msg('OPTIONS sip:x SIP/2.0', ['Call-IDX: 1', 'if: 2']), 4)).toBeUndefined();
  });

  it('spreads distinct calls evenly over the workers', () => {
    const counts = [0, 0];
    for (let n = 0; n < 10_000; n++) {
      const owner = callIdOwner(msg('INVITE sip:x SIP/2.0', [`Call-ID: ${n}-4711@127.0.0.1`]), 2);
      counts[owner!]!++;
    }
    expect(counts[0]).toBeGreaterThan(4_700);
    expect(counts[1]).toBeGreaterThan(4_700);
  });
});
