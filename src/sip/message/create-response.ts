import { KeptMessage } from './kept-message.js';
import { headerField, type SipRequest, SipResponse } from './sip-message.js';

/** RFC 3261 21: the reason phrases we send when we generate a response ourselves. */
const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  200: 'OK',
  300: 'Multiple Choices',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  487: 'Request Terminated',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'Version Not Supported',
};

export function defaultReason(status: number): string {
  return REASONS[status] ?? (status < 300 ? 'OK' : 'Error');
}

/** The lines a response copies from its request (RFC 3261 8.2.6.2). */
export const COPIED: ReadonlySet<string> = new Set(['via', 'from', 'to', 'call-id', 'cseq']);

/**
 * Builds a response to `req` (RFC 3261 8.2.6.2): Via list, From, To, Call-ID and
 * CSeq copied; a To tag added when the response is not a 100 and the request had
 * none (`toTag` is the tag our element uses for this request).
 */
export function createResponse(
  req: SipRequest,
  status: number,
  reason = defaultReason(status),
  toTag?: string,
): SipResponse {
  const res = new SipResponse(status, reason);
  for (const h of req.headers) {
    if (!COPIED.has(h.key)) continue;
    if (h.key === 'to') {
      let value = h.value;
      if (status !== 100 && toTag && !/;\s*tag\s*=/i.test(value)) value = `${value};tag=${toTag}`;
      res.headers.push(headerField(h.name, h.key, value));
    } else res.headers.push(headerField(h.name, h.key, h.value));
  }
  return res;
}

/**
 * What a server transaction keeps of its request once the final response is
 * sent: the start line and the lines createResponse copies, no body, as text.
 * Later responses (none but 2xx from other forks) need no more, and the
 * transaction lives 32 s after that (Timer J, Timer L). Held as a message, the
 * skeleton was a header array, five fields and their strings, two a call, each
 * copied twice by the young-generation GC and marked by every major GC; as
 * text it is one string, parsed again only when a late response is built
 * (issue 14, docs/performance.md).
 */
export function responseSkeleton(req: SipRequest): KeptMessage<SipRequest> {
  return new KeptMessage(req, COPIED);
}
