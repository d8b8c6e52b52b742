import { createSocket } from 'node:dgram';
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
});
