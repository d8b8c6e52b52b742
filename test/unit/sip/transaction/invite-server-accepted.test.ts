import { describe, expect, it } from 'vitest';
import { SipRequest } from '../../../../src/sip/message/sip-message.js';
import { createResponse } from '../../../../src/sip/message/create-response.js';
import type { ServerTransaction } from '../../../../src/sip/transaction/types.js';
import type { Endpoint } from '../../../../src/sip/transport/types.js';
import { inviteRequest } from '../../../fakes/invite-request.js';
import { layerOverFakes } from '../../../fakes/layer-over-fakes.js';

// RFC 6026 Accepted state of the INVITE server transaction. Found by the 10%-loss
// end-to-end test: an INVITE retransmitted after its 2xx was sent (the 100 and the
// 2xx both lost) became a second call and tried every gateway again.

const PEER: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5070 };

const setup = layerOverFakes;

const invite = (branch: string): SipRequest => inviteRequest(branch);

function ackFor(req: SipRequest, branch: string): SipRequest {
  const ack = new SipRequest('ACK', req.uri);
  ack.append('Via', `SIP/2.0/UDP 127.0.0.1:5070;branch=${branch}`);
  ack.append('From', req.get('from')!);
  ack.append('To', `${req.get('to')!};tag=to1`);
  ack.append('Call-ID', req.get('call-id')!);
  ack.append('CSeq', '1 ACK');
  return ack;
}

describe('INVITE server transaction after a 2xx (RFC 6026 Accepted)', () => {
  it('absorbs INVITE retransmissions until Timer L (64*T1), then forgets the transaction', () => {
    const t = setup();
    const req = invite('z9hG4bKacc1');
    t.transport.deliver(req, PEER);
    const tx = t.requests[0]!.transaction as ServerTransaction;
    tx.respond(createResponse(req, 200, undefined, 'to1'));
    t.clock.advance(500);
    t.transport.deliver(req, PEER);
    t.clock.advance(1000);
    t.transport.deliver(req, PEER);
    // One call, not three; and the 2xx is not resent by the transaction (that is the TU's job).
    expect(t.requests).toHaveLength(1);
    expect(t.transport.sentOf(200)).toHaveLength(1);
    expect(t.layer.size.servers).toBe(1);
    t.clock.advance(32_000 - 1500);
    expect(t.layer.size.servers).toBe(0);
  });

  it('passes further 2xx from the TU (another fork) to the transport', () => {
    const t = setup();
    const req = invite('z9hG4bKacc2');
    t.transport.deliver(req, PEER);
    const tx = t.requests[0]!.transaction as ServerTransaction;
    tx.respond(createResponse(req, 200, undefined, 'fork1'));
    tx.respond(createResponse(req, 200, undefined, 'fork2'));
    // A non-2xx after the 2xx is not sent.
    tx.respond(createResponse(req, 486, undefined, 'fork3'));
    expect(t.transport.sentOf(200)).toHaveLength(2);
    expect(t.transport.sentOf(486)).toHaveLength(0);
  });

  it('an ACK that matches it (branch reused, or RFC 2543 rules) still reaches the TU', () => {
    const t = setup();
    const req = invite('z9hG4bKacc3');
    t.transport.deliver(req, PEER);
    const tx = t.requests[0]!.transaction as ServerTransaction;
    tx.respond(createResponse(req, 200, undefined, 'to1'));
    t.transport.deliver(ackFor(req, 'z9hG4bKacc3'), PEER);
    const ack = t.requests.at(-1)!;
    expect(ack.request.method).toBe('ACK');
    expect(ack.transaction).toBeUndefined();
  });
});
