import type { TimerHandle } from '../../util/clock.js';

/**
 * Cancels a timer and returns undefined, for `this.timerX = cancelTimer(this.timerX)`:
 * a handle kept after cancelling still holds the runtime's timer object and its
 * callback for as long as the transaction lives (32 s in Completed).
 */
export function cancelTimer(timer: TimerHandle | undefined): undefined {
  timer?.cancel();
  return undefined;
}
