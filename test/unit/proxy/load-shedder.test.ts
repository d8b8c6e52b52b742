import { describe, expect, it } from 'vitest';
import {
  LoadShedder,
  mainThreadCpuMs,
  mainThreadCpuShare,
} from '../../../src/proxy/load-shedder.js';
import { fakeElu } from '../health/fake-elu.js';

const SAMPLE_MS = 100;
const ONSET_MS = 300;
/** The process got all the CPU time it asked for: the loop's reading stands. */
const ALL_CPU = () => 1;

/** Offers n INVITEs and says how many were admitted. */
function offer(s: LoadShedder, n: number): number {
  let admitted = 0;
  for (let i = 0; i < n; i++) if (s.admit()) admitted++;
  return admitted;
}

/** A shedder at target 0.9 on a fake loop, the process getting all its CPU time. */
function shedder(f: ReturnType<typeof fakeElu>): LoadShedder {
  return new LoadShedder(
    { targetUtilization: 0.9, sampleMs: SAMPLE_MS, overloadedAfterMs: ONSET_MS },
    f.elu,
    ALL_CPU,
  );
}

describe('LoadShedder', () => {
  it('admits every INVITE while the loop stays under the target', () => {
    const f = fakeElu();
    const s = shedder(f);
    for (let i = 0; i < 20; i++) {
      f.spend(85, 15);
      s.sample();
      expect(offer(s, 100)).toBe(100);
    }
    expect(s.admittedShare).toBe(1);
  });

  it('sheds nothing until the loop has been over the target for 300 ms; saturated, it then cuts by a quarter a sample', () => {
    const f = fakeElu();
    const s = shedder(f);
    // Over the target for 200 ms at a time only (a GC, a cold start):
    // the socket buffer absorbs it.
    for (const busy of [95, 100, 50, 100, 100, 80]) {
      f.spend(busy, 100 - busy);
      s.sample();
      expect(s.admittedShare).toBe(1);
    }
    for (let i = 0; i < 2; i++) {
      f.spend(100, 0);
      s.sample();
      expect(s.admittedShare).toBe(1);
    }
    f.spend(100, 0);
    s.sample();
    expect(s.admittedShare).toBeCloseTo(0.75);
    f.spend(100, 0);
    s.sample();
    expect(s.admittedShare).toBeCloseTo(0.5625);
  });

  it('once shedding, holds the loop at the target: admits target / utilization, spread evenly', () => {
    const f = fakeElu();
    const s = shedder(f);
    for (let i = 0; i < 3; i++) {
      f.spend(100, 0);
      s.sample();
    }
    expect(s.admittedShare).toBeCloseTo(0.75);
    f.spend(95, 5);
    s.sample();
    expect(s.utilization).toBeCloseTo(0.95);
    expect(s.admittedShare).toBeCloseTo(0.75 * (0.9 / 0.975));
    f.spend(95, 5);
    s.sample();
    const share = 0.75 * (0.9 / 0.975) * (0.9 / 0.95);
    expect(s.admittedShare).toBeCloseTo(share);
    // Exactly that share, and never two sheds in a row at a share above one half.
    const decisions = Array.from({ length: 1000 }, () => s.admit());
    expect(Math.abs(decisions.filter(Boolean).length - 1000 * share)).toBeLessThanOrEqual(1);
    for (let i = 1; i < decisions.length; i++) expect(decisions[i - 1] || decisions[i]).toBe(true);
  });

  it('grows back by at most a tenth (plus 1 point) a sample once under the target, then admits all', () => {
    const f = fakeElu();
    const s = shedder(f);
    for (let i = 0; i < 60; i++) {
      f.spend(100, 0);
      s.sample();
    }
    expect(s.admittedShare).toBe(0);
    expect(offer(s, 100)).toBe(0);
    const shares: number[] = [];
    for (let i = 0; i < 60 && s.admittedShare < 1; i++) {
      f.spend(10, 90);
      s.sample();
      shares.push(s.admittedShare);
    }
    expect(shares[0]).toBeCloseTo(0.01);
    for (let i = 1; i < shares.length; i++) {
      expect(shares[i]).toBeGreaterThan(shares[i - 1]);
      expect(shares[i]).toBeLessThanOrEqual(Math.min(1, shares[i - 1] * 1.1 + 0.01) + 1e-9);
    }
    expect(s.admittedShare).toBe(1);
    expect(offer(s, 100)).toBe(100);
  });

  it('holds a model server offered 1.5 × its capacity near the target, admitting what the target leaves room for', () => {
    // A call costs 1 ms of loop time, a shed INVITE 0.1 ms; 1.5 calls arrive per ms.
    const f = fakeElu();
    const target = 0.9;
    const s = new LoadShedder(
      { targetUtilization: target, sampleMs: SAMPLE_MS, overloadedAfterMs: ONSET_MS },
      f.elu,
      ALL_CPU,
    );
    const offered = 1.5 * SAMPLE_MS;
    const late: Array<{ u: number; admitted: number }> = [];
    let backlogMs = 0;
    for (let i = 0; i < 200; i++) {
      const admitted = offer(s, offered);
      const work = backlogMs + admitted * 1 + (offered - admitted) * 0.1;
      const busy = Math.min(SAMPLE_MS, work);
      backlogMs = work - busy;
      f.spend(busy, SAMPLE_MS - busy);
      s.sample();
      if (i >= 100) late.push({ u: busy / SAMPLE_MS, admitted });
    }
    // The loop keeps idle time (the queue drains) and goodput is what the target allows:
    // admitted × 1 + (150 − admitted) × 0.1 = 90 → 83.3 calls per sample.
    const meanU = late.reduce((a, x) => a + x.u, 0) / late.length;
    const meanAdmitted = late.reduce((a, x) => a + x.admitted, 0) / late.length;
    expect(meanU).toBeGreaterThan(0.85);
    expect(meanU).toBeLessThan(0.95);
    expect(Math.max(...late.map((x) => x.u))).toBeLessThan(1);
    expect(meanAdmitted).toBeGreaterThan(80);
    expect(meanAdmitted).toBeLessThan(87);
  });

  it('with a cost estimate, cuts a saturated loop to the share that fills the target, not by a quarter every sample while the backlog drains', () => {
    const f = fakeElu();
    const s = shedder(f);
    // 80 calls a sample keep the loop 80 % busy: a call costs 1 ms of loop time.
    for (let i = 0; i < 5; i++) {
      expect(offer(s, 80)).toBe(80);
      f.spend(80, 20);
      s.sample();
    }
    expect(s.admittedShare).toBe(1);
    // 200 a sample, and the loop never idles (the backlog grows, then drains).
    const saturated = (): number => {
      const admitted = offer(s, 200);
      f.spend(100, 0);
      s.sample();
      return admitted;
    };
    saturated();
    saturated();
    expect(s.admittedShare).toBe(1);
    // Onset: 0.9 of the target's 90 ms holds 81 calls of 200 (0.405), but no sample
    // cuts more than a quarter.
    saturated();
    expect(s.admittedShare).toBeCloseTo(0.75);
    expect(saturated()).toBe(150);
    expect(s.admittedShare).toBeCloseTo(0.5625);
    saturated();
    saturated();
    saturated();
    // Where it stops: admitted + 0.15 × shed = 81 with 200 offered, 0.3 admitted.
    const fill = s.admittedShare;
    expect(fill).toBeGreaterThan(0.29);
    expect(fill).toBeLessThan(0.31);
    // Still saturated (the backlog draining): gentle cuts only, where a quarter a
    // sample would be down to 0.75 ** 10 = 6 % by now.
    for (let i = 0; i < 5; i++) saturated();
    expect(s.admittedShare).toBeGreaterThanOrEqual(fill * 0.95 ** 5 - 0.01);
    expect(s.admittedShare).toBeLessThanOrEqual(fill);
  });

  it('carries a model server through 2.5 × its capacity without cutting it towards nothing, and keeps it under saturation after', () => {
    // A call costs 1 ms of loop time, a shed INVITE 0.1 ms; the work not done in a
    // sample waits for the next one. First 60 calls a sample, then 250.
    const f = fakeElu();
    const s = shedder(f);
    let backlogMs = 0;
    const admittedAfterOnset: number[] = [];
    const late: Array<{ u: number; admitted: number }> = [];
    for (let i = 0; i < 250; i++) {
      const offered = i < 50 ? 60 : 250;
      const admitted = offer(s, offered);
      const work = backlogMs + admitted + (offered - admitted) * 0.1;
      const busy = Math.min(SAMPLE_MS, work);
      backlogMs = work - busy;
      f.spend(busy, SAMPLE_MS - busy);
      s.sample();
      if (i >= 53) admittedAfterOnset.push(admitted);
      if (i >= 150) late.push({ u: busy / SAMPLE_MS, admitted });
    }
    // What fills the target: admitted + 0.1 × (250 − admitted) = 90 → 72 calls a sample.
    // Cutting by a quarter every saturated sample took this to 3 calls a sample.
    expect(Math.min(...admittedAfterOnset)).toBeGreaterThan(25);
    const meanAdmitted = late.reduce((a, x) => a + x.admitted, 0) / late.length;
    expect(meanAdmitted).toBeGreaterThan(65);
    expect(meanAdmitted).toBeLessThan(80);
    expect(Math.max(...late.map((x) => x.u))).toBeLessThan(1);
  });

  it('does not read being descheduled as overload while the loop still idles; a loop that never idles is overload whatever the cause', () => {
    const f = fakeElu();
    let cpu = 0.4;
    const s = new LoadShedder(
      { targetUtilization: 0.9, sampleMs: SAMPLE_MS, overloadedAfterMs: ONSET_MS },
      f.elu,
      () => cpu,
    );
    // Busy 98 % of the wall time, but on CPU only 40 %: the scheduler's doing.
    for (let i = 0; i < 10; i++) {
      f.spend(98, 2);
      s.sample();
    }
    expect(s.utilization).toBeCloseTo(0.4);
    expect(s.admittedShare).toBe(1);
    // Over the target on the wall clock for a second now; the first sample with
    // no idle moment at all (the socket queue never emptied) sheds, although
    // the process got only part of a core.
    f.spend(100, 0);
    s.sample();
    expect(s.admittedShare).toBeCloseTo(0.75);
    // Idling a little again but still over the target on the wall clock: the
    // capped reading says no more cut, the wall-time one says no growth yet.
    for (let i = 0; i < 5; i++) {
      f.spend(95, 5);
      s.sample();
      expect(s.admittedShare).toBeCloseTo(0.75);
    }
    // Really on CPU all the time: the proportional step (over two samples) cuts.
    cpu = 1.1;
    f.spend(95, 5);
    s.sample();
    f.spend(95, 5);
    s.sample();
    expect(s.admittedShare).toBeCloseTo(0.75 * (0.9 / 0.95));
  });

  it('sheds no customer call when the loop is busy turning away a flood of INVITEs that are not its to decide', () => {
    const f = fakeElu();
    const s = shedder(f);
    for (let i = 0; i < 10; i++) {
      // 2 customer calls and 500 strangers' INVITEs (403) a sample: 2 / (2 + 75) of the load.
      for (let n = 0; n < 500; n++) s.noteTurnedAway();
      expect(offer(s, 2)).toBe(2);
      f.spend(100, 0);
      s.sample();
    }
    expect(s.admittedShare).toBe(1);
    // Still held when the calls are a little under half the load: 40 calls, 400 × 0.15.
    for (let i = 0; i < 5; i++) {
      for (let n = 0; n < 400; n++) s.noteTurnedAway();
      expect(offer(s, 40)).toBe(40);
      f.spend(100, 0);
      s.sample();
    }
    expect(s.admittedShare).toBe(1);
  });

  it('takes the cut from the calls part of the load when turned-away INVITEs are part of it', () => {
    const f = fakeElu();
    const s = shedder(f);
    const sample = () => {
      for (let n = 0; n < 100; n++) s.noteTurnedAway();
      offer(s, 85);
      f.spend(100, 0);
      s.sample();
    };
    for (let i = 0; i < 3; i++) sample();
    // Calls are 85 / (85 + 15) of the load; a quarter of the load is a cut of
    // 0.25 / 0.85 of the calls.
    expect(s.admittedShare).toBeCloseTo(1 - 0.25 / 0.85);
    // Once shedding, the shed INVITEs count with the calls (85 offered, fewer admitted).
    const share = s.admittedShare;
    for (let n = 0; n < 100; n++) s.noteTurnedAway();
    const admitted = offer(s, 85);
    f.spend(95, 5);
    s.sample();
    const calls = admitted + 0.15 * (85 - admitted);
    const callShare = calls / (calls + 15);
    const level = (1 + 0.95) / 2;
    expect(s.admittedShare).toBeCloseTo(share * (1 - (1 - 0.9 / level) / callShare));
  });

  it("reads the CPU time the thread got per wall time, from the main thread's own clock", async () => {
    let ms = 0;
    const share = mainThreadCpuShare(() => ms);
    await new Promise((r) => setTimeout(r, 50));
    // 20 ms of CPU in at least 49 ms of wall time (a timer may fire a fraction
    // of a millisecond early by performance.now()).
    ms = 20;
    const read = share();
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThanOrEqual(20 / 49);
    // The default clock counts CPU time: spinning here for 30 ms of it moves
    // the process's CPU time by at least as much (other threads of the process,
    // such as other test files' workers, only add to the latter).
    const before = mainThreadCpuMs();
    const start = process.cpuUsage();
    const wallStart = Date.now();
    while (mainThreadCpuMs() - before < 30 && Date.now() - wallStart < 10_000);
    const threadMs = mainThreadCpuMs() - before;
    const u = process.cpuUsage(start);
    expect(threadMs).toBeGreaterThanOrEqual(30);
    // getrusage's user and system times are the scheduler's runtime split by
    // tick samples and kept monotonic, so they can trail the thread's exact
    // runtime by up to a tick (10 ms at HZ=100): a fresh CI machine read 29.5
    // against 29.9 with a 1 ms allowance.
    expect((u.user + u.system) / 1000).toBeGreaterThanOrEqual(threadMs - 10);
  });

  it('target 0 never sheds', () => {
    const f = fakeElu();
    const s = new LoadShedder(
      { targetUtilization: 0, sampleMs: SAMPLE_MS, overloadedAfterMs: ONSET_MS },
      f.elu,
      ALL_CPU,
    );
    f.spend(100, 0);
    s.sample();
    expect(offer(s, 10)).toBe(10);
  });
});

/** A queue signal the test sets: the delay the next sample reads (undefined: no fresh reading). */
function fakeQueue() {
  let delay: number | undefined = 0;
  let probes = 0;
  return {
    signal: {
      probe: () => {
        probes++;
      },
      delayMs: () => delay,
    },
    set(ms: number | undefined) {
      delay = ms;
    },
    get probes() {
      return probes;
    },
  };
}

/**
 * Target 0.9, a queue limit of 50 ms by default, the main thread's CPU time per
 * wall time from `cpu` (by default all it asked for); its fake loop and queue.
 */
function queueShedder(queueDelayMs = 50, cpu: () => number = ALL_CPU) {
  const f = fakeElu();
  const q = fakeQueue();
  const s = new LoadShedder(
    {
      targetUtilization: 0.9,
      sampleMs: SAMPLE_MS,
      overloadedAfterMs: ONSET_MS,
      queueDelayMs,
    },
    f.elu,
    cpu,
    q.signal,
  );
  return { f, q, s };
}

describe('LoadShedder with a queue signal', () => {
  /** One sample: n INVITEs offered, the loop busy for busyMs of 100, the queue at delayMs. */
  function step(
    s: LoadShedder,
    f: ReturnType<typeof fakeElu>,
    q: ReturnType<typeof fakeQueue>,
    n: number,
    busyMs: number,
    delayMs: number | undefined,
  ): number {
    const admitted = offer(s, n);
    f.spend(busyMs, 100 - busyMs);
    q.set(delayMs);
    s.sample();
    return admitted;
  }

  it('sheds nothing while the queue stays short, however busy the loop reads, and probes once a sample', () => {
    const { f, q, s } = queueShedder();
    // A second at 100 % on the wall clock (descheduled, or working flat out and
    // keeping up): the loop-alone controller would have cut by now.
    for (let i = 0; i < 10; i++) expect(step(s, f, q, 100, 100, 20)).toBe(100);
    expect(s.admittedShare).toBe(1);
    expect(q.probes).toBe(10);
  });

  it('a queue over the limit for one sample (a cold start, a GC pause) is waited out; for two, it is an overload', () => {
    const { f, q, s } = queueShedder();
    step(s, f, q, 100, 100, 80);
    expect(s.admittedShare).toBe(1);
    step(s, f, q, 100, 100, 10);
    expect(s.admittedShare).toBe(1);
    step(s, f, q, 100, 100, 80);
    expect(s.admittedShare).toBe(1);
    step(s, f, q, 100, 100, 90);
    // No cost estimate yet (never busy enough while idling): a quarter off.
    expect(s.admittedShare).toBeCloseTo(0.75);
  });

  // Four times the limit, but never later than 250 ms (half of T1): before
  // callers and providers retransmit, whatever the limit.
  it.each([
    { limit: 50, severe: 200 },
    { limit: 150, severe: 250 },
  ])(
    'with a limit of $limit ms, a queue of $severe ms is an overload at once, before the onset',
    ({ limit, severe }) => {
      const { f, q, s } = queueShedder(limit);
      step(s, f, q, 100, 100, severe - 10);
      expect(s.admittedShare).toBe(1);
      // Under the limit: the onset starts again.
      step(s, f, q, 100, 100, limit / 2);
      expect(s.admittedShare).toBe(1);
      // No cost estimate: cut by how fast the queue grew, at least a quarter.
      step(s, f, q, 100, 100, severe);
      expect(s.admittedShare).toBeCloseTo(100 / (100 + severe - limit / 2));
    },
  );

  it('without a cost estimate, cuts by how fast the queue grows: a loop handed three times its work keeps a third', () => {
    const { f, q, s } = queueShedder();
    step(s, f, q, 300, 100, 60);
    expect(s.admittedShare).toBe(1);
    // Grew by 200 ms in a 100-ms sample: handed three times what it did.
    step(s, f, q, 300, 100, 260);
    expect(s.admittedShare).toBeCloseTo(1 / 3);
    // Growing slowly: a quarter off all the same.
    step(s, f, q, 300, 100, 270);
    expect(s.admittedShare).toBeCloseTo(0.25);
  });

  it('a surge is cut at once, below what fits, by the backlog it left; a sample merely over the limit is waited out', () => {
    // A call costs 0.8 ms of loop time.
    const a = queueShedder();
    for (let i = 0; i < 5; i++) step(a.s, a.f, a.q, 100, 80, 2);
    // 150 calls (120 ms of work, under 1.5 times the 90 ms the loop does in a
    // sample) and the queue over the limit once: waited out as before.
    step(a.s, a.f, a.q, 150, 100, 80);
    expect(a.s.admittedShare).toBe(1);

    const b = queueShedder();
    for (let i = 0; i < 5; i++) step(b.s, b.f, b.q, 100, 80, 2);
    // 200 calls (160 ms of work), the queue at 60 ms: a surge. What fills 0.9
    // of the target (81 ms) less the backlog over two samples: 10 ms of queue
    // past the limit and 0.7 of the 70 ms beyond what the loop did, to come.
    step(b.s, b.f, b.q, 200, 100, 60);
    const fits = (81 - (10 + 0.7 * 70) / 2) / 0.8 / 200;
    expect(b.s.admittedShare).toBeCloseTo(fits);
    expect(b.s.admittedShare).toBeLessThan(81 / 0.8 / 200);

    // Five times what fits, the queue already long: nothing admitted until it
    // drains, then at once what fits.
    const c = queueShedder();
    for (let i = 0; i < 5; i++) step(c.s, c.f, c.q, 100, 80, 2);
    step(c.s, c.f, c.q, 500, 100, 150);
    expect(c.s.admittedShare).toBe(0);
    expect(step(c.s, c.f, c.q, 500, 100, 120)).toBe(0);
    expect(step(c.s, c.f, c.q, 500, 60, 20)).toBe(0);
    // 0.9 × 100 / 0.8 = 112.5 call-equivalents fit a sample, less 0.15 for
    // each of the 500 INVITEs shed in it.
    expect(c.s.admittedShare).toBeCloseTo((112.5 - 0.15 * 500) / 500, 3);
  });

  it('tells the wait of the last sample for the 100 Trying timer, 0 without a reading', () => {
    const { f, q, s } = queueShedder();
    expect(s.queueDelayMs).toBe(0);
    step(s, f, q, 10, 20, 35);
    expect(s.queueDelayMs).toBe(35);
    step(s, f, q, 10, 20, undefined);
    expect(s.queueDelayMs).toBe(0);
  });

  it('a long queue with an idle loop is not our overload: nothing is cut', () => {
    const { f, q, s } = queueShedder();
    for (let i = 0; i < 5; i++) step(s, f, q, 100, 50, 300);
    expect(s.admittedShare).toBe(1);
  });

  it('cuts while the queue grows, holds while it drains, and grows back once it has drained', () => {
    const { f, q, s } = queueShedder();
    // 100 calls a sample at 80 % busy: a call costs 0.8 ms of loop time.
    for (let i = 0; i < 5; i++) step(s, f, q, 100, 80, 2);
    // 160 a sample (128 ms of work, short of a surge): the queue grows.
    step(s, f, q, 160, 100, 60);
    expect(s.admittedShare).toBe(1);
    step(s, f, q, 160, 100, 120);
    // Towards the share that fills 0.9 of the target: 0.81 × 100 / 0.8 = 101 call
    // equivalents of 160, and no more than a quarter off in one sample.
    expect(s.admittedShare).toBeCloseTo(0.75);
    step(s, f, q, 160, 100, 150);
    const cut = s.admittedShare;
    expect(cut).toBeLessThan(0.75);
    // Draining (shorter each sample, still over the limit and the loop saturated):
    // held, not cut on towards nothing.
    for (const d of [140, 120, 90, 60]) {
      step(s, f, q, 160, 100, d);
      expect(s.admittedShare).toBe(cut);
    }
    // Between half the limit and the limit: held.
    step(s, f, q, 160, 95, 30);
    expect(s.admittedShare).toBe(cut);
    // Drained: back up, at once to what the loop carries by the estimate.
    step(s, f, q, 160, 80, 5);
    expect(s.admittedShare).toBeGreaterThan(cut);
    // Offered what it carries again: every call taken within a few samples.
    for (let i = 0; i < 20; i++) step(s, f, q, 100, 80, 2);
    expect(s.admittedShare).toBe(1);
  });

  it('a severe queue that still grows is cut by up to half towards the estimate, and by a quarter where the estimate says there is room', () => {
    const { f, q, s } = queueShedder();
    // A call costs 0.8 ms of loop time.
    for (let i = 0; i < 5; i++) step(s, f, q, 100, 80, 2);
    // Somewhat more than fits, the queue at once past 200 ms but no surge (a
    // loop slowed down, or answers that came back late): cut to what fits,
    // 101 of 160 call-equivalents.
    step(s, f, q, 160, 100, 250);
    expect(s.admittedShare).toBeCloseTo(81 / 0.8 / 160);
    // Over it again and growing with more offered: towards what fits, by at
    // most half.
    const before = s.admittedShare;
    step(s, f, q, 240, 100, 300);
    expect(s.admittedShare).toBeLessThan(before);
    expect(s.admittedShare).toBeGreaterThanOrEqual(before * 0.5);

    // What the estimate says fits, yet the queue grows (retransmissions, or a
    // call dearer than estimated): gently while it is short...
    const b = queueShedder();
    for (let i = 0; i < 5; i++) step(b.s, b.f, b.q, 100, 80, 2);
    step(b.s, b.f, b.q, 100, 100, 60);
    step(b.s, b.f, b.q, 100, 100, 120);
    expect(b.s.admittedShare).toBeCloseTo(0.95);
    // ...and a quarter a sample once it is severe and still growing.
    step(b.s, b.f, b.q, 100, 100, 250);
    expect(b.s.admittedShare).toBeCloseTo(0.95 * 0.75);
    step(b.s, b.f, b.q, 100, 100, 300);
    expect(b.s.admittedShare).toBeCloseTo(0.95 * 0.75 * 0.75);
  });

  it('a severe queue that grows at what the estimate says fits raises the estimate: calls cost more than it says', () => {
    const { f, q, s } = queueShedder();
    // A call costs 0.8 ms of loop time: 100 a sample fit (101).
    for (let i = 0; i < 5; i++) step(s, f, q, 100, 80, 2);
    // The CPU slows down: 100 a sample now saturate the loop, and the queue
    // grows by 100 ms a sample without a surge (100 calls, 80 ms by the estimate).
    step(s, f, q, 100, 100, 60);
    for (const d of [250, 350, 450]) step(s, f, q, 100, 100, d);
    const cut = s.admittedShare;
    expect(cut).toBeCloseTo(0.75 ** 3);
    // Drained: back to what fits by the raised estimate (0.8 ms, a quarter more
    // for each of the three samples, then the drained sample's own reading),
    // well short of all the calls the old 0.8 ms would have admitted.
    step(s, f, q, 100, 60, 5);
    expect(s.admittedShare).toBeGreaterThan(cut);
    expect(s.admittedShare).toBeLessThan(0.75);
  });

  it('grows back to what fits in the CPU time a busy loop gets, not in the whole target, when a neighbour takes part of the core', () => {
    let cpu = 1;
    const { f, q, s } = queueShedder(50, () => cpu);
    // A call costs 0.8 ms of CPU (the loop had all the CPU it asked for).
    for (let i = 0; i < 5; i++) {
      cpu = 0.8;
      step(s, f, q, 100, 80, 2);
    }
    // A neighbour takes 40 % of the core: the loop never idles, gets 0.6 of it,
    // and the queue grows past the severe mark while 1,000 calls a sample
    // arrive (a surge: nothing admitted while it drains).
    for (const d of [250, 400, 550, 700]) {
      cpu = 0.6;
      step(s, f, q, 1000, 100, d);
    }
    expect(s.admittedShare).toBe(0);
    // Drained, with 300 a sample offered now, all shed in this sample (45
    // call-equivalents): 0.9 × 0.6 × 100 / 0.8 = 67.5 fit a sample, so
    // (67.5 - 45) / 300 = 0.075; the whole target's worth would be 0.225.
    cpu = 0.36;
    step(s, f, q, 300, 60, 5);
    expect(s.admittedShare).toBeCloseTo(0.075, 3);
  });

  it('grows back after a drain at once to the share the estimate says the loop carries, and past it only a point a sample', () => {
    const { f, q, s } = queueShedder();
    // A call costs 0.8 ms of loop time.
    for (let i = 0; i < 5; i++) step(s, f, q, 100, 80, 2);
    // Three times that offered (a surge): the queue grows past the severe mark
    // for a while (cut below what fits), then drains.
    for (const d of [250, 400, 500, 600]) step(s, f, q, 300, 100, d);
    for (const d of [300, 150, 60]) step(s, f, q, 300, 100, d);
    const cut = s.admittedShare;
    expect(cut).toBeLessThan(0.25);
    // Drained, and the loop reads half idle: the calls admitted now bring most
    // of their work a sample or more later. The share goes at once to what the
    // estimate says fits (0.9 × 100 / 0.8 = 112.5 call-equivalents a sample,
    // less 0.15 for each of the INVITEs shed, of 300), then on by a point a
    // sample; growing by the room (a quarter a sample) overshot to twice it.
    let previous = cut;
    for (let i = 0; i < 4; i++) {
      const admitted = offer(s, 300);
      f.spend(45, 55);
      q.set(5);
      s.sample();
      const share = s.admittedShare;
      const fits = (112.5 - 0.15 * (300 - admitted)) / 300;
      // What fits by this sample's count of INVITEs shed, or a point more.
      expect(share).toBeCloseTo(Math.max(fits, previous + 0.01), 3);
      if (i > 0) expect(share - previous).toBeLessThan(0.04);
      previous = share;
    }
    expect(previous).toBeLessThan(0.3);
  });

  it('without a fresh queue reading, the loop alone decides as before', () => {
    const { f, q, s } = queueShedder();
    // The onset (300 ms over the target), then a quarter off a saturated sample.
    for (let i = 0; i < 2; i++) step(s, f, q, 100, 100, undefined);
    expect(s.admittedShare).toBe(1);
    step(s, f, q, 100, 100, undefined);
    expect(s.admittedShare).toBeCloseTo(0.75);
  });
});
