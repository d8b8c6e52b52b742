import { COPIED } from '../message/create-response.js';
import { parseCSeq } from '../message/cseq.js';
import { headerField, SipRequest, type SipResponse } from '../message/sip-message.js';
import type { Endpoint } from '../transport/types.js';
import type { ServerTransaction } from './types.js';

/**
 * The INVITE server transaction a CANCEL matches after the INVITE was answered,
 * when the layer keeps only its key (lingering-transactions.ts): RFC 3261 9.2,
 * the CANCEL gets its 200 and has no effect. Its request is the INVITE as far
 * as a response copies it, rebuilt from the CANCEL, which carries the INVITE's
 * Via, From, To, Call-ID and CSeq number (9.1). Nothing is sent through it.
 */
export class AnsweredInvite implements ServerTransaction {
  readonly state = 'answered';
  readonly request: SipRequest;

  constructor(
    readonly id: string,
    cancel: SipRequest,
    readonly source: Endpoint,
  ) {
    const invite = new SipRequest('INVITE', cancel.uri);
    for (const h of cancel.headers) {
      if (!COPIED.has(h.key)) continue;
      const value = h.key === 'cseq' ? `${parseCSeq(h.value)?.seq ?? 1} INVITE` : h.value;
      invite.headers.push(headerField(h.name, h.key, value));
    }
    this.request = invite;
  }

  /** The INVITE has its final response: another is not sent. */
  respond(_response: SipResponse): void {}

  terminate(): void {}
}
