import { describe, expect, it } from 'vitest';
import { LoadShedder } from '../../../src/proxy/load-shedder.js';
import { fakeElu } from '../health/fake-elu.js';

const SAMPLE_MS = 100;

/** Offers n INVITEs and says how many were admitted. */
function offer(s: LoadShedder, n: number): number {
  let admitted = 0;
  for (let i = 0; i < n; i++) if (s.admit()) admitted++;
  return admitted;
}

describe('LoadShedder', () => {
  it('admits every INVITE while the loop stays under the target', () => {
    const f = fakeElu();
    const s = new LoadShedder({ targetUtilization: 0.9, sampleMs: SAMPLE_MS }, f.elu);
    for (let i = 0; i < 20; i++) {
      f.spend(85, 15);
      s.sample();
      expect(offer(s, 100)).toBe(100);
    }
    expect(s.admittedShare).toBe(1);
  });

  it('over the target, admits target / (smoothed) utilization of the INVITEs, spread evenly', () => {
    const f = fakeElu();
    const s = new LoadShedder({ targetUtilization: 0.9, sampleMs: SAMPLE_MS }, f.elu);
    f.spend(95, 5);
    s.sample();
    expect(s.utilization).toBeCloseTo(0.95);
    expect(s.admittedShare).toBeCloseTo(0.9 / 0.95);
    f.spend(95, 5);
    s.sample();
    expect(s.admittedShare).toBeCloseTo((0.9 / 0.95) ** 2);
    // One slow sample among quiet ones moves the smoothed level by a third only.
    const quiet = new LoadShedder({ targetUtilization: 0.9, sampleMs: SAMPLE_MS }, f.elu);
    f.spend(60, 40);
    quiet.sample();
    f.spend(100, 0);
    quiet.sample();
    expect(quiet.admittedShare).toBe(1);
    // Exactly that share, and never two sheds in a row at a share above one half.
    const decisions = Array.from({ length: 1000 }, () => s.admit());
    expect(decisions.filter(Boolean).length).toBe(Math.floor(1000 * (0.9 / 0.95) ** 2));
    for (let i = 1; i < decisions.length; i++) expect(decisions[i - 1] || decisions[i]).toBe(true);
  });

  it('saturated two samples in a row (a reading of 1 says nothing of the excess), cuts by a quarter a sample', () => {
    const f = fakeElu();
    const s = new LoadShedder({ targetUtilization: 0.9, sampleMs: SAMPLE_MS }, f.elu);
    f.spend(100, 0);
    s.sample();
    // One saturated sample alone (a GC pause) is only over the target.
    expect(s.admittedShare).toBeCloseTo(0.9);
    f.spend(100, 0);
    s.sample();
    expect(s.admittedShare).toBeCloseTo(0.675);
    f.spend(100, 0);
    s.sample();
    expect(s.admittedShare).toBeCloseTo(0.50625);
  });

  it('grows back by at most a tenth (plus 1 point) a sample once under the target, then admits all', () => {
    const f = fakeElu();
    const s = new LoadShedder({ targetUtilization: 0.9, sampleMs: SAMPLE_MS }, f.elu);
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
    const s = new LoadShedder({ targetUtilization: target, sampleMs: SAMPLE_MS }, f.elu);
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

  it('target 0 never sheds', () => {
    const f = fakeElu();
    const s = new LoadShedder({ targetUtilization: 0, sampleMs: SAMPLE_MS }, f.elu);
    f.spend(100, 0);
    s.sample();
    expect(offer(s, 10)).toBe(10);
  });
});
