import { describe, expect, it } from 'vitest';
import { TimerQueues, type Alarm } from '../../../src/util/timer-queues.js';

/** A runtime timer stand-in: fires, in due order, only when the test advances time. */
function harness() {
  let time = 1000;
  let nextId = 1;
  const armed = new Map<number, { at: number; fn: () => void }>();
  let setCount = 0;
  const alarm: Alarm = {
    set(ms, fn) {
      setCount++;
      const id = nextId++;
      armed.set(id, { at: time + ms, fn });
      return id;
    },
    clear: (id) => void armed.delete(id as number),
  };
  const queues = new TimerQueues(() => time, alarm);
  const advance = (ms: number): void => {
    const end = time + ms;
    for (;;) {
      const due = [...armed].filter(([, a]) => a.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      armed.delete(due[0]);
      time = Math.max(time, due[1].at);
      due[1].fn();
    }
    time = end;
  };
  return {
    queues,
    advance,
    armed: () => armed.size,
    sets: () => setCount,
    now: () => time,
  };
}

describe('TimerQueues', () => {
  it('runs each timer once at its time, in order, with one runtime timer per duration', () => {
    const h = harness();
    const fired: Array<[string, number]> = [];
    for (const name of ['a', 'b', 'c']) {
      h.queues.setTimer(500, () => fired.push([name, h.now()]));
      h.advance(100);
    }
    h.queues.setTimer(250, () => fired.push(['short', h.now()]));
    expect(h.armed()).toBe(2);
    h.advance(2000);
    expect(fired).toEqual([
      ['a', 1500],
      ['short', 1550],
      ['b', 1600],
      ['c', 1700],
    ]);
    // One arm for the 500 ms queue's head and one for each head after it, one for 250 ms.
    expect(h.sets()).toBe(4);
    expect(h.armed()).toBe(0);
    expect(h.queues.size).toBe(0);
  });

  it('a cancelled timer never runs; the last one cancelled clears the runtime timer', () => {
    const h = harness();
    const fired: string[] = [];
    const a = h.queues.setTimer(500, () => fired.push('a'));
    const b = h.queues.setTimer(500, () => fired.push('b'));
    b.cancel();
    b.cancel();
    expect(h.queues.size).toBe(1);
    a.cancel();
    expect(h.armed()).toBe(0);
    h.advance(1000);
    expect(fired).toEqual([]);
    a.cancel();
  });

  it('with its head cancelled, a queue wakes as armed and arms again for the next', () => {
    const h = harness();
    const fired: number[] = [];
    const first = h.queues.setTimer(32_000, () => fired.push(h.now()));
    h.advance(10_000);
    h.queues.setTimer(32_000, () => fired.push(h.now()));
    first.cancel();
    h.advance(22_000);
    expect(fired).toEqual([]);
    expect(h.armed()).toBe(1);
    h.advance(10_000);
    expect(fired).toEqual([43_000]);
  });

  it('a timer set while its queue fires waits its own time', () => {
    const h = harness();
    const fired: number[] = [];
    h.queues.setTimer(500, () => {
      fired.push(h.now());
      h.queues.setTimer(500, () => fired.push(h.now()));
    });
    h.advance(600);
    expect(fired).toEqual([1500]);
    h.advance(1000);
    expect(fired).toEqual([1500, 2000]);
  });

  it('a timer set while its queue fires does not hold back the ones already waiting', () => {
    const h = harness();
    const fired: Array<[string, number]> = [];
    h.queues.setTimer(32_000, () => {
      fired.push(['first', h.now()]);
      h.queues.setTimer(32_000, () => fired.push(['set in first', h.now()]));
    });
    h.advance(10);
    h.queues.setTimer(32_000, () => fired.push(['second', h.now()]));
    h.advance(40_000);
    h.advance(40_000);
    expect(fired).toEqual([
      ['first', 33_000],
      ['second', 33_010],
      ['set in first', 65_000],
    ]);
  });

  it('a callback that throws does not keep the others due from running', () => {
    const h = harness();
    const fired: string[] = [];
    h.queues.setTimer(500, () => {
      throw new Error('boom');
    });
    h.queues.setTimer(500, () => fired.push('after'));
    h.queues.setTimer(900, () => fired.push('later'));
    expect(() => h.advance(500)).toThrow('boom');
    expect(fired).toEqual(['after']);
    h.advance(500);
    expect(fired).toEqual(['after', 'later']);
  });

  it('a runtime timer that fires a little early still runs what is due', () => {
    let time = 0;
    let fire: (() => void) | undefined;
    const queues = new TimerQueues(() => time, {
      set: (_ms, fn) => (fire = fn),
      clear: () => {},
    });
    let ran = false;
    queues.setTimer(500, () => (ran = true));
    time = 499.4;
    fire!();
    expect(ran).toBe(true);
  });

  it('passes its argument to a shared function, and a cancelled one lets go of it', () => {
    const h = harness();
    const ended: string[] = [];
    const end = (tx: { name: string }): void => void ended.push(tx.name);
    h.queues.setTimer(32000, end, { name: 'd1' });
    const cancelled = h.queues.setTimer(32000, end, { name: 'd2' });
    h.queues.setTimer(32000, end, { name: 'd3' });
    cancelled.cancel();
    expect((cancelled as unknown as { arg: unknown }).arg).toBeUndefined();
    h.advance(32000);
    expect(ended).toEqual(['d1', 'd3']);
    expect(h.queues.size).toBe(0);
  });
});
