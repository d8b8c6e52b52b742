import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

async function tcpFree(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const addr = srv.address();
      const p = typeof addr === 'object' && addr ? addr.port : undefined;
      srv.close(() => resolve(p));
    });
  });
}

async function udpFree(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(undefined));
    s.bind(port, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

const handedOut = new Set<number>();

/**
 * A loopback port free right now (for 'both': on UDP and TCP), never handed out
 * twice in one test process.
 */
export async function freePort(protocol: 'udp' | 'tcp' | 'both'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const candidate = 20000 + Math.floor(Math.random() * 40000);
    if (handedOut.has(candidate)) continue;
    const okTcp = protocol === 'udp' || (await tcpFree(candidate)) !== undefined;
    const okUdp = protocol === 'tcp' || (await udpFree(candidate)) !== undefined;
    if (okTcp && okUdp) {
      handedOut.add(candidate);
      return candidate;
    }
  }
  throw new Error('no free port found');
}
