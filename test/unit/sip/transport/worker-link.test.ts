import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerLink } from '../../../../src/sip/transport/worker-link.js';

const KEY = '0123456789abcdef0123456789abcdef';

interface Got {
  text: string;
  source: { address: string; port: number };
  listener: number;
}

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function link(got: Got[], rejected: { n: number }): Promise<WorkerLink> {
  const l = new WorkerLink(
    2,
    KEY,
    (data, source, listener) => got.push({ text: data.toString('latin1'), source, listener }),
    () => rejected.n++,
  );
  await l.start();
  open.push(l);
  return l;
}

/** A plain socket standing in for a sibling: what arrives on the wire, datagram by datagram. */
async function spy(): Promise<{ socket: Socket; port: number; datagrams: Buffer[] }> {
  const socket = createSocket('udp4');
  const datagrams: Buffer[] = [];
  socket.on('message', (d) => datagrams.push(d));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  open.push({ close: () => new Promise<void>((r) => socket.close(() => r())) });
  return { socket, port: socket.address().port, datagrams };
}

const until = async (what: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 5));
};

const sendRaw = (socket: Socket, data: Buffer, port: number): Promise<void> =>
  new Promise((r) => socket.send(data, port, '127.0.0.1', () => r()));

describe('WorkerLink', () => {
  it('relays the datagrams of one poll in one envelope, in order, with their sources', async () => {
    const sibling = await spy();
    const a = await link([], { n: 0 });
    a.setPeers({ ports: [a.port!, sibling.port] });
    const sources = [
      { address: '192.0.2.1', port: 5060 },
      { address: '2001:db8::7', port: 5070 },
      { address: '198.51.100.9', port: 40000 },
    ];
    for (let i = 0; i < 3; i++) {
      expect(a.relay(1, Buffer.from(`INVITE ${i}\r\n\r\n`), sources[i]!, i % 2)).toBe(true);
    }
    await until(() => sibling.datagrams.length > 0);
    await new Promise((r) => setTimeout(r, 30));
    expect(sibling.datagrams).toHaveLength(1);

    // The owner hands each one on as if it had read it itself.
    const got: Got[] = [];
    const b = await link(got, { n: 0 });
    await sendRaw(sibling.socket, sibling.datagrams[0]!, b.port!);
    await until(() => got.length === 3);
    expect(got).toEqual([
      { text: 'INVITE 0\r\n\r\n', source: sources[0], listener: 0 },
      { text: 'INVITE 1\r\n\r\n', source: sources[1], listener: 1 },
      { text: 'INVITE 2\r\n\r\n', source: sources[2], listener: 0 },
    ]);
  });

  it('sends a batch early rather than past what a datagram holds, and a lone one in its own turn', async () => {
    const sibling = await spy();
    const a = await link([], { n: 0 });
    a.setPeers({ ports: [a.port!, sibling.port] });
    const big = Buffer.alloc(25_000, 0x41);
    const src = { address: '127.0.0.1', port: 5090 };
    for (let i = 0; i < 3; i++) a.relay(1, big, src, 0);
    await until(() => sibling.datagrams.length >= 2);
    a.relay(1, Buffer.from('ACK'), src, 0);
    await until(() => sibling.datagrams.length >= 3);
    await new Promise((r) => setTimeout(r, 30));
    const sizes = sibling.datagrams.map((d) => d.length);
    expect(sizes).toHaveLength(3);
    expect(sizes[0]).toBeGreaterThan(50_000); // two of the three
    expect(sizes[0]).toBeLessThan(60_000);
    expect(sizes[1]).toBeGreaterThan(25_000); // the third
    expect(sizes[1]).toBeLessThan(26_000);
    expect(sizes[2]).toBeLessThan(100);
  });

  it('refuses what a sibling did not send, and stops at a framing error', async () => {
    const got: Got[] = [];
    const rejected = { n: 0 };
    const b = await link(got, rejected);
    const raw = await spy();
    const forged = Buffer.from(`${'f'.repeat(32)} 1\n0 5060 10.0.0.1 3\nBYE`, 'latin1');
    await sendRaw(raw.socket, forged, b.port!);
    // The right key, but the second datagram claims more bytes than there are.
    const short = Buffer.from(`${KEY} 2\n0 5060 10.0.0.1 3\nACK0 5061 10.0.0.2 99\nBYE`, 'latin1');
    await sendRaw(raw.socket, short, b.port!);
    const zero = Buffer.from(`${KEY} 0\n`, 'latin1');
    await sendRaw(raw.socket, zero, b.port!);
    await until(() => rejected.n === 3);
    expect(rejected.n).toBe(3);
    expect(got).toEqual([
      { text: 'ACK', source: { address: '10.0.0.1', port: 5060 }, listener: 0 },
    ]);
  });

  it('says so when the owner is not known yet, so the reader handles the datagram', async () => {
    const a = await link([], { n: 0 });
    expect(a.relay(1, Buffer.from('x'), { address: '127.0.0.1', port: 1 }, 0)).toBe(false);
  });
});
