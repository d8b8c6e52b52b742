import { randomBytes } from 'node:crypto';
import { parseCSeq } from '../message/cseq.js';
import { tagOf } from '../message/name-addr.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/sip-message.js';
import type { Endpoint, Inbound, SipTransport } from '../transport/types.js';
import type { Clock } from '../../util/clock.js';
import { CellMap } from '../../util/cell-map.js';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import { responseDestination } from './response-destination.js';
import { EndpointPool } from './endpoint-pool.js';
import { createResponse } from '../message/create-response.js';
import { messageFromText } from '../message/kept-message.js';
import { ownString } from '../message/own-string.js';
import { LingeringTransactions, type Lingering } from './lingering-transactions.js';
import { AnsweredInvite } from './answered-invite.js';
import type { TransactionContext } from './transaction-context.js';
import {
  DEFAULT_TIMERS,
  type ClientTransaction,
  type ClientTransactionHandler,
  type ServerTransaction,
  type TimerValues,
  type TransactionUser,
} from './types.js';

export interface TransactionLayerOptions {
  transport: SipTransport;
  clock: Clock;
  timers?: Partial<TimerValues>;
  /** Source of branch uniqueness; crypto by default. */
  random?: () => number;
  /**
   * Live server transactions at most. Beyond it a new out-of-dialog request gets
   * a stateless 503 (no transaction, so no memory); at twice it, every new
   * request is dropped. In-dialog requests (calls in progress) still get a
   * transaction up to the hard bound. 0 = no cap.
   */
  maxServerTransactions?: number;
  /**
   * How long a request read now has likely waited in our socket queues (ms),
   * as the load shedder's queue probe last measured it. RFC 3261 17.2.1's
   * 200 ms before a 100 Trying then count from the INVITE's arrival, not from
   * its reading: a caller whose INVITE queued 400 ms would otherwise hear
   * nothing before its own 500-ms retransmission. None: from the reading.
   */
  queuedMs?: () => number;
  log?: (event: string, detail: Record<string, unknown>) => void;
}

type ClientTx = InviteClientTransaction | NonInviteClientTransaction;
type ServerTx = InviteServerTransaction | NonInviteServerTransaction;

const MAGIC = 'z9hG4bK';

/**
 * RFC 3261 §17 transaction layer: creates the four kinds of transactions,
 * matches every inbound message to one (17.1.3, 17.2.3, with the RFC 2543
 * fallback), and hands new requests and unmatched responses to its user.
 */
export class TransactionLayer {
  readonly timers: TimerValues;
  private readonly clients = new CellMap<string, ClientTx>();
  private readonly servers = new CellMap<string, ServerTx>();
  /** Transactions that only wait out a timer: their keys and what they send again. */
  private readonly lingeringClients: LingeringTransactions;
  private readonly lingeringServers: LingeringTransactions;
  private user?: TransactionUser;
  private readonly ctx: TransactionContext;
  private counter = 0;
  private readonly prefix: string;
  /** The peers the transactions hold, one object each (memory under load). */
  private readonly endpoints = new EndpointPool();

  constructor(private readonly opts: TransactionLayerOptions) {
    this.timers = { ...DEFAULT_TIMERS, ...opts.timers };
    const log = opts.log ?? (() => {});
    this.prefix = opts.random
      ? Math.floor(opts.random() * 2 ** 32).toString(36)
      : randomBytes(5).toString('hex');
    this.lingeringClients = new LingeringTransactions(opts.clock);
    this.lingeringServers = new LingeringTransactions(opts.clock);
    this.ctx = {
      clock: opts.clock,
      timers: this.timers,
      send: (m, d, c) => opts.transport.send(m, d, c),
      reliable: (d) => opts.transport.isReliable(d.protocol),
      queuedMs: opts.queuedMs ?? (() => 0),
      sendCancel: (cancel, d, h, c) => void this.startClient(cancel, d, h, c),
      remove: (key) => {
        this.clients.delete(key);
        this.servers.delete(key);
        this.lingeringClients.delete(key);
        this.lingeringServers.delete(key);
      },
      linger: (key, side, ms, kind, text, to, connectionId) => {
        const [live, lingering] =
          side === 'client'
            ? [this.clients, this.lingeringClients]
            : [this.servers, this.lingeringServers];
        live.delete(key);
        lingering.add(key, ms, kind, text, to, connectionId);
      },
      log,
    };
    opts.transport.onMessage((inbound) => this.onInbound(inbound));
  }

  setUser(user: TransactionUser): void {
    this.user = user;
  }

  /** New requests refused for the cap: answered 503 statelessly, or dropped past the hard bound. */
  readonly refused = { answered503: 0, dropped: 0 };

  /** Live transactions (those waiting out a timer among them), for tests and metrics. */
  get size(): { clients: number; servers: number } {
    return {
      clients: this.clients.size + this.lingeringClients.size,
      servers: this.servers.size + this.lingeringServers.size,
    };
  }

  /** A branch unique in space and time (RFC 3261 8.1.1.7). */
  newBranch(): string {
    return `${MAGIC}${this.prefix}${(this.counter++).toString(36)}`;
  }

  /**
   * Starts a client transaction for a request whose top Via already carries its
   * branch. INVITE gets the INVITE machine; everything else (but ACK) the other.
   */
  sendRequest(
    req: SipRequest,
    destination: Endpoint,
    handler: ClientTransactionHandler,
    connectionId?: string,
  ): ClientTransaction {
    if (req.method !== 'INVITE') return this.startClient(req, destination, handler, connectionId);
    // Its own string: the transaction and its key live 32 s after the call (Timer D);
    // the key made from it then refers to nothing else.
    const branch = ownString(topBranch(req) ?? '');
    const id = `${branch}|INVITE`;
    const tx = new InviteClientTransaction(
      this.ctx,
      id,
      branch,
      req,
      this.endpoints.shared(destination),
      handler,
      connectionId,
    );
    this.clients.set(id, tx);
    tx.start();
    return tx;
  }

  /** Sends without a transaction (ACK for 2xx, stateless responses and forwards). */
  sendStateless(message: SipMessage, destination: Endpoint, connectionId?: string): Promise<void> {
    return this.opts.transport.send(message, destination, connectionId).catch((err: unknown) => {
      this.ctx.log('stateless send failed', { error: String(err), to: destination });
    });
  }

  close(): void {
    for (const tx of [...this.clients.values()]) tx.terminate();
    for (const tx of [...this.servers.values()]) tx.terminate();
    this.lingeringClients.clear();
    this.lingeringServers.clear();
  }

  private startClient(
    req: SipRequest,
    destination: Endpoint,
    handler: Partial<ClientTransactionHandler>,
    connectionId?: string,
  ): ClientTransaction {
    const branch = ownString(topBranch(req) ?? '');
    const id = `${branch}|${req.method}`;
    const tx = new NonInviteClientTransaction(
      this.ctx,
      id,
      branch,
      req,
      this.endpoints.shared(destination),
      handler,
      connectionId,
    );
    this.clients.set(id, tx);
    tx.start();
    return tx;
  }

  private onInbound(inbound: Inbound): void {
    const m = inbound.message;
    if (m.isRequest) this.onRequest(m as SipRequest, inbound);
    else this.onResponse(m as SipResponse, inbound);
  }

  private onResponse(res: SipResponse, inbound: Inbound): void {
    // RFC 3261 17.1.3: branch of the top Via plus the CSeq method.
    const branch = topBranch(res);
    const cseq = parseCSeq(res.get('cseq') ?? '');
    const key = branch && cseq ? `${branch}|${cseq.method}` : undefined;
    const tx = key === undefined ? undefined : this.clients.get(key);
    if (tx) {
      tx.onResponse(res);
      return;
    }
    const gone = key === undefined ? undefined : this.lingeringClients.get(key);
    if (gone) {
      // RFC 3261 17.1.1.2: in Completed a retransmitted final gets the ACK again;
      // 17.1.2.2: a non-INVITE's retransmitted responses are absorbed.
      if (gone.kind === 'ack' && res.status >= 300) this.sendAgain(gone);
      return;
    }
    this.user?.onStrayResponse(res, inbound.source);
  }

  /** What a lingering transaction sends again: its ACK or its final response. */
  private sendAgain(gone: Lingering): void {
    if (gone.text === undefined || gone.to === undefined) return;
    void this.sendStateless(messageFromText(gone.text), gone.to, gone.connectionId);
  }

  private onRequest(req: SipRequest, inbound: Inbound): void {
    const key = serverKey(req, req.method === 'ACK' ? 'INVITE' : req.method);
    if (key === undefined) return;
    const existing = this.servers.get(key);
    if (existing) {
      // A retransmission, or the ACK for our non-2xx final response (RFC 3261 17.2.1).
      existing.onRequest(req);
      return;
    }
    const gone = this.lingeringServers.get(key);
    // RFC 6026 8.7: in Accepted the ACK is for the 2xx (it matches only when the UAC
    // reused the INVITE's branch, or by the RFC 2543 rules): it goes to the TU.
    if (gone && !(req.method === 'ACK' && gone.kind === 'accepted')) {
      // RFC 3261 17.2.2: Completed sends its final response again; Accepted
      // (RFC 6026 8.7) and Confirmed (17.2.1) absorb.
      if (gone.kind === 'final') this.sendAgain(gone);
      return;
    }
    if (req.method === 'ACK') {
      this.user?.onRequest({
        request: req,
        source: inbound.source,
        connectionId: inbound.connectionId,
      });
      return;
    }
    const destination = responseDestination(req) ?? inbound.source;
    if (this.overCap(req, destination, inbound.connectionId)) return;
    const source = this.endpoints.shared(inbound.source);
    const to = this.endpoints.shared(destination);
    // Reliable transports answer on the connection the request came on (RFC 3261 18.2.2).
    const tx: ServerTx =
      req.method === 'INVITE'
        ? new InviteServerTransaction(this.ctx, key, req, source, to, inbound.connectionId)
        : new NonInviteServerTransaction(this.ctx, key, req, source, to, inbound.connectionId);
    this.servers.set(key, tx);
    let cancelled: ServerTransaction | undefined;
    if (req.method === 'CANCEL') {
      // RFC 3261 9.2: the CANCEL matches the INVITE with the same key but for the method.
      const inviteKey = serverKey(req, 'INVITE') ?? '';
      const target = this.servers.get(inviteKey);
      if (target instanceof InviteServerTransaction) cancelled = target;
      // One already answered still matches (the CANCEL then has no effect), though
      // only its key is left: the TU gets a stand-in with that key.
      else if (this.lingeringServers.get(inviteKey))
        cancelled = new AnsweredInvite(inviteKey, req, source);
    }
    this.user?.onRequest({
      request: req,
      source,
      connectionId: inbound.connectionId,
      transaction: tx,
      cancelled,
    });
  }

  /**
   * The memory bound under a flood: past the cap a new out-of-dialog request
   * is answered 503 + Retry-After without a transaction (RFC 3261 21.5.4);
   * past twice the cap nothing new is taken at all. CANCEL is let through
   * while its INVITE is here, so calls in setup can still be cancelled.
   */
  private overCap(req: SipRequest, destination: Endpoint, connectionId?: string): boolean {
    const max = this.opts.maxServerTransactions ?? 0;
    // Those waiting out Timer J or L count: they are the memory the cap bounds.
    const live = this.servers.size + this.lingeringServers.size;
    if (max <= 0 || live < max) return false;
    if (live >= 2 * max) {
      this.refused.dropped++;
      return true;
    }
    const inDialog = tagOf(req.get('to') ?? '') !== undefined;
    if (inDialog || req.method === 'CANCEL') return false;
    this.refused.answered503++;
    const res = createResponse(req, 503, 'Service Unavailable: overloaded');
    res.append('Retry-After', '5');
    void this.sendStateless(res, destination, connectionId);
    return true;
  }
}

function topBranch(m: SipMessage): string | undefined {
  const b = m.topVia()?.params.get('branch');
  return typeof b === 'string' ? b : undefined;
}

/**
 * RFC 3261 17.2.3: branch + sent-by + method when the branch has the magic
 * cookie; otherwise the RFC 2543 fields (Request-URI, From tag, Call-ID, CSeq
 * number, top Via). The To tag is left out so the ACK for our non-2xx matches.
 */
function serverKey(req: SipRequest, method: string): string | undefined {
  const via = req.topVia();
  if (!via) return undefined;
  const branch = via.params.get('branch');
  const sentBy = `${via.host}:${via.port ?? ''}`;
  // Joined: one flat string of its own, not a tree of slices of the datagram's
  // text, which a key kept 32 s (lingering-transactions.ts) would keep alive.
  if (typeof branch === 'string' && branch.startsWith(MAGIC))
    return [branch, sentBy, method].join('|');
  const cseq = parseCSeq(req.get('cseq') ?? '');
  return [
    '2543',
    req.uri,
    tagOf(req.get('from') ?? '') ?? '',
    req.get('call-id') ?? '',
    cseq?.seq ?? '',
    req.first('via'),
    method,
  ].join('|');
}
