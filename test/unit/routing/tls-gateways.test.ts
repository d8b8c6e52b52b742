import { describe, expect, it } from 'vitest';
import {
  compileTable,
  planCall,
  seededRandom,
  validateTable,
  type Gateway,
} from '../../../src/routing/index.js';

// TLS gateways (RFC 3261 26, RFC 5630): how their URIs are read and what attempts they make.

function gatewayOf(uri: string, tls?: object): Gateway {
  const v = validateTable({
    providers: [{ id: 'p', gateways: [{ uri }], ...(tls ? { tls } : {}) }],
  });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.table.providers[0]!.gateways[0]!;
}

describe('TLS gateway URIs', () => {
  it.each([
    ['sip:198.51.100.1:5061;transport=tls', 'sip', 'tls', 5061],
    ['sip:198.51.100.1;transport=TLS', 'sip', 'tls', 5061],
    ['sips:198.51.100.1', 'sips', 'tls', 5061],
    ['sips:[2001:db8::1]:5071', 'sips', 'tls', 5071],
    ['sips:sip.example.com;transport=tls', 'sips', 'tls', 5061],
    ['sip:198.51.100.1', 'sip', 'udp', 5060],
  ])('%s', (uri, scheme, transport, port) => {
    const g = gatewayOf(uri);
    expect(g.scheme).toBe(scheme);
    expect(g.transport).toBe(transport);
    expect(g.port).toBe(port);
  });

  it('the provider tls settings are copied onto its TLS gateways', () => {
    expect(
      gatewayOf('sips:h.example', { ca_file: '/etc/ca.pem', server_name: 'sip.example' }).tls,
    ).toEqual({
      ca_file: '/etc/ca.pem',
      server_name: 'sip.example',
    });
    expect(gatewayOf('sips:h.example', { verify: false }).tls).toEqual({ verify: false });
  });

  it('attempts: key tls:host:port; Request-URI keeps sips, or says transport=tls', () => {
    const v = validateTable({
      providers: [
        { id: 'a', gateways: [{ uri: 'sips:198.51.100.1' }] },
        { id: 'b', gateways: [{ uri: 'sip:198.51.100.2:5071;transport=tls' }] },
      ],
      customers: [{ id: 'pbx', sources: ['192.0.2.0/24'] }],
      routes: [
        { id: 'ra', provider_id: 'a', priority: 1 },
        { id: 'rb', provider_id: 'b', priority: 2 },
      ],
    });
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    const plan = planCall(
      compileTable(v.table),
      { destination: '+15551234', sourceAddress: '192.0.2.1' },
      seededRandom(1),
      0,
    );
    expect(plan.attempts.map((a) => [a.gatewayKey, a.requestUri])).toEqual([
      ['tls:198.51.100.1:5061', 'sips:+15551234@198.51.100.1:5061'],
      ['tls:198.51.100.2:5071', 'sip:+15551234@198.51.100.2:5071;transport=tls'],
    ]);
  });
});
