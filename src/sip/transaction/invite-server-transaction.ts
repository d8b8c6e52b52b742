import type { KeptMessage } from '../message/kept-message.js';
import type { SipRequest, SipResponse } from '../message/sip-message.js';
import { createResponse, responseSkeleton } from '../message/create-response.js';
import type { Endpoint } from '../transport/types.js';
import { cancelTimer } from './cancel-timer.js';
import { endAfter } from './end-timer.js';
import type { TimerHandle } from '../../util/clock.js';
import type { TransactionContext } from './transaction-context.js';
import type { ServerTransaction } from './types.js';

/** RFC 3261 17.2.1: the TU's time to answer before the transaction sends 100 Trying. */
const TRYING_AFTER_MS = 200;
/** The queue wait is taken off in steps this long (ms): a 100 Trying is at most this late. */
const QUEUED_STEP_MS = 10;

type State = 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

/** RFC 3261 17.2.1: the INVITE server transaction. */
export class InviteServerTransaction implements ServerTransaction {
  state: State = 'proceeding';
  onAckTimeout?: () => void;
  private last?: SipResponse;
  private timer100?: TimerHandle;
  private timerG?: TimerHandle;
  private timerH?: TimerHandle;
  private timerI?: TimerHandle;
  /** The end of Accepted (RFC 6026 Timer L), while the TU may still send 2xx through it. */
  private acceptedUntil = 0;
  private interval: number;
  /** The INVITE until the final response; then only what a response copies of it. */
  private req?: SipRequest;
  private skeleton?: KeptMessage<SipRequest>;

  constructor(
    private readonly ctx: TransactionContext,
    readonly id: string,
    req: SipRequest,
    readonly source: Endpoint,
    /** Where responses go (RFC 3261 18.2.2). */
    private readonly destination: Endpoint,
    private readonly connectionId?: string,
  ) {
    this.interval = ctx.timers.T1;
    this.req = req;
    // RFC 3261 17.2.1: 100 Trying if the TU has not answered within 200 ms of
    // the INVITE's arrival; the time it waited in our socket queue has passed.
    // In whole steps of QUEUED_STEP_MS: the usual sub-millisecond wait leaves
    // 200, and every INVITE of a sample shares one timer queue (timer-queues.ts
    // keeps one per duration).
    const queued = Math.floor(ctx.queuedMs() / QUEUED_STEP_MS) * QUEUED_STEP_MS;
    const trying = Math.max(0, TRYING_AFTER_MS - queued);
    this.timer100 = ctx.clock.setTimer(trying, () => {
      if (this.state === 'proceeding' && !this.last)
        this.respond(createResponse(this.request, 100, 'Trying'));
    });
  }

  /**
   * The INVITE; after the final response, only what a response copies of it,
   * parsed again from its text at each call (rare: a late response).
   */
  get request(): SipRequest {
    return this.req ?? this.skeleton!.get();
  }

  respond(res: SipResponse): void {
    // RFC 6026 8.5: in Accepted, further 2xx from the TU (retransmissions, other forks) go out.
    if (this.state === 'accepted' && res.status >= 200 && res.status < 300) {
      if (this.ctx.clock.now() < this.acceptedUntil) this.sendAccepted(res);
      return;
    }
    if (this.state !== 'proceeding') return;
    this.timer100 = cancelTimer(this.timer100);
    this.last = res;
    this.transmit();
    if (res.status < 200) return;
    this.skeleton = responseSkeleton(this.request);
    this.req = undefined;
    if (res.status < 300) {
      // RFC 6026 8.5: Accepted, not Terminated: until Timer L a retransmitted INVITE
      // (its 2xx was lost on the way) is absorbed here instead of becoming a new call.
      this.state = 'accepted';
      // Nothing is retransmitted from Accepted (the 2xx retransmissions are the TU's):
      // the response need not be held for the 32 s of Timer L, and the layer keeps
      // only the key, to absorb retransmitted INVITEs (lingering-transactions.ts).
      this.last = undefined;
      this.acceptedUntil = this.ctx.clock.now() + 64 * this.ctx.timers.T1;
      this.ctx.linger(this.id, 'server', 64 * this.ctx.timers.T1, 'accepted');
      return;
    }
    // RFC 3261 17.2.1: Completed; Timer G retransmits (unreliable only), Timer H bounds the wait for the ACK.
    this.state = 'completed';
    if (!this.ctx.reliable(this.destination)) this.armG();
    this.timerH = this.ctx.clock.setTimer(64 * this.ctx.timers.T1, () => {
      if (this.state !== 'completed') return;
      this.terminate();
      this.onAckTimeout?.();
    });
  }

  /** A retransmission of the INVITE, or the ACK for our non-2xx final response. */
  onRequest(req: SipRequest): void {
    if (req.method === 'ACK') {
      if (this.state !== 'completed') return;
      // RFC 3261 17.2.1: Confirmed; Timer I absorbs further ACKs.
      this.state = 'confirmed';
      // Nothing is sent again from here: the response need not be held (memory under load).
      this.last = undefined;
      this.timerG = cancelTimer(this.timerG);
      this.timerH = cancelTimer(this.timerH);
      // Timer I: 0 on a reliable transport; over UDP the layer absorbs for T4.
      if (this.ctx.reliable(this.destination)) this.timerI = endAfter(this.ctx.clock, 0, this);
      else this.ctx.linger(this.id, 'server', this.ctx.timers.T4, 'absorb');
      return;
    }
    // RFC 3261 17.2.1: a retransmitted INVITE gets the last response again; in Accepted
    // it is absorbed (RFC 6026 8.7: the 2xx retransmissions are the TU's).
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last) this.transmit();
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timer100 = cancelTimer(this.timer100);
    this.timerG = cancelTimer(this.timerG);
    this.timerH = cancelTimer(this.timerH);
    this.timerI = cancelTimer(this.timerI);
    this.ctx.remove(this.id);
  }

  /**
   * A 2xx sent from Accepted. Its own method: a closure here that used `res` would
   * put it in the context that respond()'s timer closures share, and Timer L's
   * would then hold the 200 and its datagram for 32 s.
   */
  private sendAccepted(res: SipResponse): void {
    const status = res.status;
    this.ctx.send(res, this.destination, this.connectionId).catch((err: unknown) => {
      this.ctx.log('response send failed', { error: String(err), status });
    });
  }

  private armG(): void {
    this.timerG = this.ctx.clock.setTimer(this.interval, () => {
      if (this.state !== 'completed') return;
      this.transmit();
      // RFC 3261 17.2.1: Timer G doubles up to T2.
      this.interval = Math.min(2 * this.interval, this.ctx.timers.T2);
      this.armG();
    });
  }

  private transmit(): void {
    const res = this.last!;
    this.ctx.send(res, this.destination, this.connectionId).catch((err: unknown) => {
      this.ctx.log('response send failed', { error: String(err), status: res.status });
      this.terminate();
    });
  }
}
