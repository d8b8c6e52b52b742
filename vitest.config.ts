import { defineConfig } from 'vitest/config';

// Two projects: `unit` (unit + conformance, parallel, fast) and `e2e` (real SIPp and
// redis-server processes, one file at a time so the 2-core CI machine is not oversubscribed).
export default defineConfig({
  test: {
    // One directory for the run's temporary files, removed at its end (test/temp-dir.ts).
    globalSetup: ['test/global-temp-root.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/conformance/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
