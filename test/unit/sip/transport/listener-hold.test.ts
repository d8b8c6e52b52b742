import { describe, expect, it } from 'vitest';
import { ListenerHold } from '../../../../src/sip/transport/listener-hold.js';

/** A hold driven by hand: `turn()` ends the event-loop turn (what setImmediate would run). */
function setup(maxHoldMs = 50, batch = 4) {
  let now = 0;
  let pending: (() => void)[] = [];
  const ran: string[] = [];
  const hold = new ListenerHold({
    batch,
    maxHoldMs,
    now: () => now,
    defer: (fn) => pending.push(fn),
  });
  return {
    hold,
    ran,
    listener: (name: string) => hold.listenerRead(() => ran.push(name)),
    requests: (n: number, socket = 0) => {
      for (let i = 0; i < n; i++) hold.requestRead(socket);
    },
    turn: () => {
      const fns = pending;
      pending = [];
      for (const fn of fns) fn();
    },
    pendingTurns: () => pending.length,
    advance: (ms: number) => (now += ms),
  };
}

describe('ListenerHold', () => {
  it('runs a listener datagram at once while the request sockets keep up', () => {
    const h = setup();
    h.requests(3);
    h.listener('invite');
    expect(h.ran).toEqual(['invite']);
    h.turn();
    h.listener('invite 2');
    expect(h.ran).toEqual(['invite', 'invite 2']);
    expect(h.pendingTurns()).toBe(0);
  });

  it('holds new datagrams after a turn that read a full batch from a request socket, and runs them in order once it reads less', () => {
    const h = setup();
    h.requests(4);
    h.turn();
    h.listener('a');
    h.listener('b');
    h.requests(4);
    expect(h.ran).toEqual([]);
    h.turn(); // still a full batch: held
    expect(h.ran).toEqual([]);
    expect(h.hold.size).toBe(2);
    h.requests(1);
    h.turn(); // read empty: the held run, oldest first
    expect(h.ran).toEqual(['a', 'b']);
    expect(h.hold.size).toBe(0);
    h.listener('c');
    expect(h.ran).toEqual(['a', 'b', 'c']);
  });

  it('a full batch is counted per request socket, not over all of them', () => {
    const h = setup();
    h.requests(2, 0);
    h.requests(2, 1);
    h.turn();
    h.listener('a');
    expect(h.ran).toEqual(['a']);
  });

  it('releases a batch a turn once read empty, as the socket would have been read', () => {
    const h = setup();
    h.requests(4);
    h.turn();
    for (let i = 0; i < 10; i++) h.listener(`n${i}`);
    h.turn();
    expect(h.ran).toEqual(['n0', 'n1', 'n2', 'n3']);
    h.turn();
    expect(h.ran).toHaveLength(8);
    h.turn();
    expect(h.ran).toHaveLength(10);
    expect(h.pendingTurns()).toBe(0);
  });

  it('never holds past maxHoldMs, however full the request socket stays', () => {
    const h = setup(50);
    h.requests(4);
    h.turn();
    h.listener('old');
    h.advance(30);
    h.listener('young');
    h.requests(4);
    h.turn();
    expect(h.ran).toEqual([]);
    h.advance(20); // old has waited 50 ms
    h.requests(4);
    h.turn();
    expect(h.ran).toEqual(['old']);
    h.advance(30);
    h.requests(4);
    h.turn();
    expect(h.ran).toEqual(['old', 'young']);
  });

  it('drops what it holds when cleared', () => {
    const h = setup();
    h.requests(4);
    h.turn();
    h.listener('a');
    h.hold.clear();
    h.turn();
    expect(h.ran).toEqual([]);
    expect(h.hold.size).toBe(0);
  });

  it('with maxHoldMs 0 holds nothing and schedules nothing', () => {
    const h = setup(0);
    h.requests(10);
    h.listener('a');
    expect(h.ran).toEqual(['a']);
    expect(h.pendingTurns()).toBe(0);
  });

  it('keeps order across a long hold and compacts what it has run', () => {
    const h = setup(1_000_000, 32);
    h.requests(32);
    h.turn();
    for (let i = 0; i < 5000; i++) h.listener(String(i));
    h.requests(32);
    h.turn();
    expect(h.ran).toHaveLength(0);
    while (h.pendingTurns() > 0) h.turn();
    expect(h.ran).toHaveLength(5000);
    expect(h.ran.every((v, i) => v === String(i))).toBe(true);
    expect(h.hold.size).toBe(0);
  });
});
