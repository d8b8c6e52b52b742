import { Fifo } from '../../util/fifo.js';

/**
 * Datagrams a UDP socket delivers in one readiness callback: libuv reads up to
 * this many before it moves on to the next socket (uv__udp_recvmsg). A request
 * socket that delivered this many in one turn has more waiting.
 */
export const UDP_READ_BATCH = 32;

export interface ListenerHoldOptions {
  /** Request-socket datagrams in one turn that mean more are waiting (UDP_READ_BATCH). */
  batch?: number;
  /** The longest a listener datagram is held (ms): past it, it runs whatever waits; 0: never held. */
  maxHoldMs: number;
  now: () => number;
  /** Runs the callback once the current event-loop turn's I/O is done (setImmediate). */
  defer: (fn: () => void) => void;
}

/**
 * Answers to calls already in progress before new calls: while a request
 * socket (providers' responses, the dialogs' ACKs and BYEs) has more queued
 * than one turn reads, what the listener delivers (new INVITEs) is held, and
 * run in order, a batch a turn, once the request socket has been read empty.
 *
 * Without it libuv reads each ready socket alike, a batch a turn, though the
 * listener carries one datagram of a failover call and the request socket
 * about ten: in a backlog the new INVITEs were read first and the responses of
 * the calls they joined waited behind them, on each of a call's three or four
 * passes (BENCHMARKS.md, "Answers before new calls"). In the spirit of RFC 6357
 * 3 (work already accepted is worth more than new work): a call's INVITE
 * waits once, and what follows it hardly does.
 *
 * A hold never lasts past maxHoldMs, so a request socket that stays full (an
 * overload) still lets new INVITEs through to be shed; the overload guard's
 * queue probe on the listener is held like any other datagram, so the wait
 * counts in what it measures.
 */
export class ListenerHold {
  private readonly batch: number;
  /** Request-socket datagrams read this turn, by socket. */
  private readonly reads: number[] = [];
  private backlog = false;
  private readonly held = new Fifo<{ at: number; run: () => void }>();
  private checking = false;

  constructor(private readonly opts: ListenerHoldOptions) {
    this.batch = opts.batch ?? UDP_READ_BATCH;
  }

  /** Held listener datagrams. */
  get size(): number {
    return this.held.size;
  }

  /** A datagram was read from request socket `socket` (an index). */
  requestRead(socket: number): void {
    if (this.opts.maxHoldMs <= 0) return;
    this.reads[socket] = (this.reads[socket] ?? 0) + 1;
    this.scheduleCheck();
  }

  /** A datagram from the listener: run now, or once the request sockets are read empty. */
  listenerRead(run: () => void): void {
    if (this.opts.maxHoldMs <= 0 || (!this.backlog && this.size === 0)) {
      run();
      return;
    }
    this.held.push({ at: this.opts.now(), run });
    this.scheduleCheck();
  }

  private scheduleCheck(): void {
    if (this.checking) return;
    this.checking = true;
    this.opts.defer(() => this.endOfTurn());
  }

  /** Drops what is held (the transport is closing). */
  clear(): void {
    this.held.clear();
  }

  /** After a turn's I/O: was a request socket read full, and what may run now. */
  private endOfTurn(): void {
    this.checking = false;
    this.backlog = this.reads.some((n) => n >= this.batch);
    this.reads.length = 0;
    const now = this.opts.now();
    // Read empty: a batch of held datagrams runs, as libuv would have read them.
    let allowed = this.backlog ? 0 : this.batch;
    for (let next = this.held.peek(); next; next = this.held.peek()) {
      if (allowed > 0) allowed--;
      else if (now - next.at < this.opts.maxHoldMs) break;
      this.held.shift();
      next.run();
    }
    if (this.size > 0) this.scheduleCheck();
  }
}
