import { spawn } from 'node:child_process';
import { readFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { track, untrack } from './children.js';
import { tempDir } from '../../temp-dir.js';

export interface SippOptions {
  /** Scenario file path. */
  scenario: string;
  /** host:port to send to (a UAC); absent for a UAS. */
  remote?: string;
  localPort: number;
  transport?: 'udp' | 'tcp';
  /** -m: stop after this many calls. */
  calls?: number;
  /** -r: calls per second. */
  rate?: number;
  /** -l: concurrent calls limit. */
  limit?: number;
  /** -s: the service (dialled number). */
  service?: string;
  /** -d: the default pause, ms. */
  pauseMs?: number;
  /** -key name value pairs. */
  keys?: Record<string, string>;
  extraArgs?: string[];
  /** Killed (SIGTERM, then SIGKILL) when still running after this long. */
  timeoutSeconds?: number;
}

export interface SippResult {
  exitCode: number | null;
  successfulCalls: number;
  failedCalls: number;
  /** Incoming calls a UAS saw, or calls a UAC created. */
  createdCalls: number;
  retransmissions: number;
  stats: Record<string, string>;
  stdout: string;
  stderr: string;
  errors: string;
  /** Every "Aborting call ..." event from SIPp's error file (first line of each): why calls failed. */
  aborts: string[];
}

export interface SippProcess {
  pid: number;
  /** Resolves once SIPp's socket is bound (it is then ready for traffic). */
  ready: Promise<void>;
  done: Promise<SippResult>;
  /** Stops it (SIGUSR1 first so it writes its statistics, then SIGTERM/SIGKILL). */
  kill(): void;
}

/** Runs one SIPp process, tracked by its PID, with its statistics written to a CSV we read at the end. */
export function runSipp(o: SippOptions): SippProcess {
  const dir = tempDir('sipp-');
  const args = [
    ...(o.remote ? [o.remote] : []),
    '-sf',
    o.scenario,
    '-i',
    '127.0.0.1',
    '-p',
    String(o.localPort),
    '-t',
    o.transport === 'tcp' ? 't1' : 'u1',
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
    '1000',
    '-timeout_error',
  ];
  if (o.calls !== undefined) args.push('-m', String(o.calls));
  if (o.rate !== undefined) args.push('-r', String(o.rate));
  if (o.limit !== undefined) args.push('-l', String(o.limit));
  if (o.service !== undefined) args.push('-s', o.service);
  if (o.pauseMs !== undefined) args.push('-d', String(o.pauseMs));
  for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, v);
  args.push(...(o.extraArgs ?? []));
  if (o.timeoutSeconds) args.push('-timeout', `${o.timeoutSeconds}s`);

  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid!;
  track(pid);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('latin1');
  child.stderr.setEncoding('latin1');
  child.stdout.on('data', (c: string) => {
    stdout += c;
    if (stdout.length > 200_000) stdout = stdout.slice(-100_000);
  });
  child.stderr.on('data', (c: string) => {
    stderr += c;
  });
  const hardStop = setTimeout(() => stop(), ((o.timeoutSeconds ?? 60) + 10) * 1000);

  const done = new Promise<SippResult>((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(hardStop);
      untrack(pid);
      const stats = lastStats(dir);
      const num = (k: string): number => Number(stats[k] ?? 0);
      const errorsFile = readdirSync(dir).find((f) => f.startsWith('errors'));
      const errorText = errorsFile ? readFileSync(join(dir, errorsFile), 'latin1') : '';
      resolve({
        exitCode: code,
        successfulCalls: num('SuccessfulCall(C)'),
        failedCalls: num('FailedCall(C)'),
        createdCalls: num('TotalCallCreated'),
        retransmissions: num('Retransmissions(C)'),
        stats,
        stdout,
        stderr,
        errors: errorText.slice(-4000),
        aborts: [...errorText.matchAll(/Aborting call[^\n]*?(?=\d{4}-\d\d-\d\d\t|\r|\n|$)/g)].map(
          (m) => m[0],
        ),
      });
    });
  });

  const ready = waitBound(o.localPort, o.transport ?? 'udp', done);

  let stopping = false;
  function stop(): void {
    if (stopping || child.exitCode !== null) return;
    stopping = true;
    // SIGUSR1 makes SIPp dump its statistics and exit cleanly.
    child.kill('SIGUSR1');
    setTimeout(() => {
      if (child.exitCode === null) child.kill('SIGTERM');
    }, 1500).unref();
    setTimeout(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    }, 4000).unref();
  }
  return { pid, ready, done, kill: stop };
}

/** The last line of SIPp's statistics CSV, as a record. */
function lastStats(dir: string): Record<string, string> {
  const file = join(dir, 'stat.csv');
  if (!existsSync(file)) return {};
  const lines = readFileSync(file, 'latin1').trim().split('\n');
  if (lines.length < 2) return {};
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  return Object.fromEntries(head.map((h, i) => [h, last[i] ?? '']));
}

/** Waits until a socket is bound on the port (read from /proc/net), or the process ended. */
async function waitBound(
  port: number,
  transport: 'udp' | 'tcp',
  done: Promise<unknown>,
): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const table = transport === 'udp' ? '/proc/net/udp' : '/proc/net/tcp';
  let ended = false;
  void done.then(() => {
    ended = true;
  });
  for (let i = 0; i < 200 && !ended; i++) {
    const text = readFileSync(table, 'latin1');
    if (text.includes(`:${hex} `)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Writes a copy of a scenario with `__NAME__` placeholders filled in (SIPp reads
 * status codes at load time, so they cannot come from -key) and returns its path.
 */
export function renderScenario(file: string, vars: Record<string, string | number>): string {
  let xml = readFileSync(file, 'latin1');
  for (const [k, v] of Object.entries(vars))
    xml = xml.split(`__${k.toUpperCase()}__`).join(String(v));
  const out = join(tempDir('sipp-scn-'), file.split('/').pop()!);
  writeFileSync(out, xml, 'latin1');
  return out;
}
