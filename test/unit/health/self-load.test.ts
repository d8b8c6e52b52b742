import { describe, expect, it } from 'vitest';
import { SelfLoad } from '../../../src/health/self-load.js';
import { fakeElu } from './fake-elu.js';

describe('SelfLoad', () => {
  it('is busy while one of the last two samples reached the threshold', () => {
    const f = fakeElu();
    const load = new SelfLoad(0.95, 500, f.elu);
    f.spend(200, 300);
    load.sample();
    expect(load.utilization).toBeCloseTo(0.4);
    expect(load.busy()).toBe(false);
    f.spend(490, 10);
    load.sample();
    expect(load.busy()).toBe(true);
    // One quiet sample later the saturated one is still among the last two.
    f.spend(100, 400);
    load.sample();
    expect(load.busy()).toBe(true);
    f.spend(100, 400);
    load.sample();
    expect(load.busy()).toBe(false);
  });

  it('busyWithin looks back over an attempt: a saturation 3 s ago still covers a 5 s timeout, not a 1 s one', () => {
    const f = fakeElu();
    const load = new SelfLoad(0.95, 500, f.elu);
    expect(load.busyWithin(60_000)).toBe(false);
    f.spend(500, 0);
    load.sample();
    expect(load.busyWithin(0)).toBe(true);
    // Six quiet samples: the saturated period ended about 3 s ago.
    for (let i = 0; i < 6; i++) {
      f.spend(50, 450);
      load.sample();
    }
    expect(load.busy()).toBe(false);
    expect(load.busyWithin(1000)).toBe(false);
    expect(load.busyWithin(2500)).toBe(true);
    expect(load.busyWithin(5000)).toBe(true);
    // busyWithin(0) is busy(): true for the saturated sample and the one after it.
    f.spend(500, 0);
    load.sample();
    f.spend(50, 450);
    load.sample();
    expect(load.busyWithin(0)).toBe(true);
    expect(load.busy()).toBe(true);
    f.spend(50, 450);
    load.sample();
    expect(load.busyWithin(0)).toBe(false);
  });

  it('threshold 0 is never busy', () => {
    const f = fakeElu();
    const load = new SelfLoad(0, 500, f.elu);
    f.spend(500, 0);
    load.sample();
    expect(load.busy()).toBe(false);
  });
});
