import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createResponse } from '../../../../src/sip/message/create-response.js';
import { parseMessage } from '../../../../src/sip/message/parse-message.js';
import { serializeMessage } from '../../../../src/sip/message/serialize.js';
import type { SipRequest } from '../../../../src/sip/message/sip-message.js';
import { TransportLayer } from '../../../../src/sip/transport/transport-layer.js';
import type { Inbound } from '../../../../src/sip/transport/types.js';
import { startedUdpLayer } from './started-layer.js';

// The transports over real loopback sockets.

const layers: TransportLayer[] = [];
afterEach(async () => {
  for (const l of layers.splice(0)) await l.close();
});

async function layer(
  address = '127.0.0.1',
): Promise<{ t: TransportLayer; got: Inbound[]; port: number }> {
  const t = new TransportLayer([
    { protocol: 'udp', address, port: 0 },
    { protocol: 'tcp', address, port: 0 },
  ]);
  await t.start();
  layers.push(t);
  const got: Inbound[] = [];
  t.onMessage((i) => got.push(i));
  return { t, got, port: t.localEndpoint('udp')!.port };
}

function options(viaHost: string, branch: string, extra = ''): string {
  return (
    `OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ${viaHost};branch=${branch}${extra}\r\n` +
    `From: <sip:a@example.com>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ${branch}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`
  );
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('TransportLayer', () => {
  it('UDP: stamps received and rport on the top Via (RFC 3581)', async () => {
    const { got, port } = await layer();
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const src = sock.address().port;
    sock.send(options('192.0.2.1:5060', 'z9hG4bKa', ';rport'), port, '127.0.0.1');
    await until(() => got.length === 1);
    sock.close();
    expect((got[0]!.message as SipRequest).first('via')).toBe(
      `SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport=${src};received=127.0.0.1`,
    );
  });

  it("UDP: the ACK of a shed INVITE's 503 is absorbed unparsed and counted; any other ACK is handed up", async () => {
    const { t, got } = await startedUdpLayer(layers, { shedTag: 'sfeedc0ffee12' });
    const port = t.localEndpoint('udp')!.port;
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const ack = (tag: string): string =>
      `ACK sip:123@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-${tag}\r\n` +
      `From: <sip:a@example.com>;tag=1\r\nTo: <sip:123@127.0.0.1>;tag=${tag}\r\n` +
      `Call-ID: ${tag}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n`;
    sock.send(ack('sfeedc0ffee12'), port, '127.0.0.1');
    sock.send(ack('provider-486'), port, '127.0.0.1');
    await until(() => got.length === 1 && t.counters.absorbedShedAcks === 1);
    await new Promise((r) => setTimeout(r, 30));
    sock.close();
    expect(t.counters.absorbedShedAcks).toBe(1);
    expect(got.map((i) => i.message.get('call-id'))).toEqual(['provider-486']);
    expect(t.counters.droppedMalformed).toBe(0);
  });

  it('UDP: an unparseable request gets a stateless 400 saying why; garbage is dropped and counted', async () => {
    const { t, got, port } = await layer();
    const sock = createSocket('udp4');
    const replies: string[] = [];
    sock.on('message', (m) => replies.push(m.toString('latin1')));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const bad = options('127.0.0.1:1', 'z9hG4bKb').replace(
      'Content-Length: 0',
      'Content-Length: 9999',
    );
    sock.send(bad, port, '127.0.0.1');
    sock.send('\x00\x01 not sip at all', port, '127.0.0.1');
    await until(() => replies.length === 1 && t.counters.droppedMalformed === 1);
    sock.close();
    expect(replies[0]).toMatch(/^SIP\/2\.0 400 Content-Length Larger Than Message\r\n/);
    expect(got).toHaveLength(0);
    expect(t.counters.droppedMalformed).toBe(1);
  });

  it('TCP: two pipelined messages written in odd chunks, and the response reuses the connection', async () => {
    const { t, got } = await layer();
    const tcpPort = t.localEndpoint('tcp')!.port;
    const sock = connect(tcpPort, '127.0.0.1');
    const replies: string[] = [];
    sock.on('data', (d) => replies.push(d.toString('latin1')));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const both = Buffer.from(
      options('127.0.0.1:1', 'z9hG4bKc1') + '\r\n' + options('127.0.0.1:1', 'z9hG4bKc2'),
    );
    for (let i = 0; i < both.length; i += 37) sock.write(both.subarray(i, i + 37));
    await until(() => got.length === 2);
    expect(got.map((g) => (g.message as SipRequest).get('call-id'))).toEqual([
      'z9hG4bKc1',
      'z9hG4bKc2',
    ]);
    // Answer on the connection the request came on.
    await t.send(
      createResponse(got[0]!.message as SipRequest, 200),
      got[0]!.source,
      got[0]!.connectionId,
    );
    await until(() => replies.join('').includes('200 OK'));
    expect(replies.join('')).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    sock.destroy();
  });

  it('UDP with a request socket: requests leave from it and their responses come back to it; answers leave from the listener', async () => {
    const { t, got } = await startedUdpLayer(layers, { requestPort: 0 });
    const listener = t.localEndpoint('udp')!;
    const own = t.requestEndpoint('udp')!;
    expect(own.port).not.toBe(listener.port);

    const peer = createSocket('udp4');
    const seen: Array<{ text: string; port: number }> = [];
    peer.on('message', (m, r) => seen.push({ text: m.toString('latin1'), port: r.port }));
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    const dest = { protocol: 'udp' as const, address: '127.0.0.1', port: peer.address().port };
    const parsed = parseMessage(Buffer.from(options(`127.0.0.1:${own.port}`, 'z9hG4bKown')));
    if (!parsed.ok) throw new Error(parsed.error);
    await t.send(parsed.message, dest);
    await until(() => seen.length === 1);
    expect(seen[0]!.port).toBe(own.port);
    // The peer answers where the request came from: it reaches us on the request socket.
    const answer = createResponse(parsed.message as SipRequest, 200);
    peer.send(serializeMessage(answer), own.port, '127.0.0.1');
    await until(() => got.length === 1);
    expect(got[0]!.local.port).toBe(own.port);
    // A request to the listener is answered from the listener (RFC 3581 4).
    peer.send(options(`127.0.0.1:${dest.port}`, 'z9hG4bKin'), listener.port, '127.0.0.1');
    await until(() => got.length === 2);
    await t.send(
      createResponse(got[1]!.message as SipRequest, 200),
      got[1]!.source,
      got[1]!.connectionId,
    );
    await until(() => seen.length === 2);
    expect(seen[1]!.port).toBe(listener.port);
    peer.close();
  });

  it('UDP with a listener hold: a burst to both sockets is delivered whole and in order per socket', async () => {
    const { t, got } = await startedUdpLayer(layers, { requestPort: 0, listenerHoldMs: 50 });
    const listener = t.localEndpoint('udp')!.port;
    const own = t.requestEndpoint('udp')!.port;
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    // Several full read batches on the request socket, new requests on the listener between them.
    for (let i = 0; i < 300; i++) {
      peer.send(options('127.0.0.1:5999', `z9hG4bKr${i}`), own, '127.0.0.1');
      if (i % 8 === 0) peer.send(options('127.0.0.1:5999', `z9hG4bKl${i}`), listener, '127.0.0.1');
    }
    await until(() => got.length === 338);
    expect(got).toHaveLength(338);
    const branches = (port: number): string[] =>
      got
        .filter((g) => g.local.port === port)
        .map((g) => (g.message as SipRequest).topVia()!.params.get('branch')!);
    const expected = (prefix: string, keep: (i: number) => boolean): string[] =>
      Array.from({ length: 300 }, (_, i) => i)
        .filter(keep)
        .map((i) => `z9hG4bK${prefix}${i}`);
    expect(branches(own)).toEqual(expected('r', () => true));
    expect(branches(listener)).toEqual(expected('l', (i) => i % 8 === 0));
    peer.close();
  });

  it('TCP: a header section that never ends is cut at the size limit and the connection closed', async () => {
    const { t } = await layer();
    const sock = connect(t.localEndpoint('tcp')!.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('error', () => {});
    const line = Buffer.from('X-Endless: ' + 'a'.repeat(1000) + '\r\n');
    for (let i = 0; i < 80; i++) sock.write(line);
    await closed;
    expect(t.counters.droppedMalformed).toBe(1);
  });

  it('IPv6: a listener on ::1 receives and stamps a request', async () => {
    const { got, port } = await layer('::1');
    const sock = createSocket('udp6');
    await new Promise<void>((r) => sock.bind(0, '::1', () => r()));
    sock.send(options('[2001:db8::1]:5060', 'z9hG4bKd'), port, '::1');
    await until(() => got.length === 1);
    sock.close();
    expect(got[0]!.source.address).toBe('::1');
    expect((got[0]!.message as SipRequest).first('via')).toContain('received=::1');
  });
});
