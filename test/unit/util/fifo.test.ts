import { describe, expect, it } from 'vitest';
import { Fifo } from '../../../src/util/fifo.js';

describe('Fifo', () => {
  it('gives items back oldest first, and undefined when empty', () => {
    const q = new Fifo<number>();
    expect(q.peek()).toBeUndefined();
    expect(q.shift()).toBeUndefined();
    q.push(1);
    q.push(2);
    expect(q.peek()).toBe(1);
    expect(q.size).toBe(2);
    expect(q.shift()).toBe(1);
    expect(q.shift()).toBe(2);
    expect(q.size).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('keeps order across compactions, against a plain array', () => {
    const q = new Fifo<number>();
    const ref: number[] = [];
    let next = 0;
    // Pushes and shifts interleaved past several compactions (after 1,024 read).
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) {
        q.push(next);
        ref.push(next++);
      }
      for (let i = 0; i < 250; i++) expect(q.shift()).toBe(ref.shift());
      expect(q.size).toBe(ref.length);
      expect(q.peek()).toBe(ref[0]);
    }
    q.clear();
    expect(q.size).toBe(0);
    expect(q.peek()).toBeUndefined();
  });
});
