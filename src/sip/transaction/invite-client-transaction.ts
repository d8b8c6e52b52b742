import { messageText } from '../message/serialize.js';
import { headerField, SipRequest, type SipResponse } from '../message/sip-message.js';
import type { Endpoint } from '../transport/types.js';
import { cancelTimer } from './cancel-timer.js';
import { endAfter } from './end-timer.js';
import type { TimerHandle } from '../../util/clock.js';
import type { TransactionContext } from './transaction-context.js';
import type { ClientTransaction, ClientTransactionHandler } from './types.js';

type State = 'calling' | 'proceeding' | 'completed' | 'terminated';

/** RFC 3261 17.1.1: the INVITE client transaction. */
export class InviteClientTransaction implements ClientTransaction {
  state: State = 'calling';
  private timerA?: TimerHandle;
  private timerB?: TimerHandle;
  private timerD?: TimerHandle;
  private interval: number;
  private cancelWanted = false;
  private cancelHandler?: Partial<ClientTransactionHandler>;
  private cancelled = false;
  /** The INVITE; let go in Completed, where only the ACK is sent again (memory under load). */
  private invite?: SipRequest;

  constructor(
    private readonly ctx: TransactionContext,
    readonly id: string,
    readonly branch: string,
    request: SipRequest,
    readonly destination: Endpoint,
    private handler: ClientTransactionHandler,
    private readonly connectionId?: string,
  ) {
    this.interval = ctx.timers.T1;
    this.invite = request;
  }

  get request(): SipRequest | undefined {
    return this.invite;
  }

  start(): void {
    if (this.invite) this.transmit(this.invite);
    // RFC 3261 17.1.1.2: Timer A only on unreliable transports; Timer B = 64*T1 always.
    if (!this.ctx.reliable(this.destination)) this.armA();
    this.timerB = this.ctx.clock.setTimer(64 * this.ctx.timers.T1, () => {
      if (this.state !== 'calling') return;
      this.terminate();
      this.handler.onTimeout(this);
    });
  }

  onResponse(res: SipResponse): void {
    if (this.state === 'terminated') return;
    // In Completed over UDP the layer answers for it (the ACK again, RFC 3261
    // 17.1.1.2); over a reliable transport nothing is retransmitted.
    if (this.state === 'completed') return;
    if (res.status < 200) {
      if (this.state === 'calling') {
        // RFC 3261 17.1.1.2: Proceeding stops retransmissions (and Timer B).
        this.state = 'proceeding';
        this.timerA = cancelTimer(this.timerA);
        this.timerB = cancelTimer(this.timerB);
        if (this.cancelWanted) this.doCancel();
      }
      this.handler.onResponse(res, this);
      return;
    }
    this.timerA = cancelTimer(this.timerA);
    this.timerB = cancelTimer(this.timerB);
    if (res.status < 300) {
      // RFC 3261 17.1.1.2: a 2xx goes to the TU and ends the transaction; the TU ACKs.
      this.terminate();
      this.handler.onResponse(res, this);
      return;
    }
    // RFC 3261 17.1.1.2: Completed; the ACK is ours to send; Timer D absorbs retransmissions.
    this.state = 'completed';
    const ack = this.buildAck(res);
    this.invite = undefined;
    this.transmit(ack);
    this.handler.onResponse(res, this);
    // Nothing goes up from Completed: let go of the TU (a whole call context).
    this.handler = DETACHED;
    if (this.state !== 'completed') return;
    // RFC 3261 17.1.1.2: Timer D, 0 on a reliable transport; at least 32 s over
    // UDP, for which the layer keeps only the ACK's text (lingering-transactions.ts).
    if (this.ctx.reliable(this.destination)) this.timerD = endAfter(this.ctx.clock, 0, this);
    else
      this.ctx.linger(
        this.id,
        'client',
        32000,
        'ack',
        messageText(ack),
        this.destination,
        this.connectionId,
      );
  }

  /** RFC 3261 9.1: no CANCEL before a provisional response; held until one comes. */
  cancel(handler?: Partial<ClientTransactionHandler>): void {
    if (this.cancelled || this.cancelWanted) return;
    this.cancelHandler = handler;
    if (this.state === 'proceeding') this.doCancel();
    else if (this.state === 'calling') this.cancelWanted = true;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timerA = cancelTimer(this.timerA);
    this.timerB = cancelTimer(this.timerB);
    this.timerD = cancelTimer(this.timerD);
    this.ctx.remove(this.id);
  }

  private doCancel(): void {
    this.cancelWanted = false;
    this.cancelled = true;
    // RFC 3261 9.1: same Request-URI, Call-ID, To, From, CSeq number; only the top Via; the Routes.
    const invite = this.invite;
    if (!invite) return;
    const cancel = this.sameHop(invite, 'CANCEL', invite.get('to')!);
    this.ctx.sendCancel(cancel, this.destination, this.cancelHandler ?? {}, this.connectionId);
  }

  /** RFC 3261 17.1.1.3: the ACK for a non-2xx final response. */
  private buildAck(res: SipResponse): SipRequest {
    const invite = this.invite!;
    return this.sameHop(invite, 'ACK', res.get('to') ?? invite.get('to')!);
  }

  /** A request for this hop built from the INVITE: its Request-URI, top Via, Routes, From, Call-ID, CSeq number. */
  private sameHop(req: SipRequest, method: 'ACK' | 'CANCEL', to: string): SipRequest {
    const out = new SipRequest(method, req.uri);
    out.append('Via', req.first('via')!);
    for (const h of req.headers) {
      if (h.key === 'route') out.headers.push(headerField(h.name, h.key, h.value));
    }
    out.append('Max-Forwards', '70');
    out.append('From', req.get('from')!);
    out.append('To', to);
    out.append('Call-ID', req.get('call-id')!);
    out.append('CSeq', `${cseqNumber(req)} ${method}`);
    return out;
  }

  private armA(): void {
    this.timerA = this.ctx.clock.setTimer(this.interval, () => {
      if (this.state !== 'calling' || !this.invite) return;
      this.transmit(this.invite);
      // RFC 3261 17.1.1.2: Timer A doubles each time.
      this.interval *= 2;
      this.armA();
    });
  }

  private transmit(m: SipRequest): void {
    this.ctx.send(m, this.destination, this.connectionId).catch((err: unknown) => {
      if (this.state === 'terminated' || m !== this.invite) return;
      this.terminate();
      // RFC 3261 17.1.4: a transport failure is reported to the TU.
      this.handler.onTransportError(this, err instanceof Error ? err : new Error(String(err)));
    });
  }
}

/** The TU of a transaction in Completed that no longer needs one. */
const DETACHED: ClientTransactionHandler = {
  onResponse: () => {},
  onTimeout: () => {},
  onTransportError: () => {},
};

function cseqNumber(req: SipRequest): string {
  return (req.get('cseq') ?? '').trim().split(/\s+/)[0] ?? '1';
}
