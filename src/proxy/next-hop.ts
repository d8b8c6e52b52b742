import { parseNameAddr } from '../sip/message/name-addr.js';
import { parseUri, type SipUri } from '../sip/message/sip-uri.js';
import type { Endpoint } from '../sip/transport/types.js';

/**
 * Where a request for this URI goes (RFC 3263 without DNS SRV: the host is an
 * address or a name the OS resolves, the port defaults to 5060, the transport
 * comes from the `transport` parameter, sips means TCP here).
 */
export function uriEndpoint(uri: SipUri): Endpoint | undefined {
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return undefined;
  if (!uri.host) return undefined;
  const t = uri.params.get('transport');
  const tcp = uri.scheme === 'sips' || (typeof t === 'string' && t.toLowerCase() === 'tcp');
  return { protocol: tcp ? 'tcp' : 'udp', address: uri.host, port: uri.port ?? 5060 };
}

/** The URI inside a Route or Record-Route value (`<sip:...;lr>`). */
export function routeUri(value: string): SipUri | undefined {
  const na = parseNameAddr(value);
  return na ? parseUri(na.uri) : undefined;
}
