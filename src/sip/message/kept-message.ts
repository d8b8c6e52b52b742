import { parseMessage } from './parse-message.js';
import { messageText } from './serialize.js';
import type { SipRequest, SipResponse } from './sip-message.js';

/**
 * A message a transaction holds only to send it again (the ACK of a failed
 * attempt for Timer D, a non-INVITE's final response for Timer J), held as its
 * text: one string for the 32 s instead of a message, its header array and a
 * field and a string or two per line, which the young-generation GC copied
 * twice and every major GC marked (docs/performance.md). The retransmissions
 * that need it again are rare, and each gets a fresh parse of the text.
 */
export class KeptMessage<T extends SipRequest | SipResponse> {
  private readonly text: string;

  /** `only`: keep just the start line and these lines (by key), no body. */
  constructor(message: T, only?: ReadonlySet<string>) {
    this.text = messageText(message, only);
  }

  /** The message again; a new object each time. */
  get(): T {
    return messageFromText<T>(this.text);
  }
}

/** A message again from the text messageText() wrote of it; a new object each time. */
export function messageFromText<T extends SipRequest | SipResponse>(text: string): T {
  const r = parseMessage(Buffer.from(text, 'latin1'));
  // Our own serialisation of a message that was valid when it was kept.
  if (!r.ok) throw new Error(`kept message does not parse again: ${r.error}`);
  return r.message as T;
}
