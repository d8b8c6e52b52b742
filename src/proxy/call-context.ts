import type { SipRequest, SipResponse } from '../sip/message/sip-message.js';
import { createResponse } from '../sip/message/create-response.js';
import type {
  ClientTransaction,
  ClientTransactionHandler,
  ServerTransaction,
} from '../sip/transaction/types.js';
import type { Endpoint } from '../sip/transport/types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { AcquireResult } from '../health/limit-counter.js';
import {
  newAttemptRecord,
  newCallRecord,
  type AttemptRecord,
  type CallOutcome,
  type CallRecord,
} from '../observability/call-record.js';
import { chooseBestResponse, type Attempt, type FailoverEvent } from '../routing/index.js';
import { parseUri } from '../sip/message/sip-uri.js';
import { uriEndpoint } from './next-hop.js';
import type { ProxyIdentity } from './proxy-identity.js';
import { loopHash } from './loop-hash.js';
import { OUR_BRANCH_PREFIX } from './proxy-identity.js';
import { chooseChallenge, digestAuthorization } from '../sip/message/digest-auth.js';
import { tagOf } from '../sip/message/name-addr.js';
import { ownString } from '../sip/message/own-string.js';
import { shiftCSeq } from './cseq-shift.js';

/** What the failover driver needs from the proxy around it. */
export interface CallContextDeps {
  identity: ProxyIdentity;
  clock: Clock;
  sendRequest(
    req: SipRequest,
    destination: Endpoint,
    handler: ClientTransactionHandler,
  ): ClientTransaction;
  newBranch(): string;
  /** Forwards a response statelessly upstream (a 2xx after our final, RFC 3261 16.7 step 5). */
  forwardResponseUpstream(res: SipResponse): void;
  /** Every attempt's end, for breakers and metrics. */
  onAttemptEnd?(attempt: Attempt, record: AttemptRecord, retryAfterSeconds?: number): void;
  /**
   * Takes the provider's call slot before an attempt is sent (max_calls,
   * max_cps); refused = the attempt is skipped. A shared counter answers later.
   */
  admitAttempt?(attempt: Attempt, holder: string): AcquireResult | Promise<AcquireResult>;
  /** Gives an attempt's slot back (every attempt but the one that answered). */
  releaseAttempt?(attempt: Attempt, holder: string): void;
  onCallEnd(record: CallRecord, ctx: CallContext): void;
  maxForwards: number;
  recordRoute: boolean;
  /** Timer C (RFC 3261 16.6 step 11): how long a branch may ring. */
  ringTimeoutMs: number;
  /** Headers removed before the INVITE goes to a provider (e.g. the customer header). */
  stripHeaders: readonly string[];
  /** A fresh unpredictable client nonce for a digest answer (injected: exact unit tests). */
  cnonce?: () => string;
}

type BranchState = 'calling' | 'proceeding' | 'done';

interface Branch {
  attempt: Attempt;
  tx?: ClientTransaction;
  state: BranchState;
  startedAt: number;
  firstResponseAt?: number;
  timer?: TimerHandle;
  record: AttemptRecord;
  /** The final event that ended it, for the tier decision. */
  event?: FailoverEvent;
  response?: SipResponse;
  /** Holds a provider slot (given back when it ends, unless it answered). */
  admitted?: boolean;
  /** Never sent: the provider was at its limit. Always moves on. */
  skipped?: boolean;
  /** INVITEs sent for this attempt: a late event of the challenged transaction is not the retry's. */
  sends: number;
  /** The INVITE was challenged and re-sent with credentials (CSeq + 1). */
  challenged?: 401 | 407;
  /** The provider refused the credentials: always moves on, never relayed. */
  authRejected?: boolean;
}

/**
 * The response context of one outbound call (RFC 3261 16.7) with trunkroute's
 * failover on top: attempts are tried in plan order (a parallel tier at once),
 * a failure in the attempt's trigger set moves on, anything else is relayed.
 */
export class CallContext {
  state: 'trying' | 'connected' | 'failed' | 'cancelled' = 'trying';
  private readonly branches: Branch[] = [];
  private next = 0;
  private readonly startedAt: number;
  private readonly startedWall: number;
  private readonly base: SipRequest;
  private readonly upstream: Endpoint;
  private readonly branchPrefix: string;
  private pddAt?: number;
  /**
   * Read once from the INVITE: once the caller has its final response, the
   * server transaction holds its request as text only (responseSkeleton).
   */
  readonly callId: string;
  readonly fromTag: string | undefined;
  private readonly cseq: string | undefined;
  /** The token our Record-Route carries for this call (once it Record-Routed). */
  dialogToken?: string;
  /** The attempt that answered, once connected: its provider slot is held for the call. */
  connectedAttempt?: Attempt;

  constructor(
    private readonly deps: CallContextDeps,
    readonly server: ServerTransaction,
    request: SipRequest,
    private readonly attempts: readonly Attempt[],
    private readonly facts: { source: string; customer?: string; destination: string },
  ) {
    this.startedAt = deps.clock.now();
    this.startedWall = deps.clock.wallNow();
    this.upstream = server.source;
    // Strings of their own: the answered call's record and its caller tag are held
    // for the whole call (EstablishedCalls), and a slice of the INVITE would hold
    // all of its datagram's text with them.
    this.callId = ownString(request.get('call-id') ?? '');
    const fromTag = tagOf(request.get('from') ?? '');
    this.fromTag = fromTag === undefined ? undefined : ownString(fromTag);
    this.cseq = request.get('cseq');
    this.base = this.prepareBase(request);
    // The loop hash covers the request as received: once per call, not per attempt.
    this.branchPrefix = `${OUR_BRANCH_PREFIX}${loopHash(this.base)}.`;
  }

  start(): void {
    this.startTier();
  }

  /** RFC 3261 16.10: the caller's CANCEL. 487 at once; live attempts are cancelled; nothing more is tried. */
  cancelByCaller(): void {
    this.giveUp('cancelled', 487, 'Request Terminated');
  }

  /** SIGTERM with a bound: whatever is still ringing is cancelled and the caller gets 503. */
  abort(): void {
    this.giveUp('failed', 503, 'Service Unavailable');
  }

  /** Cancels every live attempt and answers the caller ourselves. */
  private giveUp(outcome: 'cancelled' | 'failed', status: number, reason: string): void {
    if (this.state !== 'trying') return;
    this.state = outcome;
    this.cancelLiveBranches();
    this.respondUpstream(createResponse(this.server.request, status, reason, this.tag()));
    this.finish(outcome, status);
  }

  private cancelLiveBranches(): void {
    for (const b of this.branches) {
      if (b.state === 'done') continue;
      this.endBranch(b, { reason: 'cancelled' });
      b.tx?.cancel();
    }
  }

  /** The request every attempt starts from: the caller's INVITE less what we never forward. */
  private prepareBase(request: SipRequest): SipRequest {
    const base = request.clone();
    for (const h of this.deps.stripHeaders) base.remove(h);
    // RFC 3261 16.6 step 3: Max-Forwards decremented, or added.
    const mf = base.get('max-forwards');
    base.set('Max-Forwards', String(mf === undefined ? this.deps.maxForwards : Number(mf) - 1));
    return base;
  }

  private startTier(): void {
    if (this.state !== 'trying') return;
    if (this.next >= this.attempts.length) {
      this.exhausted();
      return;
    }
    const first = this.attempts[this.next]!;
    const tier: Attempt[] = [first];
    this.next++;
    if (first.fork === 'parallel') {
      while (this.next < this.attempts.length) {
        const a = this.attempts[this.next]!;
        if (a.tier !== first.tier || a.fork !== 'parallel') break;
        tier.push(a);
        this.next++;
      }
    }
    for (const a of tier) this.startAttempt(a);
  }

  private startAttempt(attempt: Attempt): void {
    const now = this.deps.clock.now();
    const branch: Branch = {
      attempt,
      state: 'calling',
      sends: 0,
      startedAt: now,
      record: newAttemptRecord({
        index: attempt.index + 1,
        route: attempt.routeId,
        provider: attempt.providerId,
        gateway: attempt.gatewayKey,
        request_uri: attempt.requestUri,
      }),
    };
    this.branches.push(branch);
    const admission = this.deps.admitAttempt?.(attempt, this.holder(attempt));
    if (admission === undefined) this.sendAttempt(branch);
    else if (admission instanceof Promise) {
      admission.then(
        (r) => this.admitted(branch, r),
        // A counter that fails never blocks a call.
        () => this.admitted(branch, { ok: true }),
      );
    } else this.admitted(branch, admission);
  }

  /** The slot holder of one attempt: the server transaction and the attempt's position. */
  holder(attempt: Attempt): string {
    return `${this.server.id}#${attempt.index}`;
  }

  private admitted(branch: Branch, r: AcquireResult): void {
    if (branch.state === 'done') {
      // The call ended while the slot was being taken (CANCEL): give it back.
      if (r.ok) this.deps.releaseAttempt?.(branch.attempt, this.holder(branch.attempt));
      return;
    }
    if (!r.ok) {
      branch.skipped = true;
      this.branchFailed(branch, { kind: 'transport_error' }, undefined, 'provider_limit');
      return;
    }
    branch.admitted = true;
    this.sendAttempt(branch);
  }

  private sendAttempt(branch: Branch, credentials?: { header: string; value: string }): void {
    const attempt = branch.attempt;
    if (!credentials) branch.startedAt = this.deps.clock.now();
    const uri = parseUri(attempt.requestUri);
    const dest = uri && uriEndpoint(uri, attempt.gateway.tls);
    if (!dest) {
      this.branchFailed(branch, { kind: 'transport_error' });
      return;
    }
    const req = this.base.clone();
    // RFC 3261 16.6 step 2: the Request-URI becomes the target (already manipulated per provider).
    req.uri = attempt.requestUri;
    let cseqMark: string | undefined;
    if (credentials) {
      // RFC 3261 22.2: the retried request has the same Call-ID and From tag, CSeq + 1.
      shiftCSeq(req, 1);
      req.append(credentials.header, credentials.value);
      // The dialog's Record-Route carries the offset, signed, for the caller's later requests.
      cseqMark = this.deps.identity.cseqMark(this.callId, this.fromTag ?? '', 1);
    }
    // RFC 3261 16.6 step 4: Record-Route so the dialog's requests come through us. When the
    // two sides use different transports we put one entry per side (RFC 5658 double RR).
    // An authenticated dialog needs us in its path to translate the caller's CSeq, so its
    // INVITE is record-routed even when proxy.record_route is off.
    if (this.deps.recordRoute || credentials) {
      this.dialogToken ??= this.deps.identity.dialogToken(this.callId);
      const inner = this.deps.identity.recordRoute(this.upstream, this.dialogToken, cseqMark);
      const outer = this.deps.identity.recordRoute(
        dest,
        this.dialogToken,
        cseqMark,
        uri.scheme === 'sips',
      );
      req.prepend('Record-Route', inner);
      if (outer !== inner) req.prepend('Record-Route', outer);
    }
    // RFC 3261 16.6 step 8: our Via, a new branch per attempt, carrying the loop hash.
    const branchId = `${this.branchPrefix}${this.deps.newBranch().slice(7)}`;
    req.prepend('Via', this.deps.identity.via(dest, branchId));

    // The trying timeout: no 1xx within it means this gateway is not there (DESIGN §4).
    branch.timer = this.deps.clock.setTimer(attempt.tryingTimeoutMs, () => {
      if (branch.state !== 'calling') return;
      branch.tx?.cancel();
      this.branchFailed(branch, { kind: 'trying_timeout' });
    });

    // After a challenge only the retried INVITE's transaction speaks for the attempt.
    const send = ++branch.sends;
    const current = (): boolean => send === branch.sends;
    branch.tx = this.deps.sendRequest(req, dest, {
      onResponse: (res) => {
        if (current()) this.onResponse(branch, res);
      },
      onTimeout: () => {
        if (current()) this.branchFailed(branch, { kind: 'timeout' });
      },
      onTransportError: () => {
        if (current()) this.branchFailed(branch, { kind: 'transport_error' });
      },
    });
  }

  private onResponse(branch: Branch, res: SipResponse): void {
    const now = this.deps.clock.now();
    branch.firstResponseAt ??= now;
    if (res.status >= 200 && res.status < 300) {
      this.onSuccess(branch, res);
      return;
    }
    if (branch.state === 'done') return;
    if (res.status < 200) {
      if (branch.state === 'calling') {
        branch.state = 'proceeding';
        branch.timer?.cancel();
        // RFC 3261 16.6 step 11: Timer C bounds how long a branch may ring.
        branch.timer = this.deps.clock.setTimer(this.deps.ringTimeoutMs, () => {
          if (branch.state === 'done') return;
          branch.tx?.cancel();
          this.branchFailed(branch, { kind: 'timeout' }, undefined, 'ring_timeout');
        });
      }
      // RFC 3261 16.7 step 5: provisional responses other than 100 go upstream.
      if (res.status !== 100 && this.state === 'trying') this.relay(res);
      return;
    }
    if (res.status === 401 || res.status === 407 || res.status === 403) {
      if (branch.challenged !== undefined) {
        // A challenge (or 403) to our credentials: they are wrong for this gateway.
        branch.authRejected = true;
      } else if (res.status !== 403 && this.answerChallenge(branch, res)) return;
    }
    this.branchFailed(branch, { kind: 'response', status: res.status }, res);
  }

  /**
   * RFC 3261 22.2 / 22.3: a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate)
   * from a gateway we hold credentials for is answered once with a new INVITE
   * on a new transaction (the challenged one ACKs its final itself, 17.1.1.3).
   * False when there is nothing to answer with: the response is then handled
   * as any other final.
   */
  private answerChallenge(branch: Branch, res: SipResponse): boolean {
    const auth = branch.attempt.auth;
    if (!auth || this.state !== 'trying') return false;
    const proxyAuth = res.status === 407;
    const challenge = chooseChallenge(
      res.getAll(proxyAuth ? 'proxy-authenticate' : 'www-authenticate'),
    );
    // A realm the credentials are not for: as if there were none (docs/routing.md).
    if (!challenge || !auth.answers(challenge.realm)) return false;
    const value = digestAuthorization(challenge, {
      username: auth.username,
      password: auth.password,
      method: 'INVITE',
      uri: branch.attempt.requestUri,
      cnonce: this.deps.cnonce?.() ?? this.deps.newBranch().slice(7),
    });
    branch.challenged = proxyAuth ? 407 : 401;
    branch.record.challenged = branch.challenged;
    branch.timer?.cancel();
    branch.timer = undefined;
    // The retried INVITE is timed like any: trying timeout, then Timer C; Timer B in its transaction.
    branch.state = 'calling';
    this.sendAttempt(branch, {
      header: proxyAuth ? 'Proxy-Authorization' : 'Authorization',
      value,
    });
    return true;
  }

  private onSuccess(branch: Branch, res: SipResponse): void {
    if (this.state !== 'trying') {
      // RFC 3261 16.7 step 5: every 2xx is forwarded, even after our final response;
      // the caller ACKs it and hangs up (the CANCEL/2xx race).
      if (branch.state !== 'done') this.endBranch(branch, { status: res.status });
      this.deps.forwardResponseUpstream(this.stripOurVia(res));
      return;
    }
    this.connectedAttempt = branch.attempt;
    this.endBranch(branch, { status: res.status });
    this.state = 'connected';
    // RFC 3261 16.7 step 10 (parallel forking): the other branches are cancelled.
    this.cancelLiveBranches();
    this.relay(res);
    this.finish('connected', res.status);
  }

  private branchFailed(
    branch: Branch,
    event: FailoverEvent,
    response?: SipResponse,
    reason?: AttemptRecord['reason'],
  ): void {
    if (branch.state === 'done') return;
    branch.event = event;
    branch.response = response;
    const retryAfter =
      response && response.status === 503
        ? retryAfterSeconds(response.get('retry-after'))
        : undefined;
    this.endBranch(
      branch,
      event.kind === 'response' ? { status: event.status } : { reason: reason ?? event.kind },
      retryAfter,
    );
    if (this.state !== 'trying') return;
    // Wait for the rest of a parallel tier before deciding.
    if (this.branches.some((b) => b.state !== 'done')) return;
    const tier = this.branches.filter((b) => b.attempt.tier === branch.attempt.tier && b.event);
    const stops = tier.filter(
      (b) => !b.skipped && !b.authRejected && !b.attempt.failover.shouldFailover(b.event!),
    );
    if (stops.length > 0) {
      // A final outside the trigger set (486, 401, 407...) goes to the caller as it is.
      this.fail(stops);
      return;
    }
    this.startTier();
  }

  private exhausted(): void {
    if (this.branches.length > 0 && this.branches.every((b) => b.skipped)) {
      // Nothing was sent: every provider is at its limit. The caller may retry shortly.
      const res = createResponse(
        this.server.request,
        503,
        'Service Unavailable: provider limits reached',
        this.tag(),
      );
      res.append('Retry-After', '1');
      this.respondUpstream(res);
      this.state = 'failed';
      this.finish('failed', 503);
      return;
    }
    this.fail(this.branches.filter((b) => !b.skipped));
  }

  /** RFC 3261 16.7 step 6: the best of the responses we have; 408 when none came. */
  private fail(candidates: Branch[]): void {
    // Refused credentials are ours to fix, not the caller's: it never sees that challenge.
    const statuses = candidates.map((b) =>
      b.authRejected
        ? 503
        : b.event?.kind === 'response'
          ? b.event.status
          : b.event?.kind === 'transport_error'
            ? 503
            : 408,
    );
    const status = chooseBestResponse(statuses);
    const from = candidates.find(
      (b) => !b.authRejected && b.response && b.response.status === status,
    )?.response;
    if (from) this.relay(from);
    else this.respondUpstream(createResponse(this.server.request, status, undefined, this.tag()));
    this.state = 'failed';
    this.finish('failed', status);
  }

  private endBranch(
    branch: Branch,
    end: { status?: number; reason?: AttemptRecord['reason'] },
    retryAfter?: number,
  ): void {
    if (branch.state === 'done') return;
    branch.state = 'done';
    branch.timer?.cancel();
    const now = this.deps.clock.now();
    branch.record.duration_ms = Math.round(now - branch.startedAt);
    if (branch.firstResponseAt !== undefined) {
      branch.record.first_response_ms = Math.round(branch.firstResponseAt - branch.startedAt);
    }
    if (end.status !== undefined) branch.record.status = end.status;
    if (end.reason !== undefined) branch.record.reason = end.reason;
    if (branch.authRejected) branch.record.reason = 'auth_rejected';
    // The answered attempt's slot stays with the call.
    if (branch.admitted && branch.attempt !== this.connectedAttempt) {
      this.deps.releaseAttempt?.(branch.attempt, this.holder(branch.attempt));
    }
    if (!branch.skipped) this.deps.onAttemptEnd?.(branch.attempt, branch.record, retryAfter);
  }

  private relay(res: SipResponse): void {
    if (this.pddAt === undefined && res.status > 100 && res.status < 300) {
      this.pddAt = this.deps.clock.now();
    }
    this.respondUpstream(this.stripOurVia(res));
  }

  private stripOurVia(res: SipResponse): SipResponse {
    const copy = res.clone();
    // RFC 3261 16.7 step 3: the topmost Via (ours) is removed before forwarding.
    copy.removeFirstValue('via');
    // An authenticated attempt's responses carry CSeq + 1: the caller gets its own back.
    const cseq = this.cseq;
    if (cseq !== undefined && copy.get('cseq') !== cseq) copy.set('CSeq', cseq);
    return copy;
  }

  private respondUpstream(res: SipResponse): void {
    this.server.respond(res);
  }

  private toTagValue?: string;
  private tag(): string {
    this.toTagValue ??= this.deps.newBranch().slice(7, 17);
    return this.toTagValue;
  }

  private finish(outcome: CallOutcome, status: number): void {
    // An answered call's end is filled in when it ends (EstablishedCalls); until
    // then ended_at is the answer and nothing is billed.
    const endWall = new Date(this.deps.clock.wallNow()).toISOString();
    const record = newCallRecord({
      call_id: this.callId,
      source: this.facts.source,
      customer: this.facts.customer,
      destination: this.facts.destination,
      started_at: new Date(this.startedWall).toISOString(),
      outcome,
      status,
      attempts: this.branches.map((b) => b.record),
      setup_ms: Math.round(this.deps.clock.now() - this.startedAt),
      pdd_ms: this.pddAt !== undefined ? Math.round(this.pddAt - this.startedAt) : undefined,
      answered_at: outcome === 'connected' ? endWall : undefined,
      ended_at: endWall,
      billable_ms: 0,
    });
    this.deps.onCallEnd(record, this);
  }
}

/** Retry-After (RFC 3261 20.33): delta-seconds, maybe followed by a comment or params. */
function retryAfterSeconds(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^\s*(\d+)/.exec(value);
  return m ? Number(m[1]) : undefined;
}
