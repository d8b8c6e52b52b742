import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where test/global-temp-root.ts tells the test processes the run's directory is. */
export const TEMP_ROOT_ENV = 'TRUNKROUTE_TEST_TMP';

/**
 * A new directory for one test's files (a SIPp run's statistics, a trunkroute
 * process's config and log), inside the run's own directory, which goes when the
 * run ends.
 */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(process.env[TEMP_ROOT_ENV] ?? tmpdir(), prefix));
}
