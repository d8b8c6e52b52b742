import { describe, expect, it } from 'vitest';
import { SipRequest, SipResponse } from '../../../../src/sip/message/sip-message.js';
import { createResponse } from '../../../../src/sip/message/create-response.js';
import { TransactionLayer } from '../../../../src/sip/transaction/transaction-layer.js';
import type {
  ClientTransaction,
  IncomingRequest,
  ServerTransaction,
} from '../../../../src/sip/transaction/types.js';
import type { Endpoint } from '../../../../src/sip/transport/types.js';
import { FakeClock } from '../../../fakes/fake-clock.js';
import { FakeTransport } from '../../../fakes/fake-transport.js';
import { layerOverFakes } from '../../../fakes/layer-over-fakes.js';

const UDP_PEER: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5070 };
const TCP_PEER: Endpoint = { protocol: 'tcp', address: '127.0.0.1', port: 5070 };

const setup = layerOverFakes;

function request(method: string, branch: string, transport = 'UDP', port = 5060): SipRequest {
  const r = new SipRequest(method, 'sip:+15551234@127.0.0.1:5070');
  r.append('Via', `SIP/2.0/${transport} 127.0.0.1:${port};branch=${branch}`);
  r.append('Route', '<sip:127.0.0.9;lr>');
  r.append('Max-Forwards', '70');
  r.append('From', '<sip:a@127.0.0.1>;tag=from1');
  r.append('To', '<sip:+15551234@127.0.0.1>');
  r.append('Call-ID', `call-${branch}`);
  r.append('CSeq', `1 ${method}`);
  return r;
}

function response(req: SipRequest, status: number, toTag = 'to1'): SipResponse {
  return createResponse(req, status, undefined, toTag);
}

function handler() {
  const seen = { responses: [] as number[], timeouts: [] as number[], errors: 0 };
  return {
    seen,
    h: {
      onResponse: (r: SipResponse) => seen.responses.push(r.status),
      onTimeout: () => seen.timeouts.push(0),
      onTransportError: () => {
        seen.errors++;
      },
    },
  };
}

describe('INVITE client transaction (RFC 3261 17.1.1)', () => {
  it('over UDP an unanswered INVITE is sent exactly 7 times, then Timer B fires at 64*T1', () => {
    const t = setup();
    const { seen, h } = handler();
    t.layer.sendRequest(request('INVITE', 'z9hG4bK1'), UDP_PEER, {
      ...h,
      onTimeout: () => seen.timeouts.push(t.clock.now()),
    });
    t.clock.advance(31_999);
    expect(seen.timeouts).toEqual([]);
    t.clock.advance(1);
    expect(t.transport.sentOf('INVITE').map((s) => s.at)).toEqual([
      0, 500, 1500, 3500, 7500, 15500, 31500,
    ]);
    expect(seen.timeouts).toEqual([32_000]);
    expect(t.layer.size.clients).toBe(0);
  });

  it('over TCP it is sent once and Timer B still fires at 64*T1', () => {
    const t = setup();
    const { seen, h } = handler();
    t.layer.sendRequest(request('INVITE', 'z9hG4bK2', 'TCP'), TCP_PEER, {
      ...h,
      onTimeout: () => seen.timeouts.push(t.clock.now()),
    });
    t.clock.advance(40_000);
    expect(t.transport.sentOf('INVITE')).toHaveLength(1);
    expect(seen.timeouts).toEqual([32_000]);
  });

  it('a provisional stops retransmissions and Timer B', () => {
    const t = setup();
    const { seen, h } = handler();
    const req = request('INVITE', 'z9hG4bK3');
    t.layer.sendRequest(req, UDP_PEER, h);
    t.clock.advance(600);
    t.transport.deliver(response(req, 180), UDP_PEER);
    t.clock.advance(60_000);
    expect(t.transport.sentOf('INVITE')).toHaveLength(2);
    expect(seen.responses).toEqual([180]);
    expect(seen.timeouts).toEqual([]);
  });

  it('a non-2xx final is ACKed by the transaction with the Route headers and the To tag; a retransmission is ACKed again; Timer D ends it', () => {
    const t = setup();
    const { seen, h } = handler();
    const req = request('INVITE', 'z9hG4bK4');
    const tx = t.layer.sendRequest(req, UDP_PEER, h);
    expect(tx.request).toBe(req);
    t.transport.deliver(response(req, 503, 'prov9'), UDP_PEER);
    // Only the ACK is sent again from Completed: the INVITE is let go for Timer D's 32 s.
    expect(tx.request).toBeUndefined();
    const acks = t.transport.sentOf('ACK');
    expect(acks).toHaveLength(1);
    const ack = acks[0]!.message as SipRequest;
    expect(ack.uri).toBe(req.uri);
    expect(ack.getAll('route')).toEqual(['<sip:127.0.0.9;lr>']);
    expect(ack.get('to')).toContain('tag=prov9');
    expect(ack.get('cseq')).toBe('1 ACK');
    expect(ack.getAll('via')).toEqual([req.first('via')]);
    t.transport.deliver(response(req, 503, 'prov9'), UDP_PEER);
    expect(t.transport.sentOf('ACK')).toHaveLength(2);
    expect(seen.responses).toEqual([503]);
    t.clock.advance(31_999);
    expect(t.layer.size.clients).toBe(1);
    t.clock.advance(1);
    expect(t.layer.size.clients).toBe(0);
  });

  it('a 2xx goes to the TU without an ACK; its retransmission is a stray response', () => {
    const t = setup();
    const { seen, h } = handler();
    const req = request('INVITE', 'z9hG4bK5');
    t.layer.sendRequest(req, UDP_PEER, h);
    t.transport.deliver(response(req, 200), UDP_PEER);
    t.transport.deliver(response(req, 200), UDP_PEER);
    expect(seen.responses).toEqual([200]);
    expect(t.transport.sentOf('ACK')).toHaveLength(0);
    expect(t.strays.map((r) => r.status)).toEqual([200]);
    expect(t.layer.size.clients).toBe(0);
  });

  it('CANCEL is held until the first provisional, then sent with the INVITE branch', () => {
    const t = setup();
    const { h } = handler();
    const req = request('INVITE', 'z9hG4bK6');
    const tx: ClientTransaction = t.layer.sendRequest(req, UDP_PEER, h);
    tx.cancel();
    expect(t.transport.sentOf('CANCEL')).toHaveLength(0);
    t.transport.deliver(response(req, 180), UDP_PEER);
    const cancels = t.transport.sentOf('CANCEL');
    expect(cancels).toHaveLength(1);
    const c = cancels[0]!.message as SipRequest;
    expect(c.first('via')).toBe(req.first('via'));
    expect(c.get('cseq')).toBe('1 CANCEL');
    expect(c.getAll('route')).toEqual(['<sip:127.0.0.9;lr>']);
  });

  it('a held CANCEL is dropped when a final response comes first', () => {
    const t = setup();
    const { h } = handler();
    const req = request('INVITE', 'z9hG4bK7');
    const tx = t.layer.sendRequest(req, UDP_PEER, h);
    tx.cancel();
    t.transport.deliver(response(req, 486), UDP_PEER);
    t.clock.advance(40_000);
    expect(t.transport.sentOf('CANCEL')).toHaveLength(0);
  });

  it('a transport error terminates the transaction and tells the TU', async () => {
    const t = setup();
    const { seen, h } = handler();
    t.transport.failNext(1);
    t.layer.sendRequest(request('INVITE', 'z9hG4bK8', 'TCP'), TCP_PEER, h);
    await Promise.resolve();
    await Promise.resolve();
    expect(seen.errors).toBe(1);
    expect(t.layer.size.clients).toBe(0);
  });

  it('with the first 2 sends lost, retransmission still gets the request through; counts hold', () => {
    const t = setup();
    const { seen, h } = handler();
    const req = request('INVITE', 'z9hG4bK9');
    t.transport.dropNext(2);
    t.layer.sendRequest(req, UDP_PEER, h);
    t.clock.advance(1500);
    // Sends at 0 and 500 were lost; the one at 1500 arrived.
    expect(t.transport.sentOf('INVITE').map((s) => s.at)).toEqual([1500]);
    t.transport.deliver(response(req, 200), UDP_PEER);
    t.clock.advance(60_000);
    expect(t.transport.sentOf('INVITE')).toHaveLength(1);
    expect(seen.responses).toEqual([200]);
  });
});

describe('non-INVITE client transaction (RFC 3261 17.1.2)', () => {
  it('over UDP an unanswered request is sent exactly 11 times (Timer E capped at T2), then Timer F', () => {
    const t = setup();
    const { seen, h } = handler();
    t.layer.sendRequest(request('OPTIONS', 'z9hG4bKa'), UDP_PEER, {
      ...h,
      onTimeout: () => seen.timeouts.push(t.clock.now()),
    });
    t.clock.advance(40_000);
    expect(t.transport.sentOf('OPTIONS').map((s) => s.at)).toEqual([
      0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]);
    expect(seen.timeouts).toEqual([32_000]);
  });

  it('over TCP once, and Timer F at 64*T1', () => {
    const t = setup();
    const { seen, h } = handler();
    t.layer.sendRequest(request('OPTIONS', 'z9hG4bKb', 'TCP'), TCP_PEER, {
      ...h,
      onTimeout: () => seen.timeouts.push(t.clock.now()),
    });
    t.clock.advance(40_000);
    expect(t.transport.sentOf('OPTIONS')).toHaveLength(1);
    expect(seen.timeouts).toEqual([32_000]);
  });

  it('in Proceeding it retransmits every T2', () => {
    const t = setup();
    const { h } = handler();
    const req = request('BYE', 'z9hG4bKc');
    t.layer.sendRequest(req, UDP_PEER, h);
    t.clock.advance(100);
    t.transport.deliver(response(req, 100), UDP_PEER);
    t.clock.advance(9_900);
    // The 100 came at 100 ms: the first Timer E fire (500) is already in Proceeding,
    // so it retransmits and re-arms at T2.
    expect(t.transport.sentOf('BYE').map((s) => s.at)).toEqual([0, 500, 4500, 8500]);
  });

  it('Timer K: the transaction lingers T4 after a final over UDP, 0 over TCP', () => {
    const t = setup();
    const { h } = handler();
    const req = request('BYE', 'z9hG4bKd');
    t.layer.sendRequest(req, UDP_PEER, h);
    t.transport.deliver(response(req, 200), UDP_PEER);
    t.clock.advance(4_999);
    expect(t.layer.size.clients).toBe(1);
    t.clock.advance(1);
    expect(t.layer.size.clients).toBe(0);
    const req2 = request('BYE', 'z9hG4bKe', 'TCP');
    t.layer.sendRequest(req2, TCP_PEER, h);
    t.transport.deliver(response(req2, 200), TCP_PEER);
    t.clock.advance(0);
    expect(t.layer.size.clients).toBe(0);
  });
});

describe('INVITE server transaction (RFC 3261 17.2.1)', () => {
  function incoming(t: ReturnType<typeof setup>, branch: string, transport = 'UDP') {
    const req = request('INVITE', branch, transport, 5070);
    t.transport.deliver(req, transport === 'UDP' ? UDP_PEER : TCP_PEER);
    return { req, tx: t.requests.at(-1)!.transaction as ServerTransaction };
  }

  // RFC 3261 17.2.1's 200 ms count from the INVITE's arrival: the wait in our
  // socket queue (the shedder's probe) is taken off, in 10-ms steps.
  it.each([
    { queued: undefined, after: 200, why: 'no queue reading' },
    { queued: 7.4, after: 200, why: 'a few milliseconds, the usual probe reading' },
    { queued: 150, after: 50, why: 'queued 150 ms' },
  ])(
    'sends one 100 Trying $after ms after the reading when the TU is silent ($why)',
    ({ queued, after }) => {
      const t = setup(queued === undefined ? {} : { queuedMs: () => queued });
      incoming(t, `z9hG4bKs1-${after}-${queued}`);
      t.clock.advance(after - 1);
      expect(t.transport.sentOf(100)).toHaveLength(0);
      t.clock.advance(1);
      expect(t.transport.sentOf(100)).toHaveLength(1);
      t.clock.advance(1000);
      expect(t.transport.sentOf(100)).toHaveLength(1);
    },
  );

  it('an INVITE that queued 200 ms or more gets its 100 Trying on the next timer turn, unless the TU answered first', () => {
    const t = setup({ queuedMs: () => 450 });
    incoming(t, 'z9hG4bKq2');
    const { req, tx } = incoming(t, 'z9hG4bKq3');
    tx.respond(response(req, 503));
    expect(t.transport.sentOf(100)).toHaveLength(0);
    t.clock.advance(0);
    // Only the silent one: the answered one's final response went out instead.
    expect(t.transport.sentOf(100)).toHaveLength(1);
    expect(t.transport.sentOf(503)).toHaveLength(1);
  });

  it('does not send 100 when the TU sent 180 first', () => {
    const t = setup();
    const { req, tx } = incoming(t, 'z9hG4bKs2');
    t.clock.advance(50);
    tx.respond(response(req, 180));
    t.clock.advance(500);
    expect(t.transport.sentOf(100)).toHaveLength(0);
    expect(t.transport.sentOf(180)).toHaveLength(1);
  });

  it('absorbs INVITE retransmissions (one TU callback) and resends the last response', () => {
    const t = setup();
    const { req, tx } = incoming(t, 'z9hG4bKs3');
    tx.respond(response(req, 180));
    t.transport.deliver(req, UDP_PEER);
    t.transport.deliver(req, UDP_PEER);
    expect(t.requests).toHaveLength(1);
    expect(t.transport.sentOf(180)).toHaveLength(3);
  });

  it('retransmits a non-2xx final with Timer G capped at T2 until the ACK, then Timer I ends it', () => {
    const t = setup();
    const { req, tx } = incoming(t, 'z9hG4bKs4');
    tx.respond(response(req, 486));
    t.clock.advance(11_600);
    expect(t.transport.sentOf(486).map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    const ack = request('ACK', 'z9hG4bKs4', 'UDP', 5070);
    ack.set('To', `${req.get('to')};tag=to1`);
    t.transport.deliver(ack, UDP_PEER);
    t.clock.advance(4_999);
    expect(t.transport.sentOf(486)).toHaveLength(6);
    expect(t.layer.size.servers).toBe(1);
    t.clock.advance(1);
    expect(t.layer.size.servers).toBe(0);
    // The ACK was absorbed by the transaction, not handed to the TU.
    expect(t.requests).toHaveLength(1);
  });

  it('without an ACK, Timer H fires at 64*T1 and reports it', () => {
    const t = setup();
    const { req, tx } = incoming(t, 'z9hG4bKs5');
    let at = -1;
    tx.onAckTimeout = () => {
      at = t.clock.now();
    };
    tx.respond(response(req, 503));
    t.clock.advance(40_000);
    expect(at).toBe(32_000);
    // G: 500, 1000, 2000, 4000, then 4000 each: 0,500,1500,3500,7500,11500,...,31500.
    expect(t.transport.sentOf(503)).toHaveLength(11);
    expect(t.layer.size.servers).toBe(0);
  });

  it('over TCP a non-2xx final is sent once', () => {
    const t = setup();
    const { req, tx } = incoming(t, 'z9hG4bKs6', 'TCP');
    tx.respond(response(req, 486));
    t.clock.advance(40_000);
    expect(t.transport.sentOf(486)).toHaveLength(1);
  });

  it('a CANCEL is matched to its INVITE server transaction', () => {
    const t = setup();
    const { tx } = incoming(t, 'z9hG4bKs7');
    t.transport.deliver(request('CANCEL', 'z9hG4bKs7', 'UDP', 5070), UDP_PEER);
    const cancel = t.requests.at(-1)!;
    expect(cancel.request.method).toBe('CANCEL');
    expect(cancel.cancelled).toBe(tx);
  });

  it('an ACK that matches no transaction (ACK for a 2xx) goes to the TU without one', () => {
    const t = setup();
    const { req, tx } = incoming(t, 'z9hG4bKs8');
    tx.respond(response(req, 200));
    t.transport.deliver(request('ACK', 'z9hG4bKother', 'UDP', 5070), UDP_PEER);
    const ack = t.requests.at(-1)!;
    expect(ack.request.method).toBe('ACK');
    expect(ack.transaction).toBeUndefined();
  });

  it('RFC 2543 fallback: a request without the magic cookie and its retransmission match one transaction', () => {
    const t = setup();
    const req = request('INVITE', 'oldbranch1', 'UDP', 5070);
    t.transport.deliver(req, UDP_PEER);
    t.transport.deliver(req, UDP_PEER);
    expect(t.requests).toHaveLength(1);
    const noBranch = request('INVITE', 'x', 'UDP', 5070);
    noBranch.set('Via', 'SIP/2.0/UDP 127.0.0.1:5070');
    t.transport.deliver(noBranch, UDP_PEER);
    t.transport.deliver(noBranch, UDP_PEER);
    expect(t.requests).toHaveLength(2);
  });
});

describe('non-INVITE server transaction (RFC 3261 17.2.2)', () => {
  it('resends the last response to a retransmission; Timer J at 64*T1 over UDP, 0 over TCP', () => {
    const t = setup();
    const req = request('OPTIONS', 'z9hG4bKn1', 'UDP', 5070);
    t.transport.deliver(req, UDP_PEER);
    const tx = t.requests[0]!.transaction!;
    t.transport.deliver(req, UDP_PEER); // in Trying: absorbed, nothing to resend
    expect(t.transport.sent).toHaveLength(0);
    tx.respond(response(req, 200));
    t.transport.deliver(req, UDP_PEER);
    expect(t.transport.sentOf(200)).toHaveLength(2);
    expect(t.requests).toHaveLength(1);
    t.clock.advance(31_999);
    expect(t.layer.size.servers).toBe(1);
    t.clock.advance(1);
    expect(t.layer.size.servers).toBe(0);

    const tcpReq = request('OPTIONS', 'z9hG4bKn2', 'TCP', 5070);
    t.transport.deliver(tcpReq, TCP_PEER);
    t.requests.at(-1)!.transaction!.respond(response(tcpReq, 200));
    t.clock.advance(0);
    expect(t.layer.size.servers).toBe(0);
  });
});

describe('server transaction cap (memory bound under a flood)', () => {
  function capped(max: number) {
    const clock = new FakeClock();
    const transport = new FakeTransport(clock);
    const layer = new TransactionLayer({ transport, clock, maxServerTransactions: max });
    const requests: IncomingRequest[] = [];
    layer.setUser({ onRequest: (r) => requests.push(r), onStrayResponse: () => {} });
    return { clock, transport, layer, requests };
  }

  it('past the cap a new INVITE gets a stateless 503 with Retry-After; in-dialog requests still pass', async () => {
    const t = capped(3);
    for (let i = 0; i < 3; i++) t.transport.deliver(request('INVITE', `z9hG4bKc${i}`), UDP_PEER);
    expect(t.layer.size.servers).toBe(3);
    t.transport.deliver(request('INVITE', 'z9hG4bKc3'), UDP_PEER);
    await Promise.resolve();
    expect(t.requests).toHaveLength(3);
    expect(t.layer.size.servers).toBe(3);
    const refused = t.transport.sent.map((s) => s.message as SipResponse);
    expect(refused.map((r) => `${r.status} ${r.get('retry-after')}`)).toEqual(['503 5']);
    expect(t.layer.refused).toEqual({ answered503: 1, dropped: 0 });

    const bye = request('BYE', 'z9hG4bKbye');
    bye.set('To', '<sip:+15551234@127.0.0.1>;tag=callee');
    t.transport.deliver(bye, UDP_PEER);
    expect(t.requests.map((r) => r.request.method)).toEqual(['INVITE', 'INVITE', 'INVITE', 'BYE']);
  });

  it('at twice the cap nothing new is taken, not even in-dialog requests', () => {
    const t = capped(1);
    t.transport.deliver(request('INVITE', 'z9hG4bKd0'), UDP_PEER);
    const bye = request('BYE', 'z9hG4bKd1');
    bye.set('To', '<sip:+15551234@127.0.0.1>;tag=callee');
    t.transport.deliver(bye, UDP_PEER);
    expect(t.layer.size.servers).toBe(2);
    const again = request('BYE', 'z9hG4bKd2');
    again.set('To', '<sip:+15551234@127.0.0.1>;tag=callee');
    t.transport.deliver(again, UDP_PEER);
    expect(t.layer.size.servers).toBe(2);
    expect(t.layer.refused.dropped).toBe(1);
  });
});
