import { describe, expect, it } from 'vitest';
import { createResponse } from '../../../../src/sip/message/create-response.js';
import { serializeMessage } from '../../../../src/sip/message/serialize.js';
import { SipRequest, SipResponse } from '../../../../src/sip/message/sip-message.js';
import type { ServerTransaction } from '../../../../src/sip/transaction/types.js';
import type { Endpoint } from '../../../../src/sip/transport/types.js';
import { layerOverFakes } from '../../../fakes/layer-over-fakes.js';

// What a transaction still holds in the states that only absorb retransmissions
// (issue 14: memory and GC per call): the RFC behaviour of those states is unchanged.

const PEER: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5070 };

const setup = layerOverFakes;

function request(method: string, branch: string): SipRequest {
  const r = new SipRequest(method, 'sip:+15551234@127.0.0.1:5060');
  r.append('Via', `SIP/2.0/UDP 127.0.0.1:5070;branch=${branch}`);
  r.append('Max-Forwards', '70');
  r.append('From', '<sip:a@127.0.0.1>;tag=from1');
  r.append('To', '<sip:+15551234@127.0.0.1>');
  r.append('Call-ID', `call-${branch}`);
  r.append('CSeq', `1 ${method}`);
  r.append('Contact', '<sip:a@127.0.0.1:5070>');
  r.append('Content-Type', 'application/sdp');
  r.body = Buffer.from('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n');
  return r;
}

const KEPT = ['via', 'from', 'to', 'call-id', 'cseq'];

/** A request delivered, its server transaction answered with `status`: what the test checks. */
function answered(method: string, branch: string, status: number) {
  const t = setup();
  const req = request(method, branch);
  t.transport.deliver(req, PEER);
  const tx = t.requests[0]!.transaction as ServerTransaction;
  expect(tx.request.get('contact')).toBeDefined();
  tx.respond(createResponse(req, status, undefined, 'to1'));
  expect(tx.request.headers.map((h) => h.key)).toEqual(KEPT);
  return { t, req, tx };
}

describe('server transactions after the final response', () => {
  it('INVITE, 486: keeps only what a response copies, and still answers a retransmission with the 486', () => {
    const { t, req, tx } = answered('INVITE', 'z9hG4bKheld1', 486);
    expect(tx.request.body.length).toBe(0);
    expect(tx.request.method).toBe('INVITE');
    expect(tx.request.get('call-id')).toBe('call-z9hG4bKheld1');
    t.transport.deliver(req, PEER);
    expect(t.transport.sentOf(486)).toHaveLength(2);
    expect(t.requests).toHaveLength(1);
  });

  it('INVITE, 200 (Accepted): the same, and later 2xx of other forks still go out', () => {
    const { t, tx } = answered('INVITE', 'z9hG4bKheld2', 200);
    tx.respond(createResponse(tx.request, 200, 'OK', 'to2'));
    const sent = t.transport.sentOf(200).map((s) => s.message.get('to'));
    expect(sent).toEqual([
      '<sip:+15551234@127.0.0.1>;tag=to1',
      '<sip:+15551234@127.0.0.1>;tag=to2',
    ]);
  });

  it('BYE, 200: keeps only what a response copies, and a retransmitted BYE gets the 200 again', () => {
    const { t, req } = answered('BYE', 'z9hG4bKheld3', 200);
    t.transport.deliver(req, PEER);
    expect(t.transport.sentOf(200)).toHaveLength(2);
    expect(t.requests).toHaveLength(1);
  });
});

describe('a non-INVITE client transaction in Completed', () => {
  it('lets go of its request, absorbs the retransmitted response, and ends at Timer K', () => {
    const t = setup();
    const responses: number[] = [];
    const tx = t.layer.sendRequest(request('BYE', 'z9hG4bKheld4'), PEER, {
      onResponse: (r) => responses.push(r.status),
      onTimeout: () => responses.push(408),
      onTransportError: () => responses.push(503),
    });
    expect(tx.request?.method).toBe('BYE');
    const ok = new SipResponse(200, 'OK');
    for (const k of KEPT) ok.append(k, tx.request!.get(k)!);
    t.transport.deliver(ok, PEER);
    expect(tx.request).toBeUndefined();
    t.transport.deliver(ok, PEER);
    expect(responses).toEqual([200]);
    // No retransmission of the BYE after the response (Timer E stopped).
    t.clock.advance(4000);
    expect(t.transport.sentOf('BYE')).toHaveLength(1);
    expect(t.layer.size.clients).toBe(1);
    t.clock.advance(1000);
    expect(t.layer.size.clients).toBe(0);
  });
});

describe('what is sent again from a held text', () => {
  it('a failed INVITE: the ACK sent again for a retransmitted final is the first ACK, byte for byte', () => {
    const t = setup();
    const tx = t.layer.sendRequest(request('INVITE', 'z9hG4bKheld5'), PEER, {
      onResponse: () => {},
      onTimeout: () => {},
      onTransportError: () => {},
    });
    const busy = new SipResponse(486, 'Busy Here');
    for (const k of KEPT) busy.append(k, tx.request!.get(k)!);
    busy.set('To', `${tx.request!.get('to')!};tag=callee1`);
    t.transport.deliver(busy, PEER);
    t.transport.deliver(busy, PEER);
    t.transport.deliver(busy, PEER);
    const acks = t.transport
      .sentOf('ACK')
      .map((s) => serializeMessage(s.message).toString('latin1'));
    expect(acks).toHaveLength(3);
    expect(acks[1]).toBe(acks[0]);
    expect(acks[2]).toBe(acks[0]);
    expect(acks[0]).toContain('To: <sip:+15551234@127.0.0.1>;tag=callee1\r\n');
  });

  it('a BYE: the 200 sent again for a retransmitted BYE is the first 200, byte for byte', () => {
    const { t, req } = answered('BYE', 'z9hG4bKheld6', 200);
    t.transport.deliver(req, PEER);
    t.transport.deliver(req, PEER);
    const oks = t.transport.sentOf(200).map((s) => serializeMessage(s.message).toString('latin1'));
    expect(oks).toHaveLength(3);
    expect(new Set(oks).size).toBe(1);
  });
});
