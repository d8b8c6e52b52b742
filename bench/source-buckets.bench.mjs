// The overload guard's per-source token buckets (proxy.source_invite_rate) with
// the table full: 600,000 checks over 150,000 source addresses (100,000 tracked,
// so every new one makes room), then 600,000 from one busy source.
//
//   npm run build && node bench/source-buckets.bench.mjs [--dist DIR]
//
// Bounded: a fixed number of checks.
import { parseArgs } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: { dist: { type: 'string', default: join(root, 'dist') } },
});
const { OverloadGuard } = await import(
  pathToFileURL(join(opt.dist, 'proxy/overload-guard.js')).href
);

let now = 0;
const guard = new OverloadGuard(
  { sourceRate: 10, maxCallsInSetup: 0, maxSources: 100_000 },
  () => now,
);
const sources = Array.from(
  { length: 150_000 },
  (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
);
const CHECKS = 600_000;
for (const [name, source] of [
  ['150,000 sources', (i) => sources[i % sources.length]],
  ['one source after them', () => '192.0.2.1'],
]) {
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < CHECKS; i++) {
    now += 0.01;
    guard.check(source(i), 0);
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(`${name}: ${((cpu.user + cpu.system) / CHECKS).toFixed(2)} µs CPU a check`);
}
