import { parseNameAddr } from '../sip/message/name-addr.js';
import { parseUri, type SipUri } from '../sip/message/sip-uri.js';
import type { SharedUri } from '../sip/message/sip-message.js';
import type { GatewayTls } from '../routing/model.js';
import type { Endpoint, TransportProtocol } from '../sip/transport/types.js';

/**
 * Where a request for this URI goes (RFC 3263 without DNS SRV: the host is an
 * address or a name the OS resolves, the transport comes from the `transport`
 * parameter, sips means TLS (RFC 5630 3.1), the port defaults to 5060, 5061 for
 * TLS). `tls`: the provider's verification settings, for a TLS hop.
 */
export function uriEndpoint(uri: SharedUri, tls?: GatewayTls): Endpoint | undefined {
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return undefined;
  if (!uri.host) return undefined;
  const t = uri.params.get('transport');
  const named = typeof t === 'string' ? t.toLowerCase() : '';
  const protocol: TransportProtocol =
    uri.scheme === 'sips' || named === 'tls' ? 'tls' : named === 'tcp' ? 'tcp' : 'udp';
  const ep: Endpoint = {
    protocol,
    address: uri.host,
    port: uri.port ?? (protocol === 'tls' ? 5061 : 5060),
  };
  if (protocol === 'tls' && tls)
    ep.tls = { caFile: tls.ca_file, serverName: tls.server_name, verify: tls.verify };
  return ep;
}

/** The URI inside a Route or Record-Route value (`<sip:...;lr>`). */
export function routeUri(value: string): SipUri | undefined {
  const na = parseNameAddr(value);
  return na ? parseUri(na.uri) : undefined;
}
