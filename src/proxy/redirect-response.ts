import { createResponse } from '../sip/message/create-response.js';
import type { SipRequest, SipResponse } from '../sip/message/sip-message.js';
import type { Attempt } from '../routing/index.js';

/**
 * Redirect mode (DESIGN §4): one 3xx whose Contacts are the plan's attempts in
 * order, q-values descending (RFC 3261 20.10), Request-URIs already manipulated
 * per provider, so the PBX fails over by itself.
 */
export function redirectResponse(
  req: SipRequest,
  attempts: readonly Attempt[],
  status: number,
  toTag: string,
): SipResponse {
  const res = createResponse(
    req,
    status,
    status === 300 ? 'Multiple Choices' : 'Moved Temporarily',
    toTag,
  );
  const step = Math.max(1, Math.floor(1000 / Math.max(attempts.length, 1)));
  attempts.forEach((a, i) => {
    const q = Math.max(0, 1000 - i * step) / 1000;
    res.append('Contact', `<${a.requestUri}>;q=${q.toFixed(3).replace(/\.?0+$/, '') || '0'}`);
  });
  return res;
}
