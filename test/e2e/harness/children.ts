/**
 * The PIDs of the helper processes this test process started (SIPp, stunnel):
 * whatever is still running when the test process exits is killed, so a failed
 * or interrupted test leaves nothing behind, and nothing it did not start is touched.
 */
const children = new Set<number>();
process.on('exit', () => {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Tracks a child until `untrack` (call it when the child exits). */
export function track(pid: number): void {
  children.add(pid);
}

export function untrack(pid: number): void {
  children.delete(pid);
}
