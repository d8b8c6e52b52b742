import type { SipMessage } from '../message/sip-message.js';

/** RFC 3261 18: TLS is the TCP transport over a TLS socket (RFC 3261 26.2). */
export type TransportProtocol = 'udp' | 'tcp' | 'tls';

/** How an outgoing TLS connection checks its peer (RFC 5922: the certificate names the host). */
export interface TlsPeerOptions {
  /** PEM bundle trusted instead of the default CA store (a pinned CA). */
  caFile?: string;
  /** Name sent in SNI and matched against the certificate; default the host. */
  serverName?: string;
  /** false: accept any certificate (testing only). Default true. */
  verify?: boolean;
}

/** One end of a SIP hop. IPv6 addresses are written without brackets here. */
export interface Endpoint {
  protocol: TransportProtocol;
  address: string;
  port: number;
  /** For protocol tls, when we open the connection: how the peer is verified. */
  tls?: TlsPeerOptions;
}

/** A parsed message as it came off the wire, with where it came from. */
export interface Inbound {
  message: SipMessage;
  /** The peer that sent it (for TCP, the connection's remote end). */
  source: Endpoint;
  /** Our listening socket it arrived on. */
  local: Endpoint;
  /** For stream transports: the connection it came on, so responses can reuse it. */
  connectionId?: string;
}

/**
 * What the transaction layer needs from the transports (RFC 3261 §18): send a
 * message to an endpoint, and be told of every message that arrives. The
 * implementation parses, applies received/rport (RFC 3581) to requests, answers
 * unparseable requests with a stateless 400, and counts what it drops.
 */
export interface SipTransport {
  /**
   * Sends a message. Rejects when the transport knows it failed (TCP connect
   * refused or reset, ICMP error on a connected UDP socket, no route): the
   * transaction layer turns that into a transport error for the transaction.
   * For TCP an existing connection to the endpoint (or `connectionId`) is reused.
   */
  send(message: SipMessage, destination: Endpoint, connectionId?: string): Promise<void>;
  /** Registers the receiver of every inbound message (one receiver). */
  onMessage(handler: (inbound: Inbound) => void): void;
  /** The address and port we are reachable at for a protocol (for Via and Record-Route). */
  localEndpoint(protocol: TransportProtocol, family?: 4 | 6): Endpoint | undefined;
  /**
   * Where the requests we send leave from, when that is not the listener (worker
   * mode: each worker's own UDP socket, docs/workers.md). Our Via names it.
   */
  requestEndpoint?(protocol: TransportProtocol, family?: 4 | 6): Endpoint | undefined;
  /** True for stream transports (no retransmission timers, RFC 3261 17.1.1.2). */
  isReliable(protocol: TransportProtocol): boolean;
  close(): Promise<void>;
}
