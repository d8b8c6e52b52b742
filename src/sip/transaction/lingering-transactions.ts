import type { Clock, TimerHandle } from '../../util/clock.js';
import { Fifo } from '../../util/fifo.js';
import type { Endpoint } from '../transport/types.js';

/**
 * What a message matching a transaction that only waits out its timer meets:
 * - `ack`: a final response gets the ACK again (RFC 3261 17.1.1.2, Completed, Timer D);
 * - `final`: a retransmitted request gets the final response again (17.2.2, Completed, Timer J);
 * - `accepted`: an INVITE whose 2xx went up (RFC 6026 8.7, Accepted, Timer L):
 *   a retransmitted INVITE is absorbed, the ACK goes to the TU, a CANCEL finds it;
 * - `absorb`: absorbed (17.1.2.2 Completed, Timer K; 17.2.1 Confirmed, Timer I).
 */
export type Afterlife = 'ack' | 'final' | 'accepted' | 'absorb';

/** One transaction's remains: its key, its end, and what it sends again (as text). */
export class Lingering {
  constructor(
    readonly key: string,
    /** When it ends, in sweeps (SWEEP_MS) since the store began: a small integer, no number object. */
    readonly due: number,
    readonly kind: Afterlife,
    /** The ACK or the final response, as messageText() wrote it; none for the others. */
    readonly text: string | undefined,
    readonly to: Endpoint | undefined,
    readonly connectionId: string | undefined,
  ) {}
}

/** The entries of one wait time, due in the order they came (the clock is monotonic). */
interface Wait {
  readonly ms: number;
  readonly entries: Fifo<Lingering>;
  timer: TimerHandle | undefined;
}

/**
 * Entries end on a grid of this many milliseconds, swept at most this often:
 * one outlives its timer by less than this, absorbing a little longer, where
 * one runtime timer per entry was a wake-up every millisecond under load.
 */
const SWEEP_MS = 20;

/**
 * The transactions that have decided everything and only wait out an RFC
 * timer (Timers D, I, J, K; RFC 6026's L), tens of thousands at once under
 * load, almost all for 32 s. A transaction object with its timer, its kept
 * message and its strings was half a dozen objects that every major GC marked
 * again for 32 s (issue 14: the marking took the second core in bursts and the
 * setup-time tail with it); here each is one small object, its key, and the
 * text it may send again. The object the TU holds stays usable (a 2xx of
 * another fork still goes out through an Accepted INVITE server transaction)
 * and is collected once the TU lets go.
 */
export class LingeringTransactions {
  private readonly byKey = new Map<string, Lingering>();
  private readonly waits = new Map<number, Wait>();
  private readonly epoch: number;

  constructor(private readonly clock: Clock) {
    this.epoch = clock.now();
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Lingering | undefined {
    return this.byKey.get(key);
  }

  add(
    key: string,
    ms: number,
    kind: Afterlife,
    text?: string,
    to?: Endpoint,
    connectionId?: string,
  ): void {
    const due = Math.ceil((this.clock.now() + ms - this.epoch) / SWEEP_MS);
    const entry = new Lingering(key, due, kind, text, to, connectionId);
    this.byKey.set(key, entry);
    let wait = this.waits.get(ms);
    if (!wait) {
      wait = { ms, entries: new Fifo<Lingering>(), timer: undefined };
      this.waits.set(ms, wait);
    }
    wait.entries.push(entry);
    if (!wait.timer) wait.timer = this.clock.setTimer(ms, this.sweep, wait);
  }

  delete(key: string): void {
    this.byKey.delete(key);
  }

  clear(): void {
    for (const wait of this.waits.values()) wait.timer?.cancel();
    this.waits.clear();
    this.byKey.clear();
  }

  /** Forgets what is due in one wait, then waits for its next entry. */
  private readonly sweep = (wait: Wait): void => {
    wait.timer = undefined;
    const now = (this.clock.now() - this.epoch) / SWEEP_MS;
    let head = wait.entries.peek();
    while (head && head.due <= now) {
      wait.entries.shift();
      // Unless it was deleted, or the key came back as a newer entry.
      if (this.byKey.get(head.key) === head) this.byKey.delete(head.key);
      head = wait.entries.peek();
    }
    if (head) {
      const ms = Math.max(1, Math.ceil(head.due - now)) * SWEEP_MS;
      wait.timer = this.clock.setTimer(ms, this.sweep, wait);
    } else if (this.waits.get(wait.ms) === wait) {
      this.waits.delete(wait.ms);
    }
  };
}
