import type { Clock, TimerHandle } from '../../util/clock.js';

interface Ending {
  terminate(): void;
}

const terminate = (tx: Ending): void => tx.terminate();

/**
 * A timer whose only work is to end the transaction (RFC 3261 17: Timers D, I,
 * J, K at 0 on a reliable transport; over UDP the layer's remains wait instead,
 * lingering-transactions.ts): one function for all of them and the transaction
 * as its argument, so that each holds no closure and no context of its own.
 */
export function endAfter(clock: Clock, ms: number, tx: Ending): TimerHandle {
  return clock.setTimer(ms, terminate, tx);
}
