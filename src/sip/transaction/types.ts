import type { SipRequest, SipResponse } from '../message/sip-message.js';
import type { Endpoint } from '../transport/types.js';

/** RFC 3261 17.1.1.1 timer base values, in milliseconds. */
export interface TimerValues {
  T1: number;
  T2: number;
  T4: number;
}

export const DEFAULT_TIMERS: TimerValues = { T1: 500, T2: 4000, T4: 5000 };

/** How a client transaction reports to its transaction user (the proxy core). */
export interface ClientTransactionHandler {
  /** Every response that the RFC says goes up: 1xx, the final response, and 2xx retransmissions for INVITE. */
  onResponse(response: SipResponse, tx: ClientTransaction): void;
  /** Timer B or F fired (RFC 3261 17.1.1.2, 17.1.2.2): the TU treats it as a 408. */
  onTimeout(tx: ClientTransaction): void;
  /** The transport failed to send (RFC 3261 17.1.4): the TU treats it as a 503. */
  onTransportError(tx: ClientTransaction, error: Error): void;
}

export interface ClientTransaction {
  readonly id: string;
  readonly branch: string;
  /** The request; undefined once it will not be sent again (an INVITE in Completed). */
  readonly request: SipRequest | undefined;
  readonly destination: Endpoint;
  readonly state: string;
  /**
   * Builds and sends a CANCEL for this INVITE (RFC 3261 9.1): only once a
   * provisional response has arrived; before that the CANCEL is held and sent
   * when the first 1xx comes, or dropped if a final response comes first.
   * Returns the CANCEL's own client transaction when it was sent at once.
   */
  cancel(handler?: Partial<ClientTransactionHandler>): void;
  /** Stops retransmitting and forgets the transaction without telling the peer (abandon). */
  terminate(): void;
}

export interface ServerTransaction {
  readonly id: string;
  readonly request: SipRequest;
  readonly source: Endpoint;
  readonly state: string;
  /** Sends a response (the last one is retransmitted as the RFC says). */
  respond(response: SipResponse): void;
  /** Forgets the transaction now: no more retransmissions, nothing absorbed. */
  terminate(): void;
  /** For INVITE: Timer H fired without an ACK for a non-2xx final response. */
  onAckTimeout?: () => void;
}

/** What the transaction layer hands its user for each new request. */
export interface IncomingRequest {
  request: SipRequest;
  source: Endpoint;
  connectionId?: string;
  /**
   * The server transaction created for it; undefined for an ACK that matched no
   * transaction (the ACK for a 2xx, RFC 3261 17.2.3), which the proxy forwards.
   */
  transaction?: ServerTransaction;
  /** For a CANCEL: the INVITE server transaction it cancels (RFC 3261 9.2), if any. */
  cancelled?: ServerTransaction;
}

export interface TransactionUser {
  onRequest(incoming: IncomingRequest): void;
  /**
   * A response that matched no client transaction (RFC 3261 17.1.3 / 18.1.2),
   * e.g. a 2xx retransmission after the INVITE client transaction ended: a
   * proxy forwards it statelessly (RFC 3261 16.7 step 3 / 16.11).
   */
  onStrayResponse(response: SipResponse, source: Endpoint): void;
}
