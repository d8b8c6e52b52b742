// SIPp for bench/calls: providers (UAS) and the caller (UAC), each in its own
// directory with its statistics CSV and, for the caller, every setup time.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, waitExit, cpuSeconds, waitUdpBound, sleep } from './processes.mjs';

/**
 * Writes a copy of a scenario with `__NAME__` placeholders filled in (SIPp reads
 * status codes at load time, so they cannot come from -key) and returns its path.
 */
export function renderTemplate(file, vars, dir) {
  let text = readFileSync(file, 'latin1');
  for (const [k, v] of Object.entries(vars))
    text = text.split(`__${k.toUpperCase()}__`).join(String(v));
  const out = join(dir ?? mkdtempSync(join(tmpdir(), 'bench-calls-')), file.split('/').pop());
  writeFileSync(out, text, 'latin1');
  return out;
}

/**
 * Starts one SIPp. `remote` makes it a caller. Returns handles to stop it (SIGUSR1
 * first: SIPp then writes its final statistics line) and to read its results.
 */
export function startSipp({ scenario, port, remote, args = [], timeoutSeconds, cpus }) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sipp-'));
  const all = [
    ...(remote ? [remote] : []),
    '-sf',
    scenario,
    '-i',
    '127.0.0.1',
    '-p',
    String(port),
    '-t',
    'u1',
    '-nostdin',
    '-trace_stat',
    '-stf',
    join(dir, 'stat.csv'),
    '-fd',
    '1',
    '-trace_err',
    '-error_file',
    join(dir, 'errors.log'),
    '-max_recv_loops',
    '2000',
    '-buff_size',
    String(4 * 1024 * 1024),
    ...args,
  ];
  if (timeoutSeconds) all.push('-timeout', `${timeoutSeconds}s`);
  const child = startProcess('sipp', all, { cwd: dir, cpus });
  let stderr = '';
  child.stdout.resume();
  child.stderr.setEncoding('latin1');
  child.stderr.on('data', (c) => {
    if (stderr.length < 20_000) stderr += c;
  });
  const exited = waitExit(child, ((timeoutSeconds ?? 3600) + 20) * 1000);
  return {
    pid: child.pid,
    dir,
    child,
    exited,
    ready: () => waitUdpBound(port),
    cpu: () => cpuSeconds([child.pid]),
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGUSR1');
      const t1 = setTimeout(() => child.exitCode === null && child.kill('SIGTERM'), 2000);
      const t2 = setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5000);
      await new Promise((r) => child.once('exit', r));
      clearTimeout(t1);
      clearTimeout(t2);
      await sleep(20);
    },
    stats: () => lastStats(dir),
    setupTimesMs: () => setupTimes(dir),
  };
}

/** The last line of SIPp's statistics CSV, as a record of numbers (where numeric). */
function lastStats(dir) {
  const file = join(dir, 'stat.csv');
  if (!existsSync(file)) return {};
  const lines = readFileSync(file, 'latin1').trim().split('\n');
  if (lines.length < 2) return {};
  const head = lines[0].split(';');
  const last = lines[lines.length - 1].split(';');
  return Object.fromEntries(head.map((h, i) => [h, last[i] ?? '']));
}

/**
 * Every response time SIPp traced (-trace_rtt): when (ms since start), how long
 * (ms), and which (rtd 1: INVITE to 200; rtd 2: INVITE to a shed call's 503).
 */
function setupTimes(dir) {
  const file = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
  if (!file) return [];
  const out = [];
  for (const line of readFileSync(join(dir, file), 'latin1').split('\n')) {
    const parts = line.split(';');
    const at = Number(parts[0]);
    const ms = Number(parts[1]);
    const rtd = Number(parts[2] ?? 1) || 1;
    if (parts.length >= 2 && parts[0] !== '' && Number.isFinite(at) && Number.isFinite(ms))
      out.push({ at, ms, rtd });
  }
  return out;
}

export const num = (stats, key) => Number(stats[key] ?? 0) || 0;
