import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMP_ROOT_ENV, tempDir } from '../temp-dir.js';

describe('tempDir', () => {
  it('makes each directory inside the run directory the global setup made', () => {
    const root = process.env[TEMP_ROOT_ENV];
    expect(root).toMatch(/trunkroute-test-/);
    const a = tempDir('x-');
    const b = tempDir('x-');
    expect(a).not.toBe(b);
    expect(dirname(a)).toBe(root);
    expect(existsSync(a) && existsSync(b)).toBe(true);
  });
});
