import { describe, expect, it } from 'vitest';
import { shiftCSeq } from '../../../src/proxy/cseq-shift.js';
import { ProxyIdentity } from '../../../src/proxy/proxy-identity.js';
import { SipRequest, SipResponse } from '../../../src/sip/message/sip-message.js';
import type { SipTransport } from '../../../src/sip/transport/types.js';

// The CSeq translation of an authenticated dialog (docs/proxy.md): the caller's
// requests move up by the offset on the way to the provider, their responses down.

describe('CSeq translation', () => {
  it('moves a request up and its response back down', () => {
    const bye = new SipRequest('BYE', 'sip:provider@127.0.0.1');
    bye.append('CSeq', '2 BYE');
    shiftCSeq(bye, 1);
    expect(bye.get('cseq')).toBe('3 BYE');
    const ok = new SipResponse(200, 'OK');
    ok.append('CSeq', '3 BYE');
    shiftCSeq(ok, -1);
    expect(ok.get('cseq')).toBe('2 BYE');
  });

  it('moves the RAck of a PRACK with it, and leaves what it cannot read', () => {
    const prack = new SipRequest('PRACK', 'sip:provider@127.0.0.1');
    prack.append('CSeq', '2 PRACK');
    prack.append('RAck', '1 1 INVITE');
    shiftCSeq(prack, 1);
    expect(prack.get('cseq')).toBe('3 PRACK');
    expect(prack.get('rack')).toBe('1 2 INVITE');
    const odd = new SipRequest('INFO', 'sip:x@127.0.0.1');
    odd.append('CSeq', 'garbage');
    shiftCSeq(odd, 1);
    expect(odd.get('cseq')).toBe('garbage');
    const low = new SipResponse(200, 'OK');
    low.append('CSeq', '1 INVITE');
    shiftCSeq(low, -1);
    expect(low.get('cseq')).toBe('1 INVITE');
  });

  it('the Record-Route mark names the offset for the caller’s From tag only, and cannot be forged', () => {
    const transport = {
      localEndpoint: (protocol: 'udp' | 'tcp') => ({ protocol, address: '127.0.0.1', port: 5060 }),
    } as unknown as SipTransport;
    const a = new ProxyIdentity(transport, '', 'secret-a');
    const b = new ProxyIdentity(transport, '', 'secret-a');
    const other = new ProxyIdentity(transport, '', 'secret-b');
    const mark = a.cseqMark('call-1', 'caller-tag', 1);
    expect(mark).toMatch(/^1\.[\w-]{16}$/);
    // Another instance with the same secret reads it (the dialog may move between instances).
    expect(b.cseqOffset('call-1', 'caller-tag', mark)).toBe(1);
    expect(a.cseqOffset('call-1', 'provider-tag', mark)).toBe(0);
    expect(a.cseqOffset('call-2', 'caller-tag', mark)).toBe(0);
    expect(other.cseqOffset('call-1', 'caller-tag', mark)).toBe(0);
    expect(a.cseqOffset('call-1', 'caller-tag', mark.replace(/^1/, '5'))).toBe(0);
    expect(a.recordRoute({ protocol: 'udp', address: '127.0.0.1', port: 5070 }, 'tok', mark)).toBe(
      `<sip:127.0.0.1:5060;transport=udp;tr=tok;cs=${mark};lr>`,
    );
  });
});
