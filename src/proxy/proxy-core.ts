import { createResponse } from '../sip/message/create-response.js';
import type { SharedUri, SipRequest, SipResponse } from '../sip/message/sip-message.js';
import { tagOf } from '../sip/message/name-addr.js';
import type {
  ClientTransaction,
  IncomingRequest,
  ServerTransaction,
  TransactionUser,
} from '../sip/transaction/types.js';
import type { TransactionLayer } from '../sip/transaction/transaction-layer.js';
import { responseDestination } from '../sip/transaction/response-destination.js';
import type { Endpoint } from '../sip/transport/types.js';
import type { Clock } from '../util/clock.js';
import { CellMap } from '../util/cell-map.js';
import {
  newCallRecord,
  type AttemptRecord,
  type CallRecord,
} from '../observability/call-record.js';
import { planCall, type CompiledTable, type Plan } from '../routing/index.js';
import type { Customer } from '../routing/model.js';
import type { AcquireResult } from '../health/limit-counter.js';
import type { Slot } from '../health/health-monitor.js';
import { CallContext } from './call-context.js';
import { EstablishedCalls } from './established-calls.js';
import { checkRequest } from './request-checks.js';
import { fnv1a } from './loop-hash.js';
import { isKnownSource } from './known-sources.js';
import { routeUri, uriEndpoint } from './next-hop.js';
import { OUR_BRANCH_PREFIX, type ProxyIdentity } from './proxy-identity.js';
import { redirectResponse } from './redirect-response.js';
import type { OverloadGuard, OverloadReason } from './overload-guard.js';
import { shiftCSeq } from './cseq-shift.js';
import { randomBytes } from 'node:crypto';

export interface ProxySettings {
  mode: 'proxy' | 'redirect';
  redirectStatus: number;
  maxForwards: number;
  supportedExtensions: readonly string[];
  recordRoute: boolean;
  /** The To tag of the overload guard's stateless 503s (shed-tag.ts); unset: a tag as any other. */
  shedTag?: string;
  ringTimeoutMs: number;
  /** An answered call whose BYE never comes is ended this long after its answer (health.max_call_ms). */
  maxCallMs?: number;
  /** Cap on answered calls tracked for their record (records.max_established_calls). */
  maxEstablishedCalls?: number;
}

/** Gateway health and call slots, kept outside the pure routing engine (src/health). */
export interface HealthView {
  gatewayOpen(gatewayKey: string): boolean;
  providerAtLimit(providerId: string): boolean;
  onAttemptEnd(gatewayKey: string, record: AttemptRecord, retryAfterSeconds?: number): void;
  admitAttempt(
    providerId: string,
    gatewayKey: string,
    holder: string,
  ): AcquireResult | Promise<AcquireResult>;
  admitCall(customer: Customer, holder: string): AcquireResult | Promise<AcquireResult>;
  release(slot: Slot): void;
  /** An answered call keeps its slots until callEnded (its BYE). */
  holdCall(callId: string, slots: Slot[]): void;
  callEnded(callId: string): void;
}

export interface ProxyCoreDeps {
  transactions: TransactionLayer;
  identity: ProxyIdentity;
  clock: Clock;
  random: () => number;
  /** The current compiled route table (a field read: the hot path does no I/O). */
  routes: () => CompiledTable;
  settings: ProxySettings;
  health?: HealthView;
  /** Per-source INVITE rate and the cap on calls in setup (issue 8). */
  overload?: OverloadGuard;
  /** A new INVITE turned away by the overload guard (counted, not logged one by one). */
  onOverload?: (reason: OverloadReason) => void;
  /** A retransmission of an INVITE turned away, not answered again: its 503 was on its way (OverloadGuard.repeated). */
  onRepeatUnanswered?: () => void;
  /**
   * The end of every call's setup, with the record as it stands then (an
   * answered call's end is not known yet): setup metrics count here.
   */
  onSetupEnd?: (record: CallRecord) => void;
  /** Every call's record, once: at the end of setup, or at the end of an answered call. */
  onCallRecord?: (record: CallRecord) => void;
  log?: (event: string, detail: Record<string, unknown>) => void;
}

const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, PRACK, REFER, NOTIFY';

/**
 * RFC 3261 §16 stateful proxy, specialised for outbound routing: new INVITEs go
 * through the route engine and the failover driver; requests inside a dialog
 * follow the Route set we recorded; ACKs for 2xx and stray 2xx retransmissions
 * are forwarded statelessly.
 */
export class ProxyCore implements TransactionUser {
  /** Calls still being set up, by server transaction id. */
  private readonly calls = new CellMap<string, CallContext>();
  /** In-dialog INVITEs we forwarded, by server transaction id (for CANCEL). */
  private readonly pending = new CellMap<string, ClientTransaction>();
  /** New calls waiting for a shared customer slot, by server transaction id. */
  private readonly admitting = new Map<string, { cancelled: boolean }>();
  private readonly supported: ReadonlySet<string>;
  private draining = false;
  /** Answered calls until their BYE, so their record is written when they end. */
  private readonly established: EstablishedCalls;
  /** Whether trunkroute serves this source address at all (the overload guard asks). */
  private readonly knownSource = (source: string): boolean =>
    isKnownSource(this.deps.routes().table, source);

  constructor(private readonly deps: ProxyCoreDeps) {
    this.supported = new Set(deps.settings.supportedExtensions.map((s) => s.toLowerCase()));
    this.established = new EstablishedCalls({
      clock: deps.clock,
      leaseMs: deps.settings.maxCallMs ?? 4 * 3600_000,
      maxCalls: deps.settings.maxEstablishedCalls ?? 200_000,
      onEnd: (record) => {
        // The slots go with the call (the health monitor's own lease is only a backstop).
        this.deps.health?.callEnded(record.call_id);
        this.deps.onCallRecord?.(record);
      },
    });
  }

  /** Answered calls still up (their record not yet written). */
  get establishedCalls(): number {
    return this.established.size;
  }

  /** Calls in setup (not yet answered, failed or cancelled). */
  get callsInSetup(): number {
    return this.calls.size;
  }

  /** SIGTERM: refuse new calls with 503; calls in setup go on. */
  drain(): void {
    this.draining = true;
  }

  /** End of the drain bound: calls still ringing get 503 and their attempts are cancelled. */
  abortAll(): void {
    for (const ctx of [...this.calls.values()]) ctx.abort();
  }

  /** Shutdown: the records of answered calls still up are written now (hangup `shutdown`). */
  endEstablished(): void {
    this.established.endAll();
  }

  onRequest(incoming: IncomingRequest): void {
    const { request, transaction } = incoming;
    if (request.method === 'ACK') {
      // RFC 3261 16.7: the ACK for a 2xx is its own transaction; we relay it along the route.
      if (!transaction) this.forwardStateless(request, incoming.source.address);
      return;
    }
    if (!transaction) return;
    if (request.method === 'CANCEL') {
      this.onCancel(incoming, transaction);
      return;
    }
    const rejection = checkRequest(request, this.deps.identity, this.supported);
    if (rejection) {
      const res = createResponse(request, rejection.status, rejection.reason, this.tag());
      for (const [n, v] of rejection.headers ?? []) res.append(n, v);
      transaction.respond(res);
      return;
    }

    const inDialog = tagOf(request.get('to') ?? '') !== undefined;
    if (!inDialog && request.method === 'INVITE' && this.overloaded(incoming, transaction)) return;

    const req = request.clone();
    const marks: string[] = [];
    const routed = this.popOurRoutes(req, marks);
    if (inDialog) {
      const refusal = this.inDialogRefusal(req, routed, incoming.source.address);
      if (refusal) {
        transaction.respond(createResponse(request, 403, refusal, this.tag()));
        return;
      }
      this.forwardInDialog(req, transaction, routed === 'signed' ? this.cseqShift(req, marks) : 0);
      return;
    }
    if (request.method === 'OPTIONS') {
      const res = createResponse(request, 200, 'OK', this.tag());
      res.append('Allow', ALLOW);
      res.append('Accept', 'application/sdp');
      transaction.respond(res);
      return;
    }
    if (request.method !== 'INVITE') {
      const res = createResponse(request, 405, 'Method Not Allowed', this.tag());
      res.append('Allow', 'INVITE, OPTIONS');
      transaction.respond(res);
      return;
    }
    try {
      this.newCall(req, incoming, transaction);
    } catch (err) {
      // A defect must cost one call a 500, never leave the caller hanging.
      this.deps.log?.('call setup failed', {
        error: err instanceof Error ? err.stack : String(err),
      });
      transaction.respond(createResponse(request, 500, 'Server Internal Error', this.tag()));
    }
  }

  onStrayResponse(response: SipResponse): void {
    // RFC 3261 16.7 step 3 / 16.11: a response for a transaction we no longer hold
    // (2xx retransmissions) is forwarded statelessly if its top Via is ours.
    const via = response.topVia();
    const branch = via?.params.get('branch');
    if (!via || typeof branch !== 'string' || !branch.startsWith(OUR_BRANCH_PREFIX)) return;
    if (!this.deps.identity.isOurSentBy(via.host, via.port)) return;
    if (response.status < 200 || response.status >= 300) return;
    const copy = response.clone();
    copy.removeFirstValue('via');
    // A retransmitted 2xx of an authenticated INVITE: back to the caller's CSeq.
    const marks: string[] = [];
    for (const rr of copy.getAll('record-route')) {
      const uri = routeUri(rr);
      const cs = uri && this.deps.identity.isOurs(uri) ? uri.params.get('cs') : undefined;
      if (typeof cs === 'string') marks.push(cs);
    }
    shiftCSeq(copy, -this.cseqShift(copy, marks));
    this.sendUpstream(copy);
  }

  /**
   * How far the caller's side of this dialog is ahead on the provider's side:
   * the signed `cs` mark of our Record-Route (set when the INVITE was re-sent
   * with credentials, RFC 3261 22.2) when the From tag is the caller's; 0 for
   * the provider's own requests and for every other dialog (docs/proxy.md).
   */
  private cseqShift(msg: SipRequest | SipResponse, marks: readonly string[]): number {
    if (marks.length === 0) return 0;
    const callId = msg.get('call-id') ?? '';
    const fromTag = tagOf(msg.get('from') ?? '') ?? '';
    for (const mark of marks) {
      const offset = this.deps.identity.cseqOffset(callId, fromTag, mark);
      if (offset > 0) return offset;
    }
    return 0;
  }

  private onCancel(incoming: IncomingRequest, transaction: ServerTransaction): void {
    const target = incoming.cancelled;
    if (!target) {
      // RFC 3261 9.2: no matching transaction.
      transaction.respond(createResponse(incoming.request, 481, undefined, this.tag()));
      return;
    }
    // RFC 3261 16.10: 200 to the CANCEL, then cancel what we forwarded.
    transaction.respond(createResponse(incoming.request, 200, 'OK', this.tag()));
    const ctx = this.calls.get(target.id);
    if (ctx) {
      ctx.cancelByCaller();
      return;
    }
    const waiting = this.admitting.get(target.id);
    if (waiting) {
      waiting.cancelled = true;
      target.respond(createResponse(target.request, 487, 'Request Terminated', this.tag()));
      return;
    }
    const tx = this.pending.get(target.id);
    if (tx) tx.cancel();
  }

  private newCall(req: SipRequest, incoming: IncomingRequest, server: ServerTransaction): void {
    if (this.draining) {
      const res = createResponse(
        incoming.request,
        503,
        'Service Unavailable: shutting down',
        this.tag(),
      );
      res.append('Retry-After', '5');
      server.respond(res);
      return;
    }
    // trunkroute is the routing authority for new calls: a Route set the caller
    // pre-loaded beyond us is not followed (no relaying to a target of the caller's choosing).
    req.remove('route');
    const compiled = this.deps.routes();
    const uri = req.requestUri();
    const number = uri ? dialledNumber(uri) : '';
    const customerHeaderName = compiled.table.settings.customer_header;
    const health = this.deps.health;
    const plan: Plan = planCall(
      compiled,
      {
        destination: number,
        sourceAddress: incoming.source.address,
        customerHeader: customerHeaderName ? req.get(customerHeaderName) : undefined,
        gatewayOpen: health ? (k) => health.gatewayOpen(k) : undefined,
        providerAtLimit: health ? (p) => health.providerAtLimit(p) : undefined,
        trace: false,
      },
      this.deps.random,
      this.deps.clock.wallNow(),
    );
    const facts = {
      source: `${incoming.source.protocol}:${incoming.source.address}:${incoming.source.port}`,
      customer: plan.customer?.id,
      destination: plan.number,
    };

    if (plan.outcome !== 'route' || plan.attempts.length === 0) {
      const status = plan.status ?? 404;
      const reason = plan.reason ?? 'No Route To Destination';
      const res = createResponse(incoming.request, status, reason, this.tag());
      // A stranger (not a customer) gets its 403 once, statelessly: scanners and
      // floods cost no transaction, no retransmissions.
      if (plan.outcome === 'forbidden' && !plan.customer) this.rejectStateless(server, res);
      else server.respond(res);
      this.record(facts, req, plan.outcome === 'forbidden' ? 'forbidden' : 'no_route', status, []);
      return;
    }

    const mode = plan.mode ?? this.deps.settings.mode;
    if (mode === 'redirect') {
      const res = redirectResponse(
        incoming.request,
        plan.attempts,
        this.deps.settings.redirectStatus,
        this.tag(),
      );
      server.respond(res);
      this.record(facts, req, 'redirected', res.status, []);
      return;
    }

    // RFC 3261 17.2.1: no 100 Trying here. The server transaction sends one if
    // nothing has gone upstream within 200 ms; a provider that rings sooner (the
    // usual case) spares the caller that message and us one send per call.
    const customer = plan.customer;
    const callHolder = server.id;
    const limited =
      health && customer && (customer.max_calls !== undefined || customer.max_cps !== undefined);
    if (!health || !customer || !limited) {
      this.startCall(req, server, plan, facts, customerHeaderName);
      return;
    }
    const admission = health.admitCall(customer, callHolder);
    const proceed = (r: AcquireResult): void => {
      if (!r.ok) {
        // RFC 3261 21.5.4: 503 with Retry-After, the customer is over its own limit.
        const res = createResponse(
          incoming.request,
          503,
          `Service Unavailable: customer ${r.refusal === 'max_cps' ? 'call rate' : 'call'} limit reached`,
          this.tag(),
        );
        res.append('Retry-After', r.refusal === 'max_cps' ? '1' : '5');
        server.respond(res);
        this.record(facts, req, 'rejected', 503, []);
        return;
      }
      const slot: Slot = { scope: 'customer', id: customer.id, holder: callHolder };
      this.startCall(req, server, plan, facts, customerHeaderName, slot);
    };
    if (!(admission instanceof Promise)) {
      proceed(admission);
      return;
    }
    const waiting = { cancelled: false };
    this.admitting.set(server.id, waiting);
    admission
      .catch((): AcquireResult => ({ ok: true }))
      .then((r) => {
        this.admitting.delete(server.id);
        if (waiting.cancelled) {
          if (r.ok) health.release({ scope: 'customer', id: customer.id, holder: callHolder });
          this.record(facts, req, 'cancelled', 487, []);
          return;
        }
        proceed(r);
      })
      .catch((err: unknown) => {
        this.deps.log?.('call setup failed', { error: String(err) });
      });
  }

  private startCall(
    req: SipRequest,
    server: ServerTransaction,
    plan: Plan,
    facts: { source: string; customer?: string; destination: string },
    customerHeaderName: string,
    customerSlot?: Slot,
  ): void {
    const health = this.deps.health;
    const ctx: CallContext = new CallContext(
      {
        identity: this.deps.identity,
        clock: this.deps.clock,
        sendRequest: (r, d, h) => this.deps.transactions.sendRequest(r, d, h),
        newBranch: () => this.deps.transactions.newBranch(),
        forwardResponseUpstream: (res) => this.sendUpstream(res),
        onAttemptEnd: health ? (a, r, ra) => health.onAttemptEnd(a.gatewayKey, r, ra) : undefined,
        admitAttempt: health
          ? (a, holder) => health.admitAttempt(a.providerId, a.gatewayKey, holder)
          : undefined,
        releaseAttempt: health
          ? (a, holder) => health.release({ scope: 'provider', id: a.providerId, holder })
          : undefined,
        onCallEnd: (record) => {
          this.calls.delete(server.id);
          if (health) {
            const won = ctx.connectedAttempt;
            if (record.outcome === 'connected' && won) {
              const slots: Slot[] = [
                { scope: 'provider', id: won.providerId, holder: ctx.holder(won) },
              ];
              if (customerSlot) slots.push(customerSlot);
              health.holdCall(record.call_id, slots);
            } else if (customerSlot) health.release(customerSlot);
          }
          this.deps.onSetupEnd?.(record);
          if (record.outcome === 'connected') {
            this.established.answered(record, ctx.fromTag, ctx.dialogToken);
          } else this.deps.onCallRecord?.(record);
        },
        maxForwards: this.deps.settings.maxForwards,
        recordRoute: this.deps.settings.recordRoute,
        ringTimeoutMs: this.deps.settings.ringTimeoutMs,
        stripHeaders: customerHeaderName ? [customerHeaderName] : [],
        cnonce: () => randomBytes(16).toString('base64url'),
      },
      server,
      req,
      plan.attempts,
      facts,
    );
    this.calls.set(server.id, ctx);
    ctx.start();
  }

  /** A request inside a dialog we record-routed: forwarded statefully to the next hop. */
  private forwardInDialog(req: SipRequest, server: ServerTransaction, cseqShift = 0): void {
    // A BYE ends the dialog, whichever side sends it: the call's slots are free
    // and its record is written. Within a dialog the caller's requests carry its
    // From tag and the callee's carry the To tag as theirs (RFC 3261 12.2.1.1),
    // which tells the sides apart whatever addresses or ports they use.
    if (req.method === 'BYE') {
      const callId = req.get('call-id') ?? '';
      this.established.bye(callId, tagOf(req.get('from') ?? ''));
      this.deps.health?.callEnded(callId);
    }
    const dest = this.nextHop(req);
    if (!dest) {
      server.respond(createResponse(server.request, 404, 'Not Found: no next hop', this.tag()));
      return;
    }
    this.addHop(req, dest, this.deps.transactions.newBranch());
    // The caller's requests in an authenticated dialog: in the provider's numbering.
    shiftCSeq(req, cseqShift);
    const tx = this.deps.transactions.sendRequest(req, dest, {
      onResponse: (res) => {
        if (res.status === 100) return;
        const copy = res.clone();
        copy.removeFirstValue('via');
        shiftCSeq(copy, -cseqShift);
        if (res.status >= 200) this.pending.delete(server.id);
        server.respond(copy);
      },
      onTimeout: () => {
        this.pending.delete(server.id);
        server.respond(createResponse(server.request, 408, undefined, this.tag()));
      },
      onTransportError: () => {
        this.pending.delete(server.id);
        server.respond(createResponse(server.request, 503, undefined, this.tag()));
      },
    });
    if (req.method === 'INVITE') this.pending.set(server.id, tx);
  }

  /** ACK for a 2xx: stateless, along the same path as the rest of the dialog. */
  private forwardStateless(request: SipRequest, source: string): void {
    // No Route at all: not routed through us (inDialogRefusal's 'none'), such as
    // the ACK of a shed INVITE's 503. Dropped before the copy, so shedding stays cheap.
    if (request.first('route') === undefined) return;
    const req = request.clone();
    const marks: string[] = [];
    const routed = this.popOurRoutes(req, marks);
    if (this.inDialogRefusal(req, routed, source)) return;
    // RFC 3261 17.1.1.3: the ACK of a 2xx has its INVITE's CSeq, as the provider saw it.
    if (routed === 'signed') shiftCSeq(req, this.cseqShift(req, marks));
    const mf = req.get('max-forwards');
    if (mf !== undefined && Number(mf) <= 0) return;
    const dest = this.nextHop(req);
    if (!dest) return;
    // RFC 3261 16.11: a stateless branch must be the same for retransmissions of the
    // same request, so it is derived from the incoming top Via's branch.
    const inBranch = request.topVia()?.params.get('branch') ?? '';
    this.addHop(req, dest, `${OUR_BRANCH_PREFIX}a.${fnv1a([String(inBranch)])}`);
    void this.deps.transactions.sendStateless(req, dest);
  }

  private addHop(req: SipRequest, dest: Endpoint, branch: string): void {
    const mf = req.get('max-forwards');
    req.set(
      'Max-Forwards',
      String(mf === undefined ? this.deps.settings.maxForwards : Number(mf) - 1),
    );
    req.prepend('Via', this.deps.identity.via(dest, branch));
  }

  /**
   * RFC 3261 16.4: removes the Route entries that name us. `signed` when one of
   * them carries this dialog's token (we Record-Routed it), `unsigned` when they
   * name us without it, `none` when there was none.
   */
  private popOurRoutes(req: SipRequest, marks?: string[]): 'signed' | 'unsigned' | 'none' {
    let found: 'signed' | 'unsigned' | 'none' = 'none';
    const callId = req.get('call-id') ?? '';
    for (;;) {
      const top = req.first('route');
      const uri = top === undefined ? undefined : routeUri(top);
      if (!uri || !this.deps.identity.isOurs(uri)) return found;
      const tr = uri.params.get('tr');
      // The ACK and BYE of an answered call check against the token its INVITE was
      // given, which spares an HMAC per request (issue 14).
      const issued = this.established.dialogToken(callId);
      if (typeof tr === 'string' && this.deps.identity.validDialogToken(callId, tr, issued)) {
        found = 'signed';
        const cs = uri.params.get('cs');
        if (typeof cs === 'string') marks?.push(cs);
      } else if (found === 'none') found = 'unsigned';
      req.removeFirstValue('route');
    }
  }

  /**
   * Why an in-dialog request may not pass, or undefined. We only carry dialogs
   * we Record-Routed: our signed Route proves it. Without the signature (a
   * dialog from before a restart with a new key) only customers, trusted
   * sources and provider gateways may send, so nobody else can use us to reach
   * a provider by forging a Route header.
   */
  private inDialogRefusal(
    req: SipRequest,
    routed: 'signed' | 'unsigned' | 'none',
    source: string,
  ): string | undefined {
    if (routed === 'signed') return undefined;
    if (routed === 'none') return 'Forbidden: in-dialog request not routed through us';
    if (isKnownSource(this.deps.routes().table, source)) return undefined;
    return 'Forbidden: in-dialog request without our signed Route';
  }

  /** RFC 3261 16.6 step 6/7: the top remaining Route (loose router), else the Request-URI. */
  private nextHop(req: SipRequest): Endpoint | undefined {
    const top = req.first('route');
    const uri = top !== undefined ? routeUri(top) : req.requestUri();
    return uri ? uriEndpoint(uri) : undefined;
  }

  private sendUpstream(res: SipResponse): void {
    const dest = responseDestination(res);
    if (dest) void this.deps.transactions.sendStateless(res, dest);
  }

  private record(
    facts: { source: string; customer?: string; destination: string },
    req: SipRequest,
    outcome: CallRecord['outcome'],
    status: number,
    attempts: AttemptRecord[],
  ): void {
    const now = new Date(this.deps.clock.wallNow()).toISOString();
    const record = newCallRecord({
      call_id: req.get('call-id') ?? '',
      source: facts.source,
      customer: facts.customer,
      destination: facts.destination,
      started_at: now,
      outcome,
      status,
      attempts,
      setup_ms: 0,
      ended_at: now,
      billable_ms: 0,
    });
    this.deps.onSetupEnd?.(record);
    this.deps.onCallRecord?.(record);
  }

  /**
   * The overload guard, before any routing work and before the request is even
   * copied: a shed INVITE must cost a small part of a call, or shedding cannot
   * keep trunkroute under its ceiling. No call record either: under a flood the
   * log must not become the next bottleneck. RFC 3261 21.5.4: 503 + Retry-After.
   */
  private overloaded(incoming: IncomingRequest, transaction: ServerTransaction): boolean {
    const guard = this.deps.overload;
    if (!guard) return false;
    // A retransmission of an INVITE turned away gets the same answer, uncounted,
    // or none when that answer left after it did (OverloadGuard.repeated).
    const again = guard.repeated(transaction.id);
    if (again?.answered) {
      transaction.terminate();
      this.deps.onRepeatUnanswered?.();
      return true;
    }
    const overload =
      again?.reason ??
      guard.check(incoming.source.address, this.calls.size, this.knownSource, transaction.id);
    if (!overload) return false;
    const res = createResponse(
      incoming.request,
      503,
      overload === 'source_rate'
        ? 'Service Unavailable: too many calls from this source'
        : 'Service Unavailable: overloaded',
      this.deps.settings.shedTag ?? this.tag(),
    );
    res.append('Retry-After', '1');
    this.rejectStateless(transaction, res);
    if (!again) this.deps.onOverload?.(overload);
    return true;
  }

  /**
   * Answers and forgets at once, as a stateless proxy would (RFC 3261 16.11):
   * no retransmissions of the response and no transaction kept for its ACK, so
   * a flood that never ACKs costs one send per INVITE. A retransmitted INVITE
   * gets the same answer again, unless that answer is already on its way
   * (OverloadGuard.repeated).
   */
  private rejectStateless(server: ServerTransaction, res: SipResponse): void {
    server.respond(res);
    server.terminate();
  }

  private tag(): string {
    return this.deps.transactions.newBranch().slice(7, 17);
  }
}

/**
 * The dialled number: the user part of a sip: URI without its parameters, or a
 * tel: number (RFC 3966); visual separators are the route engine's business.
 */
export function dialledNumber(uri: SharedUri): string {
  const user = uri.user ?? '';
  const semi = user.indexOf(';');
  return semi >= 0 ? user.slice(0, semi) : user;
}
