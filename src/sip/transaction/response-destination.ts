import type { SipMessage } from '../message/sip-message.js';
import type { Endpoint } from '../transport/types.js';

/**
 * Where a response goes (RFC 3261 18.2.2, RFC 3581 4): to the `received` address
 * of the top Via (else its sent-by host), on the `rport` port (else the sent-by
 * port, else 5060), over the Via's transport.
 */
export function responseDestination(m: SipMessage): Endpoint | undefined {
  const via = m.topVia();
  if (!via) return undefined;
  const received = via.params.get('received');
  const rport = via.params.get('rport');
  const address =
    typeof received === 'string' && received ? received.replace(/^\[|\]$/g, '') : via.host;
  const protocol = via.transport === 'UDP' ? 'udp' : via.transport === 'TLS' ? 'tls' : 'tcp';
  // RFC 3261 19.1.2: a TLS sent-by without a port means 5061.
  const port =
    typeof rport === 'string' && /^\d+$/.test(rport)
      ? Number(rport)
      : (via.port ?? (protocol === 'tls' ? 5061 : 5060));
  return { protocol, address, port };
}
