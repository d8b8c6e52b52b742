import { LruMap } from '../util/lru-map.js';
import { RecentKeys } from '../util/recent-keys.js';

/** Why a new call was turned away before any routing. */
export type OverloadReason = 'source_rate' | 'calls_in_setup' | 'load';

export interface OverloadSettings {
  /** New INVITEs per second from one source address; 0 = no cap. */
  sourceRate: number;
  /** Calls being set up at once; 0 = no cap. */
  maxCallsInSetup: number;
  /** Sources tracked at most; the least recently seen is forgotten first. */
  maxSources: number;
}

/** The part of the load shedder the guard uses (LoadShedder). */
export interface LoadAdmission {
  admit(): boolean;
  noteTurnedAway(): void;
  /** About how long a datagram read now waited in our sockets' queues (ms). */
  readonly queueDelayMs?: number;
}

/** A retransmission of an INVITE turned away. */
export interface Repeat {
  reason: OverloadReason;
  /**
   * Sent before our last answer to it left: it waited in our queue while the
   * answer went out, and the caller, given that answer, stops retransmitting.
   */
  answered: boolean;
}

interface TurnedAway {
  reason: OverloadReason;
  /** When it was last answered (the clock's ms). */
  answeredAt: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * How long an INVITE turned away is remembered: 64 × T1, Timer B, the longest a
 * caller that never got the 503 retransmits it (RFC 3261 17.1.1.2).
 */
const REMEMBER_MS = 64 * 500;
/** INVITEs remembered at most; the oldest make room (memory stays bounded under a flood). */
const REMEMBER_MAX = 50_000;

/**
 * The first gate for a new INVITE, before any routing work: a cap on calls in
 * setup, a token bucket per source address (a burst of one second's worth), and
 * then our own load (LoadShedder), so a flooding source spends its own tokens
 * before it can crowd the other callers out of the admitted share. Only known
 * sources' INVITEs are put to the shedder: a stranger's gets its 403 whatever
 * the load, and is counted, like every INVITE turned away here, as load that
 * shedding calls does not relieve.
 * Memory stays bounded under a flood from many addresses: the table of sources
 * has a cap, and the least recently seen source makes room.
 */
export class OverloadGuard {
  /** Token buckets by source address, the least recently seen forgotten first. */
  private readonly buckets: LruMap<Bucket>;
  /** INVITEs turned away, by transaction key, with why and when (oldest first). */
  private readonly turnedAwayKeys: RecentKeys<TurnedAway>;

  constructor(
    private readonly settings: OverloadSettings,
    private readonly now: () => number,
    private readonly load?: LoadAdmission,
  ) {
    this.buckets = new LruMap(settings.maxSources);
    this.turnedAwayKeys = new RecentKeys(REMEMBER_MS, REMEMBER_MAX, now);
  }

  /**
   * undefined = go on; otherwise why the INVITE gets 503. `known` says whether
   * the source is a customer (or otherwise served); asked only when there is a
   * load shedder.
   */
  check(
    source: string,
    callsInSetup: number,
    known?: (source: string) => boolean,
    key?: string,
  ): OverloadReason | undefined {
    const reason = this.decide(source, callsInSetup, known);
    if (reason !== undefined && key !== undefined)
      this.turnedAwayKeys.set(key, { reason, answeredAt: this.now() });
    return reason;
  }

  /**
   * Why this INVITE (by its transaction key) was turned away, if it was: its
   * retransmissions get the same answer. The 503 is stateless, so without this
   * a retransmission the caller sent before our 503 reached it (past the
   * ceiling, INVITEs wait in our queue long enough for that) was a new INVITE
   * to us, and once the admitted share had grown back it was routed: a call
   * set up at a provider for a caller that had already taken the 503 and
   * ACKed it, answered into nothing, and held at the provider until its timers
   * ran out. Not counted again: it is the same call. `answered`: our answer to
   * it is already on its way, and this one needs none.
   */
  repeated(key: string): Repeat | undefined {
    const e = this.turnedAwayKeys.get(key);
    if (!e) return undefined;
    const now = this.now();
    // RFC 3261 8.2.7: a stateless answer is sent again for each retransmission,
    // so that a lost answer is repaired. One that left the caller before our
    // answer to it left us (it waited in our queue meanwhile: since the answer,
    // less time has passed than datagrams wait there) cannot be about a lost
    // answer. Past the ceiling, with the queue at hundreds of ms, answering
    // those again (and reading the ACK each answer brings back) filled the CPU
    // that shedding had freed, and the queue grew until shedding everything
    // could not drain it (BENCHMARKS.md, "A busy neighbour"). A lost answer is
    // answered at the caller's next retransmission, which leaves after it.
    const answered = now - e.answeredAt < (this.load?.queueDelayMs ?? 0);
    if (!answered) e.answeredAt = now;
    return { reason: e.reason, answered };
  }

  private decide(
    source: string,
    callsInSetup: number,
    known?: (source: string) => boolean,
  ): OverloadReason | undefined {
    const s = this.settings;
    if (s.maxCallsInSetup > 0 && callsInSetup >= s.maxCallsInSetup) {
      return this.turnedAway('calls_in_setup');
    }
    if (s.sourceRate <= 0) return this.byLoad(source, known);
    const now = this.now();
    let b = this.buckets.get(source);
    if (b) {
      b.tokens = Math.min(s.sourceRate, b.tokens + ((now - b.at) * s.sourceRate) / 1000);
      b.at = now;
    } else {
      b = { tokens: s.sourceRate, at: now };
      this.buckets.set(source, b);
    }
    if (b.tokens < 1) return this.turnedAway('source_rate');
    b.tokens -= 1;
    return this.byLoad(source, known);
  }

  private byLoad(source: string, known?: (source: string) => boolean): OverloadReason | undefined {
    if (!this.load) return undefined;
    if (known && !known(source)) {
      this.load.noteTurnedAway();
      return undefined;
    }
    return this.load.admit() ? undefined : 'load';
  }

  private turnedAway(reason: OverloadReason): OverloadReason {
    this.load?.noteTurnedAway();
    return reason;
  }

  /** Sources tracked now (bounded by maxSources). */
  get trackedSources(): number {
    return this.buckets.size;
  }

  /** INVITEs turned away and remembered now (bounded). */
  get rememberedTurnedAway(): number {
    return this.turnedAwayKeys.size;
  }
}
