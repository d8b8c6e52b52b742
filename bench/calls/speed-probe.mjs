// How fast each CPU of the machine runs code during each step of a run: one probe
// process pinned to each CPU reads, every 250 ms, the CPU time three fixed pieces
// of work take:
//
// - core: JavaScript over a small working set (property loads, string lengths,
//   integer arithmetic; nothing allocated), how fast the CPU executes;
// - memory: a random walk through 64 MB, one cache and TLB miss a step, how fast
//   memory answers (a neighbour on the host thrashing the shared caches slows it);
// - io: 200 loopback UDP datagrams sent (600 bytes, to a socket of its own), what
//   the kernel's and the hypervisor's side of a datagram costs, where a proxy
//   spends about half its CPU.
//
// The project's 2-core machines are virtual and shared: one of their two CPUs
// can run code at half the other's speed for minutes, and the same build then
// costs twice the CPU a call on it (BENCHMARKS.md, issue 14, "Two CPUs, two
// speeds"). CPU time a call cannot tell a dearer call from a slower CPU; these
// readings can, since their work never changes.
//
// Run as a script it is one probe: `node speed-probe.mjs SECONDS` prints a JSON
// line a sample and stops after SECONDS or when its stdin closes.
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { allowedCpus, startProcess } from './processes.mjs';

const EVERY_MS = 250;
const CORE_ROUNDS = 400;
const WALK_ENTRIES = 1 << 24; // Int32: 64 MB
const WALK_STEPS = 4000;
const IO_SENDS = 200;

const items = Array.from({ length: 1000 }, (_, i) => ({ i, s: `x${i}` }));
// Written, never read: what the work computes stays live.
let _sink = 0;
function core() {
  let s = 0;
  for (let r = 0; r < CORE_ROUNDS; r++) for (const o of items) s += o.s.length + o.i;
  _sink ^= s;
}

/** One cycle through every entry (Sattolo's shuffle), from a fixed seed: every run walks the same. */
function cycle(n) {
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) next[i] = i;
  let seed = 1;
  for (let i = n - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = Math.floor((seed / 4294967296) * i);
    const t = next[i];
    next[i] = next[j];
    next[j] = t;
  }
  return next;
}

let walk;
let at = 0;
function memory() {
  for (let k = 0; k < WALK_STEPS; k++) at = walk[at];
}

/**
 * A connected UDP socket towards a socket of our own that reads and drops what it
 * gets: send() on a connected socket goes to the kernel at once (no address lookup).
 */
async function loopback() {
  const sink = createSocket('udp4');
  sink.on('message', () => {});
  await new Promise((r) => sink.bind(0, '127.0.0.1', r));
  const out = createSocket('udp4');
  await new Promise((r) => out.connect(sink.address().port, '127.0.0.1', r));
  const payload = Buffer.alloc(600, 0x61);
  return {
    send() {
      for (let i = 0; i < IO_SENDS; i++) out.send(payload);
    },
    close() {
      out.close();
      sink.close();
    },
  };
}

/**
 * The process's CPU time (ms): a probe's process does nothing else. Not the
 * thread's /proc schedstat, which the kernel brings up to date at its ticks and
 * context switches, not within the probe's millisecond.
 */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function timed(fn) {
  const c0 = cpuMs();
  fn();
  return cpuMs() - c0;
}

const median = (v) => {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** One probe: a JSON line of readings every EVERY_MS, for at most `seconds`. */
async function probe(seconds) {
  walk = cycle(WALK_ENTRIES);
  const io = await loopback();
  for (let i = 0; i < 20; i++) core(); // compiled before the first reading
  memory();
  io.send();
  const end = Date.now() + seconds * 1000;
  let stopped = false;
  // At its time bound or when the bench closes our stdin, whichever comes first.
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    io.close();
    process.stdin.destroy();
  };
  const timer = setInterval(() => {
    const reading = { coreMs: timed(core), memoryMs: timed(memory), ioMs: timed(io.send) };
    process.stdout.write(`${JSON.stringify(reading)}\n`);
    if (Date.now() > end) stop();
  }, EVERY_MS);
  process.stdin.on('end', stop).resume();
}

/**
 * Starts one probe pinned to each CPU this process may use, for at most `seconds`.
 * idle() reads them before the systems start (call it first: it waits about two
 * seconds); between(from, to) gives each CPU's median readings between two
 * performance.now() times: [{ cpu, coreMs, memoryMs, ioMs }] (ms).
 */
export async function startSpeedProbe(seconds) {
  const samples = [];
  const children = allowedCpus().map((cpu) => {
    const child = startProcess(
      process.execPath,
      [fileURLToPath(import.meta.url), String(seconds)],
      {
        cpus: String(cpu),
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      samples.push({ cpu, at: performance.now(), ...JSON.parse(line) });
      if (samples.length > 100_000) samples.splice(0, 20_000);
    });
    return { cpu, child };
  });
  const between = (from, to) =>
    children.map(({ cpu }) => {
      const in_ = samples.filter((s) => s.cpu === cpu && s.at >= from && s.at <= to);
      return {
        cpu,
        coreMs: median(in_.map((s) => s.coreMs)),
        memoryMs: median(in_.map((s) => s.memoryMs)),
        ioMs: median(in_.map((s) => s.ioMs)),
      };
    });
  return {
    async idle() {
      // The first readings come once each probe has built its 64 MB walk.
      const deadline = performance.now() + 10_000;
      while (samples.length < children.length && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const from = performance.now();
      await new Promise((r) => setTimeout(r, 8 * EVERY_MS + 100));
      return between(from, performance.now());
    },
    between,
    stop() {
      for (const { child } of children) child.stdin.end();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await probe(Number(process.argv[2] ?? 60));
