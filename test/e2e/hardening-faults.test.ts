import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './harness/ports.js';
import {
  SCENARIOS,
  Scene,
  expectNeverReached,
  routeTable,
  type ProviderTrunk,
} from './harness/scene.js';

// Issue 8, faults: each with the outcome the RFC and the failover table say,
// asserted from SIPp's statistics and trunkroute's per-call records. Covered
// elsewhere, not repeated here: a silent UDP provider (proxy-failover.test.ts
// case 4), the route file replaced by garbage (store-shared.test.ts), Redis going
// away (store-redis.test.ts), SIGTERM mid-call (proxy-shutdown.test.ts).

const scene = new Scene();
afterEach(() => scene.stopAll());

/** A TCP listener that plays a broken provider: it accepts, then does what `onData` says. */
async function tcpFault(
  onData: (s: Socket) => void,
): Promise<{ port: number; accepted: () => number }> {
  const port = await freePort('both');
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.once('data', () => onData(s));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  scene.onStop(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port, accepted: () => accepted };
}

/** A UDP peer that plays a misbehaving provider: it answers each INVITE as `onInvite` says. */
async function udpFault(
  onInvite: (invite: string, reply: (text: string) => void) => void,
): Promise<{ port: number; received: (method: string) => number }> {
  const port = await freePort('udp');
  const socket = createSocket('udp4');
  const seen: Record<string, number> = {};
  socket.on('message', (m, from) => {
    const text = m.toString('latin1');
    const method = text.slice(0, text.indexOf(' '));
    seen[method] = (seen[method] ?? 0) + 1;
    if (method === 'INVITE' && seen.INVITE === 1)
      onInvite(text, (reply) => socket.send(reply, from.port, from.address));
  });
  await new Promise<void>((r) => socket.bind(port, '127.0.0.1', () => r()));
  scene.onStop(() => new Promise<void>((r) => socket.close(() => r())));
  return { port, received: (method) => seen[method] ?? 0 };
}

/** A response to a request as text: its Via lines, From, To (with a tag when given), Call-ID, CSeq. */
function responseTo(request: string, status: string, toTag?: string): string {
  const lines = request.split('\r\n');
  const keep = lines.filter((l) => /^(via|from|call-id|cseq)\s*:/i.test(l));
  const to = lines.find((l) => /^to\s*:/i.test(l))!;
  return [
    `SIP/2.0 ${status}`,
    ...keep,
    toTag ? `${to};tag=${toTag}` : to,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('provider faults (real SIPp)', () => {
  it('a TCP provider that refuses the connection: transport error, the next provider connects the call', async () => {
    // Nothing listens on A's port.
    const a = await scene.provider('a', { silent: true }, { transport: 'tcp' });
    const b = await scene.provider('b', { answer: true });
    const tr = await scene.trunkroute(routeTable([a, b]));
    const caller = await scene.call(tr);
    expect(caller.successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.outcome).toBe('connected');
    expect(rec!.attempts.map((x) => [x.provider, x.status ?? x.reason])).toEqual([
      ['a', 'transport_error'],
      ['b', 200],
    ]);
  });

  it('a TCP provider that resets the connection on the INVITE: the next provider connects the call', async () => {
    const fault = await tcpFault((s) => s.resetAndDestroy());
    const a = trunkAt('a', fault.port, 'tcp');
    const b = await scene.provider('b', { answer: true });
    const tr = await scene.trunkroute(routeTable([a, b]));
    const caller = await scene.call(tr);
    expect(caller.successfulCalls).toBe(1);
    expect(fault.accepted()).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.outcome).toBe('connected');
    expect(rec!.attempts[0]).toMatchObject({ provider: 'a' });
    expect(rec!.attempts[0]!.status).toBeUndefined();
    expect(rec!.attempts[1]).toMatchObject({ provider: 'b', status: 200 });
  });

  it('a TCP provider that takes the INVITE and never answers (blackhole): trying timeout, then the next provider', async () => {
    const fault = await tcpFault(() => {});
    const a = trunkAt('a', fault.port, 'tcp');
    const b = await scene.provider('b', { answer: true });
    const tr = await scene.trunkroute(routeTable([a, b]));
    const caller = await scene.call(tr);
    expect(caller.successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.attempts.map((x) => [x.provider, x.status ?? x.reason])).toEqual([
      ['a', 'trying_timeout'],
      ['b', 200],
    ]);
  });

  it('a UDP provider that rings and never answers: the ring timeout (Timer C) cancels it, the next provider connects', async () => {
    const a = await scene.provider('a', {
      scenario: join(SCENARIOS, 'provider-ring.xml'),
    });
    const b = await scene.provider('b', { answer: true });
    const tr = await scene.trunkroute(routeTable([a, b]), { proxy: { ring_timeout_ms: 1500 } });
    const caller = await scene.call(tr);
    expect(caller.successfulCalls).toBe(1);
    // provider-ring completes only when trunkroute CANCELs it (and ACKs its 487).
    expect((await a.sipp!.done).successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.attempts.map((x) => [x.provider, x.status ?? x.reason])).toEqual([
      ['a', 'ring_timeout'],
      ['b', 200],
    ]);
  });
});

describe('duplicate, out-of-order and crossing responses (real SIPp)', () => {
  it('503, a late 100, the 503 again: one failover step, each 503 ACKed, B gets exactly one INVITE', async () => {
    // SIPp cannot play this provider: the ACK for the repeated 503 is byte for byte the
    // first one, which SIPp takes for a retransmission. A raw UDP peer sends the sequence.
    const fault = await udpFault((invite, reply) => {
      reply(responseTo(invite, '503 Service Unavailable', 'prov503'));
      reply(responseTo(invite, '100 Trying'));
      reply(responseTo(invite, '503 Service Unavailable', 'prov503'));
    });
    const a = trunkAt('a', fault.port, 'udp');
    const b = await scene.provider('b', { answer: true }, { calls: 2 });
    const tr = await scene.trunkroute(routeTable([a, b]));
    const caller = await scene.call(tr);
    expect(caller.successfulCalls).toBe(1);
    b.sipp!.kill();
    const rb = await b.sipp!.done;
    expect(rb.createdCalls).toBe(1);
    expect(rb.successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.attempts.map((x) => [x.provider, x.status])).toEqual([
      ['a', 503],
      ['b', 200],
    ]);
    // One INVITE (the 503 stopped Timer A) and one ACK for each of the two 503s (RFC 3261 17.1.1.2).
    expect(fault.received('INVITE')).toBe(1);
    expect(fault.received('ACK')).toBe(2);
  });

  it('200, a late 180, the 200 again: the caller gets the 200 (and its copy) but never the late 180', async () => {
    const a = await scene.provider('a', {
      scenario: join(SCENARIOS, 'provider-answer-unordered.xml'),
    });
    const tr = await scene.trunkroute(routeTable([a]));
    // The caller must receive the 200 and then its copy before it ACKs (so the provider has
    // sent all three responses before any ACK can reach it), and aborts on anything else after
    // the first 200, such as the late 180. -nr: SIPp would otherwise swallow the identical copy
    // as a retransmission instead of matching it.
    const caller = await scene.call(tr, { scenario: 'caller-answer-copy.xml', extraArgs: ['-nr'] });
    expect(caller.aborts).toEqual([]);
    expect(caller.successfulCalls).toBe(1);
    const ra = await a.sipp!.done;
    expect(ra.aborts).toEqual([]);
    expect(ra.successfulCalls).toBe(1);
    const recs = await tr.waitForRecords(1);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.outcome).toBe('connected');
  });

  it('a 2xx after the caller CANCELled: 200 for the CANCEL and 487 at once, then the 2xx still reaches the caller, who ACKs and BYEs it', async () => {
    const a = await scene.provider('a', {
      scenario: join(SCENARIOS, 'provider-answer-after-cancel.xml'),
    });
    const b = await scene.provider('b', { answer: true });
    const tr = await scene.trunkroute(routeTable([a, b]));
    const caller = await scene.call(tr, { scenario: 'caller-cancel-answered.xml' });
    expect(caller.aborts).toEqual([]);
    expect(caller.successfulCalls).toBe(1);
    // The provider's scenario completes only with the ACK for its 2xx and the BYE.
    const ra = await a.sipp!.done;
    expect(ra.aborts).toEqual([]);
    expect(ra.successfulCalls).toBe(1);
    await tr.waitForRecords(1);
    // The CANCEL ended the failover: B is never tried.
    await expectNeverReached(b);
  });

  it('a provider answering 200 twice from different branches: both reach the caller, both are ACKed end to end', async () => {
    const a = await scene.provider('a', {
      scenario: join(SCENARIOS, 'provider-answer-twice.xml'),
    });
    const tr = await scene.trunkroute(routeTable([a]));
    const caller = await scene.call(tr, { scenario: 'caller-two-answers.xml' });
    expect(caller.aborts).toEqual([]);
    expect(caller.successfulCalls).toBe(1);
    // Two ACKs (one per dialog) and the BYE reached the provider through trunkroute.
    const ra = await a.sipp!.done;
    expect(ra.aborts).toEqual([]);
    expect(ra.successfulCalls).toBe(1);
    const recs = await tr.waitForRecords(1);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.attempts.map((x) => [x.provider, x.status])).toEqual([['a', 200]]);
  });
});

/** A provider trunk that is only an address: the test owns whatever listens there. */
function trunkAt(id: string, port: number, transport: 'udp' | 'tcp'): ProviderTrunk {
  return { id, port, transport, key: `${transport}:127.0.0.1:${port}` };
}
