import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Scene, routeTable } from './harness/scene.js';
import type { TrunkrouteProcess } from './harness/trunkroute.js';

// Issue 8, TCP: a peer that sends an endless header block is cut at the size
// limit, idle and half-open connections are closed after sip.tcp_idle_timeout_ms,
// and in each case trunkroute keeps serving (a real SIPp call over TCP connects).

const scene = new Scene();
afterEach(() => scene.stopAll());

const MAX_MESSAGE = 16_384;

/** Opens a TCP connection to trunkroute; `closed` resolves when the server ends it. */
async function open(tr: TrunkrouteProcess): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect(tr.sipPort, '127.0.0.1');
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  scene.onStop(async () => socket.destroy());
  return { socket, closed };
}

/** Resolves true when `p` settles within `ms` (a bound on the wait, not a timing assertion). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  const done = await Promise.race([p.then(() => true), bound]);
  clearTimeout(timer);
  return done;
}

async function tcpCallConnects(tr: TrunkrouteProcess): Promise<void> {
  const r = await scene.call(tr, { transport: 'tcp' });
  expect(r.successfulCalls).toBe(1);
}

describe('TCP hardening (real SIPp)', () => {
  it('an endless header block is cut at the size limit: the connection is closed, the server keeps serving', async () => {
    const b = await scene.provider('b', { answer: true }, { calls: 1 });
    const tr = await scene.trunkroute(routeTable([b]), {
      sip: { max_message_size: MAX_MESSAGE },
      // The transport says why it closed a connection at debug level.
      log: { level: 'debug' },
    });
    const { socket, closed } = await open(tr);
    socket.write(
      'INVITE sip:+34911234567@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKendless\r\n',
    );
    // Header lines without end, 1 KB at a time, up to 64 times the limit.
    let written = 0;
    let open_ = true;
    void closed.then(() => {
      open_ = false;
    });
    const line = `X-Padding: ${'a'.repeat(1000)}\r\n`;
    while (open_ && written < 64 * MAX_MESSAGE) {
      if (!socket.write(line)) await new Promise((r) => setTimeout(r, 5));
      written += line.length;
      if (written % (8 * line.length) === 0) await new Promise((r) => setImmediate(r));
    }
    // Closed while the sender keeps the connection open (it never ends it), long before the
    // idle timeout (600 s).
    expect(await within(closed, 10_000)).toBe(true);
    // And closed by the size limit: the server did not buffer the stream. (How much the
    // sender managed to write first says nothing here: loopback's kernel buffers take a
    // megabyte or more before the server has read its first 16 KB on a busy machine.)
    const cut = await tr.waitForLog((l) => l.msg === 'tcp framing error');
    expect(cut.error).toBe('Header section too large');
    await tcpCallConnects(tr);
  });

  it('a message larger than the limit (declared by Content-Length) closes the connection too', async () => {
    const b = await scene.provider('b', { answer: true }, { calls: 1 });
    const tr = await scene.trunkroute(routeTable([b]), {
      sip: { max_message_size: MAX_MESSAGE },
    });
    const { socket, closed } = await open(tr);
    socket.write(
      [
        'INVITE sip:+34911234567@127.0.0.1 SIP/2.0',
        'Via: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKhuge',
        'From: <sip:a@127.0.0.1>;tag=1',
        'To: <sip:+34911234567@127.0.0.1>',
        'Call-ID: huge',
        'CSeq: 1 INVITE',
        `Content-Length: ${10 * MAX_MESSAGE}`,
        '',
        '',
      ].join('\r\n'),
    );
    expect(await within(closed, 10_000)).toBe(true);
    await tcpCallConnects(tr);
  });

  it('idle and half-open connections are closed after sip.tcp_idle_timeout_ms; a busy one is not', async () => {
    const b = await scene.provider('b', { answer: true }, { calls: 1 });
    const tr = await scene.trunkroute(routeTable([b]), { sip: { tcp_idle_timeout_ms: 1000 } });
    // Idle from the start.
    const idle = await open(tr);
    // Half-open: a message started, then the peer went quiet.
    const half = await open(tr);
    half.socket.write('OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;bra');
    // Busy: an OPTIONS every 300 ms, answered each time, while the others are cut.
    const busy = await open(tr);
    let answers = 0;
    busy.socket.on('data', (d) => {
      answers += (d.toString('latin1').match(/SIP\/2\.0 200/g) ?? []).length;
    });
    let busyClosed = false;
    void busy.closed.then(() => {
      busyClosed = true;
    });
    const ping = (n: number): string =>
      [
        'OPTIONS sip:ping@127.0.0.1 SIP/2.0',
        `Via: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKbusy${n}`,
        `From: <sip:a@127.0.0.1>;tag=${n}`,
        'To: <sip:ping@127.0.0.1>',
        `Call-ID: busy${n}`,
        'CSeq: 1 OPTIONS',
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    const both = Promise.all([idle.closed, half.closed]);
    let n = 0;
    while (!(await within(both, 300)) && n < 40) busy.socket.write(ping(n++));
    expect(await within(both, 10_000)).toBe(true);
    expect(busyClosed).toBe(false);
    expect(answers).toBeGreaterThan(0);
    busy.socket.destroy();
    await tcpCallConnects(tr);
  });
});
