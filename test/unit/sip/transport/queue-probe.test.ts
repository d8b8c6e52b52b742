import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { QueueDelays, QueueProbe } from '../../../../src/sip/transport/queue-probe.js';
import type { TransportLayer } from '../../../../src/sip/transport/transport-layer.js';
import { startedUdpLayer } from './started-layer.js';

describe('QueueProbe', () => {
  it('reads back its own probe with the time it waited, and nothing else', () => {
    let now = 1000;
    const probe = new QueueProbe('a'.repeat(32), 3, () => now);
    const packet = probe.packet();
    expect(QueueProbe.isProbe(packet)).toBe(true);
    now = 1042.5;
    expect(probe.read(packet)).toEqual({ sender: 3, sentAt: 1000, delayMs: 42.5 });
    // Another server's key (or a made-up one) is no reading.
    expect(new QueueProbe('b'.repeat(32), 3, () => now).read(packet)).toBeUndefined();
    const forged = Buffer.from(packet);
    forged[forged.length - 8] = 0x20;
    expect(probe.read(forged)).toBeUndefined();
    expect(probe.read(packet.subarray(0, 30))).toBeUndefined();
    // SIP never starts with NUL: a message is never taken for a probe.
    expect(QueueProbe.isProbe(Buffer.from('OPTIONS sip:x SIP/2.0\r\n'))).toBe(false);
    expect(QueueProbe.isProbe(Buffer.alloc(0))).toBe(false);
  });
});

describe('QueueDelays', () => {
  it('reports the longest fresh delay, and a probe still unread as at least its age', () => {
    let now = 0;
    const d = new QueueDelays(() => now);
    expect(d.latest(300)).toBeUndefined();
    d.sent(0, 0);
    now = 5;
    d.record(0, { sentAt: 0, delayMs: 5 });
    d.record(1, { sentAt: 0, delayMs: 12 });
    expect(d.latest(300)).toBe(12);
    // Socket 0's next probe is not back after 150 ms: the queue is at least that long.
    d.sent(0, 100);
    now = 250;
    expect(d.latest(300)).toBe(150);
    // Read at last: first in, first out, so nothing older is still waiting.
    now = 260;
    d.record(0, { sentAt: 100, delayMs: 160 });
    expect(d.latest(300)).toBe(160);
    // Stale readings are no readings.
    now = 1000;
    expect(d.latest(300)).toBeUndefined();
    // A probe unread for long counts however old the last reading is: the queue
    // behind it may be the longest one.
    d.sent(1, 1000);
    now = 1400;
    expect(d.latest(300)).toBe(400);
    // One that could not be sent is not waited for.
    d.forget(1, 1000);
    expect(d.latest(300)).toBeUndefined();
  });
});

const layers: TransportLayer[] = [];
afterEach(async () => {
  for (const l of layers.splice(0)) await l.close();
});

describe('TransportLayer queue probes', () => {
  it('measures the wait in the listener and request sockets: at least as long as the loop was blocked', async () => {
    const { t, got } = await startedUdpLayer(layers, { requestPort: 0 });
    expect(t.queueDelayMs(1000)).toBeUndefined();
    t.probeQueues();
    // The loop blocked: the probes wait in the kernel's queues meanwhile.
    const until = Date.now() + 120;
    while (Date.now() < until) {
      // busy
    }
    for (let i = 0; i < 100 && t.queueDelayMs(5000) === undefined; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(t.queueDelayMs(5000)).toBeGreaterThanOrEqual(100);
    // Probes are neither handed up as SIP nor counted as malformed.
    expect(got).toHaveLength(0);
    expect(t.counters.droppedMalformed).toBe(0);
  });

  it('drops a probe that is not its own as malformed, and records nothing', async () => {
    const { t } = await startedUdpLayer(layers);
    const other = new QueueProbe('c'.repeat(32));
    const s = createSocket('udp4');
    await new Promise<void>((r) =>
      s.send(other.packet(), t.localEndpoint('udp')!.port, '127.0.0.1', () => r()),
    );
    for (let i = 0; i < 100 && t.counters.droppedMalformed === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    s.close();
    expect(t.counters.droppedMalformed).toBe(1);
    expect(t.queueDelayMs(5000)).toBeUndefined();
  });
});
