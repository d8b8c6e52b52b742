import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMP_ROOT_ENV } from './temp-dir.js';

/** Set (to anything but 0) to keep the run's files for a look after a failure. */
const KEEP_ENV = 'TRUNKROUTE_TEST_KEEP';

/**
 * Vitest's global setup: one directory for a run's temporary files, removed when
 * the run ends. Each run made a few hundred directories of its own in the system's
 * (one per SIPp and trunkroute process, per rendered scenario, per certificate
 * set) and left them there.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'trunkroute-test-'));
  process.env[TEMP_ROOT_ENV] = root;
  return () => {
    const keep = process.env[KEEP_ENV];
    if (keep && keep !== '0') console.log(`test files kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
}
