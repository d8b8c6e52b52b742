import type { SipRequest, SipResponse } from '../message/sip-message.js';
import { responseSkeleton } from '../message/create-response.js';
import type { KeptMessage } from '../message/kept-message.js';
import { messageText } from '../message/serialize.js';
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
  /** The provisional response in Proceeding. */
  private last?: SipResponse;
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
    this.last = undefined;
    // RFC 3261 17.2.2: Completed; Timer J, 0 on a reliable transport, 64*T1 over
    // UDP, for which the layer keeps the final response's text to send again
    // on a retransmitted request: nothing of the datagram it was relayed from.
    this.state = 'completed';
    if (this.ctx.reliable(this.destination)) this.timerJ = endAfter(this.ctx.clock, 0, this);
    else
      this.ctx.linger(
        this.id,
        'server',
        64 * this.ctx.timers.T1,
        'final',
        messageText(res),
        this.destination,
        this.connectionId,
      );
  }

  /**
   * RFC 3261 17.2.2: a retransmitted request gets the last response again (none
   * while Trying; in Completed the layer answers for it).
   */
  onRequest(_req: SipRequest): void {
    if (this.state === 'proceeding' && this.last) this.transmit(this.last);
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timerJ = cancelTimer(this.timerJ);
    this.ctx.remove(this.id);
  }

  private transmit(res: SipResponse): void {
    this.ctx.send(res, this.destination, this.connectionId).catch((err: unknown) => {
      this.ctx.log('response send failed', { error: String(err), status: res.status });
      this.terminate();
    });
  }
}
