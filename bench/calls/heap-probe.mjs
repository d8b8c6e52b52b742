// Preloaded into trunkroute by bench/calls (node --expose-gc --import ...) for the
// memory-per-call run: on SIGUSR2 it collects garbage and writes
// process.memoryUsage() as JSON to $TRUNKROUTE_HEAP_PROBE_FILE. Never part of the
// server itself.
import { writeFileSync } from 'node:fs';

const out = process.env.TRUNKROUTE_HEAP_PROBE_FILE;
if (out) {
  process.on('SIGUSR2', () => {
    // Two passes: the first may only queue finalizers.
    globalThis.gc?.();
    globalThis.gc?.();
    writeFileSync(out, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
  });
}
