import type { CallRecord, Hangup } from '../observability/call-record.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { CellMap } from '../util/cell-map.js';

export interface EstablishedCallsOptions {
  clock: Clock;
  /** An answered call whose BYE never comes is ended (`timeout`) this long after its answer. */
  leaseMs: number;
  /** At most this many calls are kept; past it the oldest is ended (`timeout`) early. */
  maxCalls: number;
  /** The record of an ended call, complete, with its Call-ID (to free its slots). */
  onEnd(record: CallRecord): void;
}

interface Entry {
  record: CallRecord;
  /** The caller's From tag: a BYE carrying it as its From tag comes from the caller. */
  callerTag: string | undefined;
  /** The token of our Record-Route in this dialog (ProxyIdentity.dialogToken). */
  dialogToken: string | undefined;
  answeredAt: number;
  expiresAt: number;
}

/**
 * The answered calls of this process, by Call-ID, from the 2xx to their end, so
 * that each one's record is written once, complete, when it ends. It lives in
 * the proxy rather than in the health monitor because it must work whatever
 * limits are configured; it is bounded by the same lease as the slots
 * (health.max_call_ms) and by a size cap, so a caller that never hangs up (or a
 * flood of them) cannot grow it without end.
 */
export class EstablishedCalls {
  /**
   * In answer order: the lease is the same for every call, so the oldest entries
   * expire first and a sweep stops at the first one still in force.
   */
  private readonly calls = new CellMap<string, Entry>();
  private sweeper?: TimerHandle;
  private closed = false;

  constructor(private readonly o: EstablishedCallsOptions) {}

  get size(): number {
    return this.calls.size;
  }

  /** The call was answered: its record (as setup left it) waits here for its end. */
  answered(record: CallRecord, callerTag: string | undefined, dialogToken?: string): void {
    if (this.closed) {
      this.o.onEnd(complete(record, this.o.clock, this.o.clock.now(), 'shutdown'));
      return;
    }
    const now = this.o.clock.now();
    // A second answer with the same Call-ID (a new INVITE reusing it) ends the first.
    if (this.calls.has(record.call_id)) this.end(record.call_id, 'timeout');
    while (this.calls.size >= this.o.maxCalls) {
      const oldest = this.calls.keys().next().value;
      if (oldest === undefined) break;
      this.end(oldest, 'timeout');
    }
    this.calls.set(record.call_id, {
      record,
      callerTag,
      dialogToken,
      answeredAt: now,
      expiresAt: now + this.o.leaseMs,
    });
    this.arm();
  }

  /** The Record-Route token this answered call was given, if it is here and got one. */
  dialogToken(callId: string): string | undefined {
    return this.calls.get(callId)?.dialogToken;
  }

  /** A BYE of the dialog went through us: from the caller if its From tag is the caller's. */
  bye(callId: string, fromTag: string | undefined): void {
    const e = this.calls.get(callId);
    if (!e) return;
    this.end(callId, fromTag !== undefined && fromTag === e.callerTag ? 'caller' : 'callee');
  }

  /** SIGTERM: every call still up is written now, with hangup `shutdown`; later answers too. */
  endAll(): void {
    this.closed = true;
    this.sweeper?.cancel();
    this.sweeper = undefined;
    for (const callId of [...this.calls.keys()]) this.end(callId, 'shutdown');
  }

  private end(callId: string, hangup: Hangup): void {
    const e = this.calls.get(callId);
    if (!e) return;
    this.calls.delete(callId);
    this.o.onEnd(complete(e.record, this.o.clock, e.answeredAt, hangup));
  }

  /** One timer for the oldest entry's expiry, not one per call. */
  private arm(): void {
    if (this.sweeper || this.closed) return;
    const first = this.calls.values().next().value;
    if (!first) return;
    this.sweeper = this.o.clock.setTimer(first.expiresAt - this.o.clock.now(), () => {
      this.sweeper = undefined;
      this.sweep();
      this.arm();
    });
  }

  private sweep(): void {
    const now = this.o.clock.now();
    for (const [callId, e] of this.calls) {
      if (e.expiresAt > now) return;
      this.end(callId, 'timeout');
    }
  }
}

/**
 * The setup record with its end: when, who, and the time billed since the
 * answer. Filled in place: the record is this call's alone from the answer on,
 * and keeps its one hidden class (newCallRecord).
 */
function complete(
  record: CallRecord,
  clock: Clock,
  answeredAt: number,
  hangup: Hangup,
): CallRecord {
  record.ended_at = new Date(clock.wallNow()).toISOString();
  record.billable_ms = Math.max(0, Math.round(clock.now() - answeredAt));
  record.hangup = hangup;
  return record;
}
