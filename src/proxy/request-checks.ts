import type { SipRequest } from '../sip/message/sip-message.js';
import { parseVia } from '../sip/message/via.js';
import { requestProblem } from '../sip/message/validate-request.js';
import { loopHash } from './loop-hash.js';
import { OUR_BRANCH_PREFIX, type ProxyIdentity } from './proxy-identity.js';

export interface Rejection {
  status: number;
  reason: string;
  /** Extra headers for the response (Unsupported for 420). */
  headers?: Array<[string, string]>;
}

const SCHEMES = new Set(['sip', 'sips', 'tel']);

/**
 * RFC 3261 16.3, request validation, in the RFC's order: syntax, URI scheme,
 * Max-Forwards, loop detection, Proxy-Require. Returns the response to send, or
 * undefined when the request may be forwarded.
 */
export function checkRequest(
  req: SipRequest,
  identity: ProxyIdentity,
  supportedExtensions: ReadonlySet<string>,
): Rejection | undefined {
  // 16.3 step 1: reasonable syntax.
  const problem = requestProblem(req);
  if (problem) return problem;

  // 16.3 step 2: URI scheme.
  const uri = req.requestUri();
  if (!uri) return { status: 400, reason: 'Bad Request-URI' };
  if (!SCHEMES.has(uri.scheme)) return { status: 416, reason: 'Unsupported URI Scheme' };

  // 16.3 step 3: Max-Forwards (ACK and CANCEL are checked too: a hop is a hop).
  const mf = req.get('max-forwards');
  if (mf !== undefined && Number(mf.trim()) === 0 && req.method !== 'ACK') {
    return { status: 483, reason: 'Too Many Hops' };
  }

  // 16.3 step 4: a Via of ours carrying this request's own hash means it looped.
  if (req.method !== 'ACK' && req.method !== 'CANCEL') {
    let hash: string | undefined;
    for (const value of req.getAll('via')) {
      const via = parseVia(value);
      const branch = via?.params.get('branch');
      if (!via || typeof branch !== 'string' || !branch.startsWith(OUR_BRANCH_PREFIX)) continue;
      if (!identity.isOurSentBy(via.host, via.port)) continue;
      hash ??= loopHash(req);
      if (branch.slice(OUR_BRANCH_PREFIX.length).split('.')[0] === hash) {
        return { status: 482, reason: 'Loop Detected' };
      }
    }
  }

  // 16.3 step 5: Proxy-Require.
  const required = req.getAll('proxy-require').map((t) => t.trim().toLowerCase());
  const unsupported = required.filter((t) => t && !supportedExtensions.has(t));
  if (unsupported.length > 0) {
    return {
      status: 420,
      reason: 'Bad Extension',
      headers: [['Unsupported', unsupported.join(', ')]],
    };
  }
  return undefined;
}
