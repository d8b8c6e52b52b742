import type { SipMessage, SipRequest } from '../message/sip-message.js';
import type { Endpoint } from '../transport/types.js';
import type { Clock } from '../../util/clock.js';
import type { Afterlife } from './lingering-transactions.js';
import type { ClientTransactionHandler, TimerValues } from './types.js';

/** What every transaction machine gets from the layer that owns it. */
export interface TransactionContext {
  clock: Clock;
  timers: TimerValues;
  send(message: SipMessage, destination: Endpoint, connectionId?: string): Promise<void>;
  reliable(destination: Endpoint): boolean;
  /** How long a request read now has likely waited in our socket queues (ms; 0 when unknown). */
  queuedMs(): number;
  /** Starts a CANCEL's own non-INVITE client transaction (RFC 3261 9.1). */
  sendCancel(
    cancel: SipRequest,
    destination: Endpoint,
    handler: Partial<ClientTransactionHandler>,
    connectionId?: string,
  ): void;
  /** Forget the transaction (it reached Terminated). */
  remove(key: string): void;
  /**
   * The transaction has decided everything and only waits out a timer of `ms`:
   * the layer forgets it and keeps only what a late message needs
   * (lingering-transactions.ts); it counts as live until then.
   */
  linger(
    key: string,
    side: 'client' | 'server',
    ms: number,
    kind: Afterlife,
    text?: string,
    to?: Endpoint,
    connectionId?: string,
  ): void;
  log(event: string, detail: Record<string, unknown>): void;
}
