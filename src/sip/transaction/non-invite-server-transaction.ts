import type { SipRequest, SipResponse } from '../message/sip-message.js';
import { responseSkeleton } from '../message/create-response.js';
import { KeptMessage } from '../message/kept-message.js';
import type { Endpoint } from '../transport/types.js';
import { cancelTimer } from './cancel-timer.js';
import { endAfter } from './end-timer.js';
import type { TimerHandle } from '../../util/clock.js';
import type { TransactionContext } from './transaction-context.js';
import type { ServerTransaction } from './types.js';

type State = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** RFC 3261 17.2.2: the non-INVITE server transaction. */
export class NonInviteServerTransaction implements ServerTransaction {
  state: State = 'trying';
  onTerminated?: () => void;
  /** The provisional response in Proceeding. */
  private last?: SipResponse;
  /** The final response in Completed, for Timer J's 32 s: its text (KeptMessage). */
  private final?: KeptMessage<SipResponse>;
  private timerJ?: TimerHandle;
  /** The request until the final response; then only what a response copies of it. */
  private req?: SipRequest;
  private skeleton?: KeptMessage<SipRequest>;

  constructor(
    private readonly ctx: TransactionContext,
    readonly id: string,
    req: SipRequest,
    readonly source: Endpoint,
    private readonly destination: Endpoint,
    private readonly connectionId?: string,
  ) {
    this.req = req;
  }

  /**
   * The request; after the final response, only what a response copies of it,
   * parsed again from its text at each call (rare: a late response).
   */
  get request(): SipRequest {
    return this.req ?? this.skeleton!.get();
  }

  respond(res: SipResponse): void {
    if (this.state === 'completed' || this.state === 'terminated') return;
    this.transmit(res);
    if (res.status < 200) {
      this.last = res;
      this.state = 'proceeding';
      return;
    }
    this.skeleton = responseSkeleton(this.request);
    this.req = undefined;
    // Sent again on a retransmitted request for Timer J's 32 s: held as its text,
    // nothing of the datagram it was relayed from.
    this.last = undefined;
    this.final = new KeptMessage(res);
    // RFC 3261 17.2.2: Completed; Timer J (64*T1, or 0 on a reliable transport).
    this.state = 'completed';
    const j = this.ctx.reliable(this.destination) ? 0 : 64 * this.ctx.timers.T1;
    this.timerJ = endAfter(this.ctx.clock, j, this);
  }

  /** RFC 3261 17.2.2: a retransmitted request gets the last response again (none while Trying). */
  onRequest(_req: SipRequest): void {
    if (this.state === 'proceeding' && this.last) this.transmit(this.last);
    else if (this.state === 'completed' && this.final) this.transmit(this.final.get());
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timerJ = cancelTimer(this.timerJ);
    this.ctx.remove(this.id);
    this.onTerminated?.();
  }

  private transmit(res: SipResponse): void {
    this.ctx.send(res, this.destination, this.connectionId).catch((err: unknown) => {
      this.ctx.log('response send failed', { error: String(err), status: res.status });
      this.terminate();
    });
  }
}
