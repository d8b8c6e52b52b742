import { readFileSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** A sample this busy means the loop never waited for I/O in it. */
const SATURATED = 0.995;
/**
 * What a new INVITE turned away cheaply (a stranger's 403, a 503 for its source's
 * rate or for the cap on calls in setup) costs against an admitted failover call:
 * three datagrams and a parse against about twenty datagrams (BENCHMARKS.md).
 */
const TURNED_AWAY_COST = 0.15;
/** Below this share of the load, the admitted calls are not what to shed. */
const MIN_CALL_SHARE = 0.5;
/**
 * Samples busier than this (and not saturated) measure the loop time a call
 * costs: lighter ones overstate it (fixed work per sample, fewer messages per
 * wake-up): a warm-up at 200 calls/s read 2-2.7 ms a call against 0.55-0.65
 * under load.
 */
const ESTIMATE_MIN_UTILIZATION = 0.5;
/** Fewer call-equivalents than this in a sample say too little about their cost (a cold process's turns are slow). */
const ESTIMATE_MIN_WORK = 30;
/** Weight of the newest sample in the cost estimate (about the last second counts). */
const ESTIMATE_WEIGHT = 0.3;
/**
 * Saturated, the admitted calls are cut to this share of the target's worth:
 * the rest of the loop drains the backlog that saturated it.
 */
const DRAIN = 0.9;
/** Saturated: the most a sample cuts (all it cuts without a cost estimate yet). */
const BLIND_CUT = 0.25;
/** Saturated with the share already at or under the estimate's (the backlog draining). */
const GENTLE_CUT = 0.05;

/**
 * A queue delay this many times proxy.shed_queue_delay_ms means callers are
 * close to their 500-ms retransmission (RFC 3261 17.1.1.2, T1): shedding starts
 * without waiting out the onset.
 */
const SEVERE_QUEUE = 4;
/**
 * ...but never later than this (ms): half of T1, so that a larger
 * proxy.shed_queue_delay_ms still cuts before callers and providers retransmit.
 */
const SEVERE_QUEUE_MS = 250;
/** With the queue drained, the most the share grows in one sample. */
const MAX_GROWTH = 1.25;
/** A severe queue still growing: the most a sample cuts towards the estimate (BLIND_CUT otherwise). */
const SEVERE_CUT = 0.5;
/**
 * A sample whose new calls brought this many times the work the loop does in a
 * sample, with the queue over the limit and the loop saturated, is a surge: cut
 * at once, without waiting out the onset or cutting step by step.
 */
const SURGE = 1.5;
/**
 * Of an admitted failover call's cost, the part still to come when its INVITE
 * has been read: the providers' answers, the ACKs, the caller's BYE.
 */
const LATER = 0.7;
/** A surge's backlog is worked off within this many samples (two: 200 ms, well inside T1). */
const SURGE_DRAIN_SAMPLES = 2;
/**
 * A severe queue raises the cost estimate only while the calls admitted in the
 * sample are worth at least this share of what the loop does in one.
 */
const BEHIND_MIN_ADMITTED = 0.5;
/** Samples less busy than this say little about the CPU time a busy loop gets. */
const CPU_GOT_MIN_UTILIZATION = 0.2;

type Elu = (a?: EventLoopUtilization, b?: EventLoopUtilization) => EventLoopUtilization;

/** How long new datagrams wait before they are read (the transport's queue probe). */
export interface QueueSignal {
  /** Sends the next probe. */
  probe(): void;
  /** The longest wait measured within maxAgeMs or still running (ms); undefined: no fresh reading. */
  delayMs(maxAgeMs: number): number | undefined;
}

interface SampleCounts {
  callShare: number;
  /** Call-equivalents: admitted calls, plus TURNED_AWAY_COST for each INVITE turned away. */
  work: number;
  /** New INVITEs the shedder admitted or shed. */
  decided: number;
  /** New INVITEs the shedder admitted. */
  admitted: number;
  /** New INVITEs shed, or turned away elsewhere. */
  turnedAway: number;
}

export interface LoadShedderSettings {
  /**
   * The event-loop utilization trunkroute is held at when more calls arrive
   * than it can serve; 0 = never shed. Below 1 so that the loop keeps idle
   * gaps in which the socket queue drains: at 1 the queue grows, every answer
   * waits in it, and callers and providers start retransmitting.
   */
  targetUtilization: number;
  /** How often the utilization is sampled and the admitted share adjusted (ms). */
  sampleMs: number;
  /**
   * How long the loop must stay over the target (wall time) before shedding
   * starts (ms): a shorter burst, a cold start's compiling or a major GC, waits
   * in the socket buffer and is served a moment later.
   */
  overloadedAfterMs: number;
  /**
   * With a queue signal: the wait in our sockets' queues (ms) that confirms an
   * overload. Under it, a busy loop is keeping up and nothing is cut; under half
   * of it, a shed share grows back. 0 or no signal: the loop's utilization alone.
   */
  queueDelayMs?: number;
}

/**
 * Admission of new calls by our own load, in the spirit of RFC 7339's loss-based
 * overload control, applied locally: trunkroute measures its own event-loop
 * utilization and admits the share of new INVITEs that keeps it at the target;
 * the rest get a stateless 503 with Retry-After (RFC 3261 21.5.4), which costs
 * about a sixth of what a routed failover call costs. Calls already admitted are never shed.
 *
 * Nothing is shed until the loop has been over the target (on the wall clock)
 * for overloadedAfterMs: a shorter burst (a cold start, a GC pause, the
 * scheduler) waits in the socket buffer. From then on the share follows the
 * utilization of the last two samples, capped by the main thread's CPU time:
 * above the target it is scaled by target / utilization (a call's cost is
 * about constant, so the admitted rate falls in proportion); below the target
 * it grows again, by at most a tenth plus one point per sample, until every
 * call is admitted. Growth is slow on purpose: each shed INVITE still costs its
 * datagrams, so an overshoot costs goodput twice.
 *
 * A loop that never idles (wall clock, whatever CPU time it got) does not say
 * by how much the load is over, and it stays saturated while the backlog that
 * saturated it drains, whatever is admitted meanwhile. So the shedder keeps an
 * estimate of the loop time a call costs, from the samples in which the loop
 * idled and was busy enough to tell (ESTIMATE_MIN_UTILIZATION); saturated, it
 * cuts towards the share that fills DRAIN of the target with calls (the rest
 * drains the backlog), by at most a quarter a sample, and only gently
 * (GENTLE_CUT) once the share is at or under it. Growth does not pass the share
 * that fills the target by more than a point a sample either. Without an
 * estimate (a process that saturates before it was ever busy) the cut is a
 * quarter a sample. Cutting by a quarter every saturated sample took the share
 * to 3 % at twice the ceiling while the backlog drained, then overshot again,
 * an oscillation of 1-2 s (BENCHMARKS.md, "Shedding through a long overload").
 *
 * The share is applied by a credit counter, not a coin toss: exactly that share
 * of the INVITEs in each sample is admitted, spread evenly.
 *
 * Given a queue signal (the transport's probes, QueueSignal), the wait in our
 * sockets' queues decides whether a busy loop is overloaded at all, and the
 * controller follows it instead (followQueue): the loop's reading alone shed
 * calls a loop at 97 % was keeping up with, and past the ceiling reacted only
 * once the answers to calls already admitted had waited long enough to be
 * retransmitted (docs/proxy.md, "The queue decides").
 *
 * Only calls the shedder admitted can be shed. When much of the load is INVITEs
 * turned away anyway (a flood from a stranger, or from a source over its rate),
 * the cut is taken from the calls' part of the load alone, and when that part
 * is under half, none is shed: cutting the customers' calls towards nothing
 * would not relieve a loop busy answering a flood.
 */
export class LoadShedder {
  private last: EventLoopUtilization;
  private share = 1;
  private credit = 0;
  private lastUtilization = 0;
  private previous?: number;
  private previousRaw?: number;
  private overFor = 0;
  /** How long the queue has been over proxy.shed_queue_delay_ms (ms). */
  private queuedFor = 0;
  private lastQueue?: number;
  /** Loop time (ms, CPU-capped) one admitted call costs; undefined until measured. */
  private costMs?: number;
  /** The share of its busy wall time the main thread had a core (last two busy samples). */
  private cpuGot = 1;
  private previousCpuGot = 1;
  private timer?: NodeJS.Timeout;
  // New INVITEs since the last sample: admitted, shed, and decided elsewhere.
  private admittedCount = 0;
  private shedCount = 0;
  private otherCount = 0;

  constructor(
    private readonly settings: LoadShedderSettings,
    private readonly elu: Elu = performance.eventLoopUtilization,
    private readonly cpuShare: () => number = mainThreadCpuShare(),
    private readonly queue?: QueueSignal,
  ) {
    this.last = elu();
  }

  start(): void {
    if (this.settings.targetUtilization <= 0 || this.timer) return;
    this.timer = setInterval(() => this.sample(), this.settings.sampleMs);
    this.timer.unref();
  }

  /** Takes one sample and adjusts the admitted share (the interval calls it; tests call it directly). */
  sample(): void {
    const now = this.elu();
    const raw = this.elu(now, this.last).utilization;
    this.last = now;
    // The loop's utilization is wall time: a turn during which the scheduler gave
    // our core to another process counts as busy. For the proportional step the
    // reading is capped by the CPU time the main thread really got, so that a
    // loop that idles now and then but is descheduled mid-turn on a shared
    // machine (the bench's two cores also run four SIPp processes, and two
    // workers share them) is not read as our own overload. A loop that never
    // idled is another matter, whatever the cause: its socket queue was never
    // empty and is growing, and if the machine cannot give us the CPU time, the
    // calls we cannot serve are better shed than retransmitted (measured: at
    // 800 calls/s on the bench the main thread got 75-99 % of a core while its
    // loop read 1.0 for nine seconds, and the capped reading never shed).
    const cpu = this.cpuShare();
    const u = Math.min(raw, cpu);
    this.lastUtilization = u;
    if (raw >= CPU_GOT_MIN_UTILIZATION) {
      const got = Math.min(1, cpu / raw);
      this.cpuGot = (got + this.previousCpuGot) / 2;
      this.previousCpuGot = got;
    }
    this.overFor =
      raw > this.settings.targetUtilization ? this.overFor + this.settings.sampleMs : 0;
    // The proportional step reads the last two samples together: one slow tick,
    // or the scheduler taking the core away mid-turn (counted as busy), must not
    // cut the share on its own.
    const level = this.previous === undefined ? u : (this.previous + u) / 2;
    const rawLevel = this.previousRaw === undefined ? raw : (this.previousRaw + raw) / 2;
    this.previous = u;
    this.previousRaw = raw;
    const counts = this.takeCounts();
    const target = this.settings.targetUtilization;
    if (target <= 0) return;
    if (raw < SATURATED && u >= ESTIMATE_MIN_UTILIZATION && counts.work >= ESTIMATE_MIN_WORK) {
      // The loop idled, so its busy time was this sample's own work, not a backlog's.
      const cost = (u * this.settings.sampleMs) / counts.work;
      this.costMs =
        this.costMs === undefined ? cost : this.costMs + ESTIMATE_WEIGHT * (cost - this.costMs);
    }
    // The queue, where it is measured, says whether a busy loop is behind
    // (docs/proxy.md, Overload); without a fresh reading the loop alone decides.
    const limit = this.settings.queueDelayMs ?? 0;
    const q = limit > 0 ? this.queue?.delayMs(this.freshMs(limit)) : undefined;
    if (q === undefined) this.followLoop(raw, u, level, rawLevel, counts);
    else this.followQueue(q, raw, level, counts);
    this.lastQueue = q;
    if (this.share < 0.001) this.share = 0;
    if (limit > 0) this.queue?.probe();
  }

  /**
   * By the loop's utilization alone (no queue reading): the controller the
   * queue probe refines.
   */
  private followLoop(
    raw: number,
    u: number,
    level: number,
    rawLevel: number,
    counts: SampleCounts,
  ): void {
    const target = this.settings.targetUtilization;
    const callShare = counts.callShare;
    // Nothing is shed until the loop has been over the target for
    // overloadedAfterMs: a shorter burst (a process that has just started and
    // is still compiling, a major GC) waits in the socket buffer and is served a
    // moment later.
    const overloaded = this.overFor >= this.settings.overloadedAfterMs;
    // The share of the load to take away: a call costs about constant loop time.
    let cut = 0;
    const saturated = overloaded && raw >= SATURATED;
    if (saturated) {
      // Never idle: the socket queue grows by an unknown amount, and within a
      // second or so it overflows into a retransmission storm.
      const fill = this.fillingShare(DRAIN * target, counts);
      if (fill === undefined) cut = BLIND_CUT;
      else if (callShare >= MIN_CALL_SHARE) {
        // In the spirit of RFC 7415's rate control: towards what the loop can carry.
        this.share =
          fill < this.share
            ? Math.max(fill, this.share * (1 - BLIND_CUT))
            : this.share * (1 - GENTLE_CUT);
      }
    } else if ((overloaded || this.share < 1) && level > target) {
      cut = 1 - target / level;
    }
    if (cut > 0) {
      // Taken from the admitted calls' part alone. Where INVITEs turned away
      // anyway are most of the load, the share is held: the flood is the
      // trouble (the source's rate the remedy), and a small cut of the load
      // taken from a small part would shed most calls on a noisy reading.
      if (callShare >= MIN_CALL_SHARE) this.share *= Math.max(0, 1 - cut / callShare);
    } else if (!saturated && this.share < 1 && rawLevel <= target) {
      // Grows only once the loop really idles again: between a capped reading
      // under the target and a wall-time one over it, the share is held.
      let grown = Math.min(1, this.share * Math.min(1.1, target / Math.max(level, 0.01)) + 0.01);
      // Up to the share that fills the target quickly, past it a point a sample.
      const fill = this.fillingShare(target, counts);
      if (fill !== undefined) grown = Math.min(grown, Math.max(this.share + 0.01, fill));
      this.share = grown;
    }
  }

  /**
   * By the wait in our sockets' queues. A loop read busy because the scheduler
   * took its core, or working at 97 % and keeping up, has no queue and is left
   * alone; a queue over the limit for two samples (a cold start's compiling or
   * a GC pause drains within one), or four times over it at once, is an
   * overload. Then the share is cut while the queue still grows, towards what
   * the loop can carry by the cost estimate, and held while it shrinks: the
   * backlog drains by itself, and cutting on until it has (the loop stays
   * saturated meanwhile) took the share to nothing and wasted the capacity
   * freed; past the severe mark the cuts are deeper (SEVERE_CUT, or BLIND_CUT
   * where the estimate sees room), since callers and providers are about to
   * retransmit. Once the queue is under half the limit, the share grows at
   * once to what the estimate says fits in the CPU time the loop gets, then by
   * a point a sample (with the room the loop has left while there is no
   * estimate). A surge (isSurge) is cut at once, below what fits by the backlog
   * it leaves; without an estimate the cuts go by the queue's growth, and a
   * severe queue growing at what the estimate says fits raises the estimate.
   */
  private followQueue(q: number, raw: number, level: number, counts: SampleCounts): void {
    const target = this.settings.targetUtilization;
    const limit = this.settings.queueDelayMs ?? 0;
    this.queuedFor = q >= limit ? this.queuedFor + this.settings.sampleMs : 0;
    const severe = q >= this.severeMs(limit);
    const surge = this.isSurge(q, raw, counts);
    const overloaded =
      raw > target &&
      q >= limit &&
      (this.queuedFor >= 2 * this.settings.sampleMs || severe || surge);
    if (overloaded) {
      if (counts.callShare < MIN_CALL_SHARE) return;
      if (surge) {
        this.share = Math.min(this.share, this.surgeShare(q, counts));
        return;
      }
      // A queue that shrinks drains by itself: cutting on while it does (the
      // loop stays saturated meanwhile) took the share towards nothing.
      if (this.lastQueue !== undefined && q < this.lastQueue) return;
      // What the loop carries with the CPU time it gets (over two samples):
      // workers sharing the cores with other busy processes get part of one.
      const fill = this.fillingShare(DRAIN * Math.min(target, level), counts);
      // A severe queue is a few samples from retransmissions: cut deeper.
      if (fill !== undefined && fill < this.share)
        this.share = Math.max(fill, this.share * (1 - (severe ? SEVERE_CUT : BLIND_CUT)));
      // Without an estimate, by how fast the queue grows: a saturated loop
      // whose queue grew by g ms in a sample of s ms was handed (s + g) / s
      // times the work it did, so the share is cut by s / (s + g), at least a
      // quarter. A quarter a sample alone let a surge from light load to three
      // times the ceiling build a queue of 700 ms (BENCHMARKS.md, "A surge cut
      // at once").
      else if (fill === undefined) this.share *= this.blindCut(q);
      // With an estimate that says there is room while the queue grows
      // (retransmissions in it, or the estimate behind), a fixed cut: gentle
      // while the queue is short, a quarter once it is severe. A
      // queue still growing past the severe mark is a few samples from callers'
      // and providers' retransmissions, which add load faster than gentle cuts
      // take it away: with the machine's other core busy, 5 % a sample let the
      // queue grow from 275 ms to 1.5 s (BENCHMARKS.md, "A busy neighbour").
      else {
        this.share *= 1 - (severe ? BLIND_CUT : GENTLE_CUT);
        // A severe queue still growing at what the estimate says fits: the
        // estimate is behind. It is refreshed only when the loop idles, so in
        // a long overload on a CPU that has slowed down it kept the fast
        // minutes' cost and the queue stayed at 200-300 ms (BENCHMARKS.md, "A
        // surge cut at once"). The loop was handed (s + g) / s times what it
        // did: a call costs at least that much more, a quarter more at most a
        // sample; once the loop idles again the measured cost takes over. Only
        // while the calls admitted are a good part of the load: after a surge
        // the queue grows with the work of the calls admitted before the cut.
        const costMs = this.costMs ?? 0; // set: fill came from it
        const admittedMs = counts.admitted * costMs;
        if (severe && admittedMs >= BEHIND_MIN_ADMITTED * target * this.settings.sampleMs)
          this.costMs = costMs * this.costBehind(q);
      }
    } else if (q < limit / 2 && this.share < 1) {
      // The estimate is CPU time a call: what fills the target is what fits in
      // the CPU time a busy loop gets (on a machine whose other processes take
      // part of our core, growing to the full target's worth at once overshot
      // to two or three times what the loop carried, and the queue built again).
      const fill = this.fillingShare(target * this.cpuGot, counts);
      // With an estimate: at once to the share it says the loop carries, and
      // past it a point a sample. The room the loop has just after a drain is
      // no measure: the calls admitted now bring most of their work one or more
      // queue waits later, so growing by that room went on to twice what the
      // loop carried, and the queue built again to 300-400 ms, cycle after
      // cycle (BENCHMARKS.md, "A slow morning"). Without an estimate, in
      // proportion to the room (at most a quarter more a sample), at least a point.
      const next = fill ?? this.share * Math.min(MAX_GROWTH, target / Math.max(level, 0.1)) + 0.01;
      this.share = Math.min(1, Math.max(this.share + 0.01, next));
    }
  }

  /**
   * Whether the last sample was a surge (SURGE): the loop saturated, the queue
   * over the limit, and the new INVITEs read in the sample worth well over what
   * the loop does in one by the cost estimate. The onset's second sample and
   * step-by-step cuts are for a loop that is merely full; a surge of two or
   * three times the ceiling admitted in full for those samples put a second of
   * work in the queue, whose answers then waited past the 500-ms T1 and came
   * back as retransmissions (BENCHMARKS.md, "A surge cut at once").
   */
  private isSurge(q: number, raw: number, counts: SampleCounts): boolean {
    if (this.costMs === undefined || raw < SATURATED) return false;
    const limit = this.settings.queueDelayMs ?? 0;
    const capacityMs = this.settings.targetUtilization * this.settings.sampleMs;
    return q >= limit && counts.work * this.costMs >= SURGE * capacityMs;
  }

  /**
   * The share a surge is cut to: what fills DRAIN of the target, less the
   * backlog to be worked off within SURGE_DRAIN_SAMPLES: the queue past the
   * limit, and the part of the last sample's calls beyond what the loop did in
   * it that is still to come (LATER). Often nothing for a sample or two; the
   * share is then held while the queue drains and grows back under half the
   * limit, as after any overload.
   */
  private surgeShare(q: number, counts: SampleCounts): number {
    const costMs = this.costMs ?? 0;
    const sampleMs = this.settings.sampleMs;
    const target = this.settings.targetUtilization;
    const limit = this.settings.queueDelayMs ?? 0;
    const excessMs = Math.max(0, counts.work * costMs - target * sampleMs);
    const backlogMs = q - limit + LATER * excessMs;
    const room = DRAIN * target - backlogMs / (SURGE_DRAIN_SAMPLES * sampleMs);
    return this.fillingShare(Math.max(0, room), counts) ?? this.share;
  }

  /**
   * How many times the work it did a saturated loop was handed in the last
   * sample, by its queue's growth: (s + g) / s for g ms of growth in s ms.
   */
  private handed(q: number): number {
    const sampleMs = this.settings.sampleMs;
    return (sampleMs + Math.max(0, q - (this.lastQueue ?? 0))) / sampleMs;
  }

  /** The factor a saturated loop's share is cut by without a cost estimate: by the queue's growth, at least BLIND_CUT. */
  private blindCut(q: number): number {
    return Math.min(1 - BLIND_CUT, 1 / this.handed(q));
  }

  /** How much dearer a call is than estimated, by the queue's growth: at most BLIND_CUT more a sample. */
  private costBehind(q: number): number {
    return Math.min(1 + BLIND_CUT, this.handed(q));
  }

  /** A reading older than this is no reading: its probe was lost, or is still queued. */
  private freshMs(limit: number): number {
    return Math.max(3 * this.settings.sampleMs, this.severeMs(limit));
  }

  /** A queue this long is an overload at once (SEVERE_QUEUE, SEVERE_QUEUE_MS). */
  private severeMs(limit: number): number {
    return Math.max(limit, Math.min(SEVERE_QUEUE * limit, SEVERE_QUEUE_MS));
  }

  /** Whether the next new INVITE is admitted. */
  admit(): boolean {
    if (this.share >= 1) {
      this.admittedCount++;
      return true;
    }
    this.credit += this.share;
    if (this.credit < 1) {
      this.shedCount++;
      return false;
    }
    this.credit -= 1;
    this.admittedCount++;
    return true;
  }

  /**
   * A new INVITE that is not the shedder's to decide: from a source that is no
   * customer (it gets its 403 whatever the load), or turned away by a cap first.
   * Its cost is load that shedding calls does not relieve.
   */
  noteTurnedAway(): void {
    this.otherCount++;
  }

  /**
   * The last sample's new INVITEs, and the counts start again: the admitted
   * calls' share of the load they made (1 when there were none), that load in
   * call-equivalents, and how many the shedder decided.
   */
  private takeCounts(): SampleCounts {
    // Shed INVITEs count with the calls: they are the calls' own overflow, so
    // with nothing else in the mix the share is 1 and the cut is as before.
    const calls = this.admittedCount + TURNED_AWAY_COST * this.shedCount;
    const work = calls + TURNED_AWAY_COST * this.otherCount;
    const counts: SampleCounts = {
      callShare: work > 0 ? calls / work : 1,
      work,
      decided: this.admittedCount + this.shedCount,
      admitted: this.admittedCount,
      turnedAway: this.shedCount + this.otherCount,
    };
    this.admittedCount = this.shedCount = this.otherCount = 0;
    return counts;
  }

  /**
   * The share of the INVITEs decided in the last sample whose calls would have
   * kept the loop at this utilization, the INVITEs turned away costing theirs;
   * undefined without a cost estimate or without INVITEs to decide.
   */
  private fillingShare(utilization: number, counts: SampleCounts): number | undefined {
    if (this.costMs === undefined || counts.decided === 0) return undefined;
    const room = (utilization * this.settings.sampleMs) / this.costMs;
    const calls = room - TURNED_AWAY_COST * counts.turnedAway;
    return Math.min(1, Math.max(0, calls / counts.decided));
  }

  /** The share of new INVITEs admitted now (1: no shedding). */
  get admittedShare(): number {
    return this.share;
  }

  /**
   * The wait in our sockets' queues at the last sample (ms; 0 without a
   * reading): about how long a datagram read now waited before its reading.
   */
  get queueDelayMs(): number {
    return this.lastQueue ?? 0;
  }

  /** The event-loop utilization of the last sample, capped by the main thread's CPU time. */
  get utilization(): number {
    return this.lastUtilization;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * CPU time of the calling (main) thread per wall time since the last call.
 * Linux's /proc/thread-self/schedstat gives it in nanoseconds (first field);
 * elsewhere the process's CPU time stands in, which V8's helper threads make
 * read somewhat high, never low, while the main thread runs. The thread's own
 * time matters where several processes share the cores: with two workers, a
 * worker whose helper threads (GC, compiler) ran while its loop was descheduled
 * read as busy and shed calls it could carry.
 */
export function mainThreadCpuShare(readCpuMs: () => number = mainThreadCpuMs): () => number {
  let cpu = readCpuMs();
  let at = performance.now();
  return () => {
    const nextCpu = readCpuMs();
    const nextAt = performance.now();
    const wall = nextAt - at;
    const used = nextCpu - cpu;
    cpu = nextCpu;
    at = nextAt;
    return wall > 0 ? used / wall : 0;
  };
}

const SCHEDSTAT = '/proc/thread-self/schedstat';

/** CPU time of the calling thread in ms (of the process where Linux's count is not there). */
export const mainThreadCpuMs: () => number = (() => {
  const thread = (): number => Number(readFileSync(SCHEDSTAT, 'latin1').split(' ', 1)[0]) / 1e6;
  try {
    if (Number.isFinite(thread())) return thread;
  } catch {
    // Not Linux, or /proc not mounted: the process's time below.
  }
  return () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
})();
