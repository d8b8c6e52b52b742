import type { SipMessage } from '../message/sip-message.js';
import type { Endpoint } from '../transport/types.js';
import type { Clock } from '../../util/clock.js';
import type { TimerValues } from './types.js';

/** What every transaction machine gets from the layer that owns it. */
export interface TransactionContext {
  clock: Clock;
  timers: TimerValues;
  send(message: SipMessage, destination: Endpoint, connectionId?: string): Promise<void>;
  reliable(destination: Endpoint): boolean;
  /** Forget the transaction (it reached Terminated). */
  remove(key: string): void;
  log(event: string, detail: Record<string, unknown>): void;
}
