import { describe, expect, it } from 'vitest';
import { uriEndpoint } from '../../../src/proxy/next-hop.js';
import { parseUri } from '../../../src/sip/message/sip-uri.js';

const ep = (uri: string, tls?: Parameters<typeof uriEndpoint>[1]) =>
  uriEndpoint(parseUri(uri)!, tls);

describe('uriEndpoint', () => {
  it('sips and transport=tls go over TLS, on 5061 unless a port is given (RFC 5630, RFC 3261 19.1.2)', () => {
    expect(ep('sips:+1555@198.51.100.1')).toEqual({
      protocol: 'tls',
      address: '198.51.100.1',
      port: 5061,
    });
    expect(ep('sip:+1555@[2001:db8::1]:5071;transport=tls')).toEqual({
      protocol: 'tls',
      address: '2001:db8::1',
      port: 5071,
    });
    expect(ep('sip:h;transport=tcp')).toEqual({ protocol: 'tcp', address: 'h', port: 5060 });
    expect(ep('sip:h')).toEqual({ protocol: 'udp', address: 'h', port: 5060 });
  });

  it("a TLS hop carries the provider's verification settings; other hops do not", () => {
    const tls = { ca_file: '/ca.pem', server_name: 'sip.example', verify: true };
    expect(ep('sips:h', tls)?.tls).toEqual({
      caFile: '/ca.pem',
      serverName: 'sip.example',
      verify: true,
    });
    expect(ep('sip:h;transport=udp', tls)?.tls).toBeUndefined();
  });
});
