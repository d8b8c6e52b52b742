// What a churned Map makes V8 promote (docs/performance.md, "Deleted is let go").
// A Map of 10 live entries whose hash table has first lived through a few
// young-generation GCs (as a long-lived Map's does), then 300,000 values of
// about 1.3 KB set and deleted through it: a plain Map, trunkroute's CellMap
// (from dist/), and no Map at all for the baseline. Each in a child process
// under --trace-gc-nvp; the bytes the scavenges promoted are summed.
//
//   npm run build && node bench/map-promotion.bench.mjs [--node-args='--flag ...']
//
// Bounded: three children of a few seconds each, 60 s at most apiece.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    child: { type: 'string' },
    'node-args': { type: 'string', default: '' },
  },
});

const VALUES = 300_000;
const LIVE = 10;

async function child(mode) {
  const { CellMap } = await import(
    pathToFileURL(join(here, '..', 'dist', 'util', 'cell-map.js')).href
  );
  const map = mode === 'cell' ? new CellMap() : new Map();
  // The table lives through a few scavenges first, and is promoted.
  for (let i = 0; i < LIVE; i++) map.set(`seed${i}`, { v: i });
  let junk = 0;
  for (let i = 0; i < 2e6; i++) junk += [i, i + 1].length;
  for (let i = 0; i < LIVE; i++) map.delete(`seed${i}`);
  const keys = [];
  let sink = junk;
  for (let i = 0; i < VALUES; i++) {
    const value = { a: new Array(100).fill(i), s: 'x'.repeat(200) + i };
    const key = `k${i}`;
    if (mode !== 'none') map.set(key, value);
    keys.push(key);
    if (keys.length > LIVE) {
      const old = keys.shift();
      if (mode !== 'none') map.delete(old);
    }
    sink += value.a.length;
  }
  if (sink < 0) console.log(sink);
}

if (opt.child) {
  await child(opt.child);
} else {
  const extra = opt['node-args'].split(' ').filter(Boolean);
  console.log(
    `${VALUES.toLocaleString('en-US')} values of about 1.3 KB through ${LIVE} live entries`,
  );
  for (const mode of ['none', 'map', 'cell']) {
    const run = spawnSync(
      process.execPath,
      ['--trace-gc-nvp', ...extra, fileURLToPath(import.meta.url), '--child', mode],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    if (run.status !== 0) throw new Error(`${mode}: exit ${run.status} ${run.stderr}`);
    let promoted = 0;
    let scavenges = 0;
    for (const line of run.stdout.split('\n')) {
      if (!line.includes('gc=s ')) continue;
      scavenges++;
      promoted += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? 0);
    }
    const label = { none: 'no Map', map: 'Map', cell: 'CellMap' }[mode];
    console.log(
      `${label.padEnd(8)} ${(promoted / 1e6).toFixed(1).padStart(7)} MB promoted in ${scavenges} scavenges`,
    );
  }
}
