import { describe, expect, it } from 'vitest';
import { EndpointPool } from '../../../../src/sip/transaction/endpoint-pool.js';
import type { Endpoint } from '../../../../src/sip/transport/types.js';

describe('EndpointPool', () => {
  it('gives one object per peer, equal to what it was given', () => {
    const pool = new EndpointPool();
    const a = pool.shared({ protocol: 'udp', address: '192.0.2.10', port: 5060 });
    const b = pool.shared({ protocol: 'udp', address: '192.0.2.10', port: 5060 });
    expect(b).toBe(a);
    expect(a).toEqual({ protocol: 'udp', address: '192.0.2.10', port: 5060 });
    // Any field that differs is another peer.
    expect(pool.shared({ protocol: 'tcp', address: '192.0.2.10', port: 5060 })).not.toBe(a);
    expect(pool.shared({ protocol: 'udp', address: '192.0.2.11', port: 5060 })).not.toBe(a);
    expect(pool.shared({ protocol: 'udp', address: '192.0.2.10', port: 5061 })).not.toBe(a);
    expect(pool.shared({ protocol: 'udp', address: '2001:db8::1', port: 5060 })).toEqual({
      protocol: 'udp',
      address: '2001:db8::1',
      port: 5060,
    });
  });

  it('keeps an endpoint with TLS options as it is', () => {
    const pool = new EndpointPool();
    const tls: Endpoint = {
      protocol: 'tls',
      address: '192.0.2.10',
      port: 5061,
      tls: { serverName: 'sip.example.net' },
    };
    expect(pool.shared(tls)).toBe(tls);
  });

  it('stays bounded with many peers, and still answers correctly', () => {
    const pool = new EndpointPool();
    for (let port = 1; port <= 10_000; port++) {
      const ep = pool.shared({ protocol: 'udp', address: '198.51.100.7', port });
      expect(ep.port).toBe(port);
    }
    expect((pool as unknown as { count: number }).count).toBeLessThanOrEqual(4096);
    // Past the bound the pool starts again; what it gives is still right.
    const again = pool.shared({ protocol: 'udp', address: '198.51.100.7', port: 1 });
    expect(pool.shared({ protocol: 'udp', address: '198.51.100.7', port: 1 })).toBe(again);
  });
});
