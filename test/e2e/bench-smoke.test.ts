import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from '../temp-dir.js';

// Keeps bench/calls from rotting: one short step of the call-rate benchmark
// (trunkroute only, failover A=503 → B=404 → C=200, 20 calls/s for 3 s, after a
// one-second warm-up outside the table, every process pinned to one CPU) must produce
// its result row, and every call of the step must connect. No speed is asserted here:
// rates belong in BENCHMARKS.md.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The bench's own reading of the CPUs this process may run on (a container's
// cpuset may leave out CPU 0); a plain .mjs, so imported by path, untyped.
const { allowedCpus } = (await import(
  pathToFileURL(join(ROOT, 'bench/calls/processes.mjs')).href
)) as { allowedCpus(): number[] };
const ALLOWED_CPUS = allowedCpus();
const FIRST_CPU = String(ALLOWED_CPUS[0]);

interface BenchRow {
  system: string;
  mode: string;
  target: number;
  calls: number;
  successful: number;
  successPct: number;
  retrans: Record<string, number>;
  probe: { cpu: number; coreMs: number; memoryMs: number; ioMs: number }[];
  mainThreadOn: Record<string, number>;
}

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench/calls.mjs'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (output += c));
    child.stderr.on('data', (c: string) => (output += c));
    // Bounded: the bench has its own bound, this one is the backstop.
    const bound = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(bound);
      resolve({ code, output });
    });
  });
}

describe('bench/calls smoke run', () => {
  it('places calls through the three-provider failover and reports one row with every call connected', async () => {
    const dir = tempDir('bench-smoke-');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const json = join(dir, 'result.json');
    const { code, output } = await runBench([
      '--only',
      'trunkroute',
      '--mode',
      'failover',
      '--steps',
      '20',
      '--step-seconds',
      '3',
      '--warmup-seconds',
      '1',
      '--sut-cpus',
      FIRST_CPU,
      '--sipp-cpus',
      FIRST_CPU,
      '--json',
      json,
    ]);
    expect(code, output).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      rows: BenchRow[];
      probeIdle: { cpu: number; coreMs: number; memoryMs: number; ioMs: number }[];
    };
    expect(result.rows).toHaveLength(1);
    const row = result.rows[0]!;
    expect(row).toMatchObject({ system: 'trunkroute', mode: 'failover', target: 20, calls: 60 });
    expect(row.successful).toBe(60);
    expect(row.successPct).toBe(100);
    // Every provider saw its share: A and B refused, C answered (their SIPp statistics were read).
    expect(Object.keys(row.retrans).sort()).toEqual(['a', 'b', 'c', 'caller']);
    expect(output).toContain('| 20 | trunkroute |');
    expect(output).toContain(`CPUs: system under test ${FIRST_CPU}, SIPp ${FIRST_CPU}`);
    // One speed probe ran on each CPU the bench may use, idle and during the step.
    for (const readings of [result.probeIdle, row.probe]) {
      expect(readings.map((p) => p.cpu)).toEqual(ALLOWED_CPUS);
      for (const p of readings) {
        expect(p.coreMs).toBeGreaterThan(0);
        expect(p.memoryMs).toBeGreaterThan(0);
        expect(p.ioMs).toBeGreaterThan(0);
      }
    }
    // trunkroute was pinned: its main thread was only ever seen on that CPU.
    expect(Object.keys(row.mainThreadOn)).toEqual([FIRST_CPU]);
    expect(output).toContain('speed probes, one pinned to each CPU');
    // The warm-up ran first and is reported apart from the table (its rate is not asserted).
    expect(output).toMatch(
      /warm-up, trunkroute: \d+ of 200 calls connected at 200\/s \(not in the table\)/,
    );
    expect(output.indexOf('warm-up')).toBeLessThan(output.indexOf('| 20 | trunkroute |'));
  });
});
