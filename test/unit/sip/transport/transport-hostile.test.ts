import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportLayer } from '../../../../src/sip/transport/transport-layer.js';
import type { Inbound } from '../../../../src/sip/transport/types.js';

// Inputs the over-the-wire fuzz suite (test/e2e/hardening-fuzz.test.ts) found
// reaching a handler error, kept here as fast regressions.

const layers: TransportLayer[] = [];
afterEach(async () => {
  for (const l of layers.splice(0)) await l.close();
});

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('TransportLayer under hostile input', () => {
  it('a response whose Via line holds only commas is dropped and counted, not a handler error', async () => {
    const errors: string[] = [];
    const t = new TransportLayer([{ protocol: 'udp', address: '127.0.0.1', port: 0 }], {
      log: (event) => errors.push(event),
    });
    await t.start();
    layers.push(t);
    const got: Inbound[] = [];
    t.onMessage((i) => got.push(i));
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const res =
      'SIP/2.0 200 OK\r\nVia: ,,,,\r\nFrom: <sip:a@example.com>;tag=1\r\n' +
      'To: <sip:b@example.com>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
    sock.send(res, t.localEndpoint('udp')!.port, '127.0.0.1');
    await until(() => t.counters.received === 1 && t.counters.droppedMalformed === 1);
    sock.close();
    expect(t.counters.droppedMalformed).toBe(1);
    expect(got).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a TCP peer trickling a message byte by byte is cut at tcpMessageTimeoutMs; a message that completes is not', async () => {
    let now = 0;
    const t = new TransportLayer([{ protocol: 'tcp', address: '127.0.0.1', port: 0 }], {
      tcpMessageTimeoutMs: 1000,
      now: () => now,
    });
    await t.start();
    layers.push(t);
    const got: Inbound[] = [];
    t.onMessage((i) => got.push(i));
    const port = t.localEndpoint('tcp')!.port;
    const msg =
      'OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKslow\r\n' +
      'From: <sip:a@example.com>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: slow\r\n' +
      'CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    const open = async () => {
      const s = connect(port, '127.0.0.1');
      s.setNoDelay(true);
      s.on('error', () => {});
      let closed = false;
      s.on('close', () => (closed = true));
      await new Promise<void>((r) => s.once('connect', () => r()));
      return { s, isClosed: () => closed };
    };
    const settle = () => new Promise((r) => setTimeout(r, 30));

    // A message in two parts, 900 ms apart on the injected clock: delivered, connection kept.
    const ok = await open();
    ok.s.write(msg.slice(0, 40));
    await settle();
    now += 900;
    ok.s.write(msg.slice(40));
    await until(() => got.length === 1);
    expect(got).toHaveLength(1);
    expect(ok.isClosed()).toBe(false);

    // One byte at a time, 300 ms apart: cut once the message has taken more than 1000 ms.
    const slow = await open();
    let sent = 0;
    while (!slow.isClosed() && sent < 20) {
      slow.s.write(msg[sent++]!);
      await settle();
      now += 300;
    }
    await until(() => slow.isClosed());
    expect(slow.isClosed()).toBe(true);
    expect(sent).toBeLessThan(10);
    expect(got).toHaveLength(1);
    ok.s.destroy();
    slow.s.destroy();
  });
});
