import type { SipRequest, SipResponse } from '../message/sip-message.js';
import type { Endpoint } from '../transport/types.js';
import { cancelTimer } from './cancel-timer.js';
import { endAfter } from './end-timer.js';
import type { TimerHandle } from '../../util/clock.js';
import type { TransactionContext } from './transaction-context.js';
import type { ClientTransaction, ClientTransactionHandler } from './types.js';

type State = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** RFC 3261 17.1.2: the non-INVITE client transaction. */
export class NonInviteClientTransaction implements ClientTransaction {
  state: State = 'trying';
  private timerE?: TimerHandle;
  private timerF?: TimerHandle;
  private timerK?: TimerHandle;
  private interval: number;

  constructor(
    private readonly ctx: TransactionContext,
    readonly id: string,
    readonly branch: string,
    private req: SipRequest | undefined,
    readonly destination: Endpoint,
    private readonly handler: Partial<ClientTransactionHandler>,
    private readonly connectionId?: string,
  ) {
    this.interval = ctx.timers.T1;
  }

  /** The request; undefined in Completed, where it is never sent again (memory under load). */
  get request(): SipRequest | undefined {
    return this.req;
  }

  start(): void {
    this.transmit();
    // RFC 3261 17.1.2.2: Timer E only on unreliable transports; Timer F always.
    if (!this.ctx.reliable(this.destination)) this.armE();
    this.timerF = this.ctx.clock.setTimer(64 * this.ctx.timers.T1, () => {
      if (this.state !== 'trying' && this.state !== 'proceeding') return;
      this.terminate();
      this.handler.onTimeout?.(this);
    });
  }

  onResponse(res: SipResponse): void {
    if (this.state === 'completed' || this.state === 'terminated') return;
    if (res.status < 200) {
      // RFC 3261 17.1.2.2: Proceeding; Timer E now fires every T2.
      this.state = 'proceeding';
      this.handler.onResponse?.(res, this);
      return;
    }
    // RFC 3261 17.1.2.2: Completed, then Timer K (T4, or 0 on a reliable transport).
    this.state = 'completed';
    this.req = undefined;
    this.timerE = cancelTimer(this.timerE);
    this.timerF = cancelTimer(this.timerF);
    this.handler.onResponse?.(res, this);
    if (this.state !== 'completed') return;
    // Over UDP the layer absorbs the retransmitted responses until Timer K.
    if (this.ctx.reliable(this.destination)) this.timerK = endAfter(this.ctx.clock, 0, this);
    else this.ctx.linger(this.id, 'client', this.ctx.timers.T4, 'absorb');
  }

  cancel(): void {
    // CANCEL applies to INVITE only (RFC 3261 9.1).
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timerE = cancelTimer(this.timerE);
    this.timerF = cancelTimer(this.timerF);
    this.timerK = cancelTimer(this.timerK);
    this.ctx.remove(this.id);
  }

  private armE(): void {
    this.timerE = this.ctx.clock.setTimer(this.interval, () => {
      if (this.state !== 'trying' && this.state !== 'proceeding') return;
      this.transmit();
      // RFC 3261 17.1.2.2: doubling up to T2 while Trying, T2 once Proceeding.
      this.interval =
        this.state === 'trying'
          ? Math.min(2 * this.interval, this.ctx.timers.T2)
          : this.ctx.timers.T2;
      this.armE();
    });
  }

  private transmit(): void {
    if (!this.req) return;
    this.ctx.send(this.req, this.destination, this.connectionId).catch((err: unknown) => {
      if (this.state === 'terminated') return;
      this.terminate();
      // RFC 3261 17.1.4: a transport failure is reported to the TU.
      this.handler.onTransportError?.(this, err instanceof Error ? err : new Error(String(err)));
    });
  }
}
