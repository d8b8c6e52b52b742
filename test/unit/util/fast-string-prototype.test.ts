import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { keepStringMethodsFast } from '../../../src/util/fast-string-prototype.js';

/** V8's own view of an object's mode (the natives syntax, for this test only). */
function hasFastProperties(o: object): boolean {
  setFlagsFromString('--allow-natives-syntax');
  try {
    return (new Function('o', 'return %HasFastProperties(o);') as (o: object) => boolean)(o);
  } finally {
    setFlagsFromString('--no-allow-natives-syntax');
  }
}

// If this fails after a Node upgrade, V8 changed how it treats String.prototype:
// measure again (docs/performance.md) before deciding what to do.
describe('keepStringMethodsFast', () => {
  it('undoes what defining a String subclass does to String.prototype', () => {
    // What ioredis does at load (VerbatimString): a subclass defined, no instance made.
    class Verbatim extends String {}
    expect(typeof Verbatim).toBe('function');
    expect(hasFastProperties(String.prototype)).toBe(false);
    keepStringMethodsFast();
    expect(hasFastProperties(String.prototype)).toBe(true);
    expect(' Abc '.trim().toLowerCase().slice(1)).toBe('bc');
  });
});
