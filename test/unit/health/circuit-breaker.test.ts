import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type BreakerChange } from '../../../src/health/circuit-breaker.js';

const settings = { failures: 3, windowMs: 10_000, cooldownMs: 5_000 };

function breaker(over: Partial<typeof settings> = {}) {
  const changes: BreakerChange[] = [];
  const b = new CircuitBreaker({ ...settings, ...over }, (c) => changes.push(c));
  return { b, changes };
}

describe('CircuitBreaker', () => {
  it('opens after `failures` consecutive failures within the window', () => {
    const { b, changes } = breaker();
    b.failure(0, 'timeout');
    b.failure(1000, '500');
    expect(b.isOpen(1000)).toBe(false);
    b.failure(2000, 'timeout');
    expect(b.isOpen(2000)).toBe(true);
    expect(b.state(2000)).toBe('open');
    expect(changes).toEqual([{ state: 'open', untilMs: 7000, reason: 'timeout' }]);
  });

  it('does not open when the failures are spread wider than the window', () => {
    const { b } = breaker();
    b.failure(0, 'timeout');
    b.failure(6000, 'timeout');
    b.failure(12_000, 'timeout'); // the streak restarted at 12 s: one failure
    expect(b.isOpen(12_000)).toBe(false);
  });

  it('a success in between resets the streak', () => {
    const { b } = breaker();
    b.failure(0, 'timeout');
    b.failure(1, 'timeout');
    b.success(2);
    b.failure(3, 'timeout');
    b.failure(4, 'timeout');
    expect(b.isOpen(4)).toBe(false);
  });

  it('after the cool-down lets exactly one trial through (half-open)', () => {
    const { b } = breaker();
    for (let i = 0; i < 3; i++) b.failure(i, 'timeout');
    expect(b.isOpen(4999)).toBe(true);
    expect(b.isOpen(5002)).toBe(false);
    expect(b.state(5002)).toBe('half-open');
    b.begin(5002); // the trial call
    expect(b.isOpen(5003)).toBe(true); // nobody else meanwhile
    b.success(5100);
    expect(b.state(5100)).toBe('closed');
    expect(b.isOpen(5100)).toBe(false);
  });

  it('a failed trial opens it for another full cool-down', () => {
    const { b } = breaker();
    for (let i = 0; i < 3; i++) b.failure(i, 'timeout');
    b.begin(6000);
    b.failure(6100, '503');
    expect(b.state(6100)).toBe('open');
    expect(b.openUntilMs).toBe(11_100);
    expect(b.isOpen(11_099)).toBe(true);
    expect(b.isOpen(11_100)).toBe(false);
  });

  it('Retry-After opens it for that long, whatever the streak', () => {
    const { b } = breaker();
    b.open(1000, 5000, '503 Retry-After 5');
    expect(b.isOpen(5999)).toBe(true);
    expect(b.isOpen(6000)).toBe(false);
  });

  it('an open breaker is extended, never shortened', () => {
    const { b, changes } = breaker();
    b.open(0, 10_000, 'a');
    b.open(1000, 2000, 'b');
    expect(b.openUntilMs).toBe(10_000);
    b.open(2000, 20_000, 'c');
    expect(b.openUntilMs).toBe(22_000);
    expect(changes.map((c) => c.state)).toEqual(['open', 'open']);
  });

  it('failures: 0 never opens on failures (Retry-After still does)', () => {
    const { b } = breaker({ failures: 0 });
    for (let i = 0; i < 100; i++) b.failure(i, '500');
    expect(b.isOpen(100)).toBe(false);
    b.open(100, 1000, 'retry-after');
    expect(b.isOpen(100)).toBe(true);
  });

  it('a trial that is abandoned or never reports back does not hold the gateway for ever', () => {
    const { b } = breaker();
    b.open(0, 1000, 'x');
    b.begin(1000);
    expect(b.isOpen(1001)).toBe(true);
    b.abandon(); // the caller cancelled the trial call
    expect(b.isOpen(1002)).toBe(false);
    b.begin(1002);
    expect(b.isOpen(1003)).toBe(true);
    // No verdict for a whole cool-down: another call may try.
    expect(b.isOpen(1002 + 5000)).toBe(false);
  });
});
