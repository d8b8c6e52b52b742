import { describe, expect, it } from 'vitest';
import { createResponse } from '../../../../src/sip/message/create-response.js';
import { SipRequest, SipResponse } from '../../../../src/sip/message/sip-message.js';
import { LingeringTransactions } from '../../../../src/sip/transaction/lingering-transactions.js';
import type { ServerTransaction } from '../../../../src/sip/transaction/types.js';
import type { Endpoint } from '../../../../src/sip/transport/types.js';
import { FakeClock } from '../../../fakes/fake-clock.js';
import { inviteRequest } from '../../../fakes/invite-request.js';
import { layerOverFakes } from '../../../fakes/layer-over-fakes.js';

const PEER: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5070 };

describe('LingeringTransactions', () => {
  it('forgets an entry when its time is up, not before', () => {
    const clock = new FakeClock();
    const store = new LingeringTransactions(clock);
    store.add('a', 32_000, 'absorb');
    clock.advance(31_999);
    expect(store.get('a')?.kind).toBe('absorb');
    clock.advance(1);
    expect(store.get('a')).toBeUndefined();
    expect(store.size).toBe(0);
    expect(clock.armed).toBe(0);
  });

  it('later entries end on the sweep grid: never early, less than 20 ms late', () => {
    const clock = new FakeClock();
    const store = new LingeringTransactions(clock);
    store.add('first', 5000, 'absorb');
    clock.advance(7);
    store.add('second', 5000, 'absorb');
    clock.advance(5000 - 7);
    expect(store.get('first')).toBeUndefined();
    expect(store.get('second')).toBeDefined();
    clock.advance(6);
    expect(store.get('second')).toBeDefined();
    clock.advance(14);
    expect(store.get('second')).toBeUndefined();
  });

  it('keeps waits of different lengths apart, each in its own order', () => {
    const clock = new FakeClock();
    const store = new LingeringTransactions(clock);
    store.add('long', 32_000, 'final', 'SIP/2.0 200 OK\r\n\r\n', PEER);
    store.add('short', 5000, 'absorb');
    clock.advance(5000);
    expect(store.get('short')).toBeUndefined();
    expect(store.get('long')?.text).toBe('SIP/2.0 200 OK\r\n\r\n');
    expect(store.get('long')?.to).toBe(PEER);
    clock.advance(27_000);
    expect(store.size).toBe(0);
  });

  it('a key deleted and added again is not taken by the old entry’s sweep', () => {
    const clock = new FakeClock();
    const store = new LingeringTransactions(clock);
    store.add('k', 1000, 'absorb');
    store.delete('k');
    clock.advance(500);
    store.add('k', 1000, 'ack');
    clock.advance(500);
    expect(store.get('k')?.kind).toBe('ack');
    clock.advance(500);
    expect(store.get('k')).toBeUndefined();
  });

  it('clear forgets everything and leaves no timer armed', () => {
    const clock = new FakeClock();
    const store = new LingeringTransactions(clock);
    store.add('a', 32_000, 'absorb');
    store.add('b', 5000, 'absorb');
    store.clear();
    expect(store.size).toBe(0);
    expect(clock.armed).toBe(0);
  });
});

/** An INVITE delivered to a layer over fakes and answered 200 with `tag`. */
function answered(branch: string, tag: string) {
  const t = layerOverFakes();
  const req = inviteRequest(branch, 7);
  t.transport.deliver(req, PEER);
  const tx = t.requests[0]!.transaction as ServerTransaction;
  tx.respond(createResponse(req, 200, undefined, tag));
  return { t, req, tx };
}

function cancelOf(req: SipRequest): SipRequest {
  const c = new SipRequest('CANCEL', req.uri);
  for (const k of ['via', 'max-forwards', 'from', 'to', 'call-id']) c.append(k, req.get(k)!);
  c.append('CSeq', '7 CANCEL');
  return c;
}

describe('the transaction layer with transactions that only wait out a timer', () => {
  it('a CANCEL after the 2xx still matches the INVITE, through a stand-in a response can be built from', () => {
    const { t, req, tx } = answered('z9hG4bKling1', 'to1');
    t.transport.deliver(cancelOf(req), PEER);
    const cancel = t.requests.at(-1)!;
    expect(cancel.request.method).toBe('CANCEL');
    expect(cancel.cancelled?.id).toBe(tx.id);
    expect(cancel.cancelled).not.toBe(tx);
    const late = createResponse(cancel.cancelled!.request, 487);
    expect(late.get('cseq')).toBe('7 INVITE');
    expect(late.get('call-id')).toBe(req.get('call-id'));
    expect(late.getAll('via')).toEqual([req.first('via')]);
    // Nothing goes out through it: the INVITE had its final response.
    cancel.cancelled!.respond(late);
    expect(t.transport.sentOf(487)).toHaveLength(0);
    // After Timer L (and the first CANCEL's Timer J) a CANCEL matches nothing.
    cancel.transaction!.respond(createResponse(cancel.request, 200));
    t.clock.advance(32_000);
    t.transport.deliver(cancelOf(req), PEER);
    expect(t.requests).toHaveLength(3);
    expect(t.requests.at(-1)!.cancelled).toBeUndefined();
  });

  it('a 2xx the TU sends through an Accepted transaction after Timer L does not go out', () => {
    const { t, req, tx } = answered('z9hG4bKling2', 'fork1');
    t.clock.advance(31_999);
    tx.respond(createResponse(req, 200, undefined, 'fork2'));
    t.clock.advance(1);
    tx.respond(createResponse(req, 200, undefined, 'fork3'));
    expect(t.transport.sentOf(200).map((s) => s.message.get('to'))).toEqual([
      '<sip:+15551234@127.0.0.1>;tag=fork1',
      '<sip:+15551234@127.0.0.1>;tag=fork2',
    ]);
  });

  it('a failed INVITE terminated by the TU in Completed no longer ACKs: the final is a stray', () => {
    const t = layerOverFakes();
    const tx = t.layer.sendRequest(inviteRequest('z9hG4bKling3'), PEER, {
      onResponse: () => {},
      onTimeout: () => {},
      onTransportError: () => {},
    });
    const busy = new SipResponse(486, 'Busy Here');
    for (const k of ['via', 'from', 'call-id', 'cseq']) busy.append(k, tx.request!.get(k)!);
    busy.append('To', `${tx.request!.get('to')!};tag=callee1`);
    t.transport.deliver(busy, PEER);
    expect(t.layer.size.clients).toBe(1);
    tx.terminate();
    expect(t.layer.size.clients).toBe(0);
    t.transport.deliver(busy, PEER);
    expect(t.transport.sentOf('ACK')).toHaveLength(1);
    expect(t.strays.map((r) => r.status)).toEqual([486]);
  });

  it('the server transaction cap counts those waiting out Timer J', async () => {
    const t = layerOverFakes({ maxServerTransactions: 2 });
    for (const b of ['z9hG4bKcap1', 'z9hG4bKcap2']) {
      const r = inviteRequest(b);
      r.method = 'OPTIONS';
      r.set('CSeq', '1 OPTIONS');
      t.transport.deliver(r, PEER);
      const tx = t.requests.at(-1)!.transaction!;
      tx.respond(createResponse(r, 200));
    }
    expect(t.layer.size.servers).toBe(2);
    t.transport.deliver(inviteRequest('z9hG4bKcap3'), PEER);
    await Promise.resolve();
    expect(t.requests).toHaveLength(2);
    expect(t.transport.sentOf(503)).toHaveLength(1);
    expect(t.layer.refused.answered503).toBe(1);
  });
});
