import { CallContext, type CallContextDeps } from '../../../src/proxy/call-context.js';
import { ProxyIdentity } from '../../../src/proxy/proxy-identity.js';
import { SipRequest, SipResponse } from '../../../src/sip/message/sip-message.js';
import type {
  ClientTransaction,
  ClientTransactionHandler,
  ServerTransaction,
} from '../../../src/sip/transaction/types.js';
import type { Endpoint, SipTransport } from '../../../src/sip/transport/types.js';
import type { Attempt, FailoverEvent } from '../../../src/routing/index.js';
import type { CallRecord } from '../../../src/observability/call-record.js';
import { FakeClock } from '../../fakes/fake-clock.js';

// The failover driver on its own: a scripted fake of the transaction layer lets each
// test play the providers' answers in order and read what went upstream.

/** 404, 408, 5xx, 6xx and every local failure move on (DESIGN §4). */
export const DEFAULT_TRIGGERS = (e: FailoverEvent): boolean =>
  e.kind !== 'response' ||
  e.status === 404 ||
  e.status === 408 ||
  (e.status >= 500 && e.status < 700);

/** Attempt i: provider p<i>, one UDP gateway on 127.0.0.1:506<1+i>, its own tier. */
export function attempt(i: number, over: Partial<Attempt> = {}): Attempt {
  const port = 5061 + i;
  return {
    index: i,
    routeId: `r${i}`,
    providerId: `p${i}`,
    gateway: { uri: `sip:127.0.0.1:${port}`, host: '127.0.0.1', port, transport: 'udp', weight: 1 },
    gatewayKey: `udp:127.0.0.1:${port}`,
    number: '+34911234567',
    requestUri: `sip:+34911234567@127.0.0.1:${port}`,
    tier: i,
    fork: 'serial',
    tryingTimeoutMs: 2000,
    failover: { shouldFailover: DEFAULT_TRIGGERS, triggers: [] },
    ...over,
  };
}

export interface Sent {
  req: SipRequest;
  dest: Endpoint;
  handler: ClientTransactionHandler;
  tx: ClientTransaction & { cancelled: number };
}

export interface HarnessOptions {
  /** The caller's INVITE's CSeq number. */
  cseq?: number;
  /** Headers added to the caller's INVITE. */
  headers?: Array<[string, string]>;
  /** Headers of the sent INVITE that a scripted answer copies (besides Via, From, To, Call-ID, CSeq). */
  echo?: string[];
  /** The Record-Route key of the proxy identity. */
  secret?: string;
}

/** One call's CallContext over fakes; `answer(i, status)` plays attempt i's provider. */
export function setupCallContext(
  attempts: Attempt[],
  over: Partial<CallContextDeps> = {},
  opts: HarnessOptions = {},
) {
  const clock = new FakeClock();
  const sent: Sent[] = [];
  const upstream: SipResponse[] = [];
  const stateless: SipResponse[] = [];
  const records: CallRecord[] = [];
  const transport: SipTransport = {
    send: async () => {},
    onMessage: () => {},
    localEndpoint: (protocol) => ({ protocol, address: '127.0.0.1', port: 5060 }),
    isReliable: (p) => p === 'tcp',
    close: async () => {},
  };
  const identity = new ProxyIdentity(transport, '', opts.secret);
  let n = 0;
  const deps: CallContextDeps = {
    identity,
    clock,
    sendRequest: (req, dest, handler) => {
      const tx = {
        id: `tx${sent.length}`,
        branch: 'b',
        request: req,
        destination: dest,
        state: 'calling' as const,
        cancelled: 0,
        cancel() {
          this.cancelled++;
        },
        terminate() {},
      };
      sent.push({ req, dest, handler, tx });
      return tx;
    },
    newBranch: () => `z9hG4bK${(n++).toString(36).padStart(12, '0')}`,
    forwardResponseUpstream: (res) => stateless.push(res),
    onCallEnd: (rec) => records.push(rec),
    maxForwards: 70,
    recordRoute: true,
    ringTimeoutMs: 60_000,
    stripHeaders: ['X-Trunkroute-Customer'],
    ...over,
  };
  const invite = new SipRequest('INVITE', 'sip:+34911234567@127.0.0.1:5060');
  invite.append('Via', 'SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-caller;rport=5090');
  invite.append('From', '<sip:caller@127.0.0.1>;tag=c1');
  invite.append('To', '<sip:+34911234567@127.0.0.1>');
  invite.append('Call-ID', 'call-1');
  invite.append('CSeq', `${opts.cseq ?? 1} INVITE`);
  invite.append('Max-Forwards', '70');
  for (const [k, v] of opts.headers ?? []) invite.append(k, v);
  const server: ServerTransaction = {
    id: 'st1',
    request: invite,
    source: { protocol: 'udp', address: '127.0.0.1', port: 5090 },
    state: 'proceeding',
    respond: (res) => upstream.push(res),
    terminate: () => {},
  };
  const ctx = new CallContext(deps, server, invite, attempts, {
    source: 'udp:127.0.0.1:5090',
    destination: '+34911234567',
  });
  const echo = ['via', 'from', 'to', 'call-id', 'cseq', ...(opts.echo ?? [])];
  const answer = (i: number, status: number, headers: Array<[string, string]> = []): void => {
    const s = sent[i]!;
    const res = new SipResponse(status, 'X');
    for (const h of s.req.headers) if (echo.includes(h.key)) res.headers.push({ ...h });
    for (const [k, v] of headers) res.append(k, v);
    s.handler.onResponse(res, s.tx);
  };
  return { clock, sent, upstream, stateless, records, ctx, answer, identity };
}
