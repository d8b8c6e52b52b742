import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallRecord } from '../../../src/observability/call-record.js';
import { freePort } from './ports.js';
import { tempDir } from '../../temp-dir.js';

const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));

export interface TrunkrouteOptions {
  /** The route table, written to a file the server reads (YAML or JSON text, or an object). */
  routes: string | object;
  /** Server config keys merged over the defaults the harness sets (listen ports, API port). */
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  sipPort?: number;
  apiPort?: number;
}

export interface TrunkrouteProcess {
  pid: number;
  sipPort: number;
  apiPort: number;
  dir: string;
  routesFile: string;
  /** Every JSON log line so far. */
  logs: Array<Record<string, unknown>>;
  /** The per-call records (log lines with msg "call"). */
  records(): CallRecord[];
  waitForRecords(count: number, timeoutMs?: number): Promise<CallRecord[]>;
  waitForLog(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM, then waits for the exit (SIGKILL after the bound). */
  stop(timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
  stderr(): string;
}

/** Starts `node dist/cli.js serve` on free loopback ports and waits until it listens. */
export async function startTrunkroute(opts: TrunkrouteOptions): Promise<TrunkrouteProcess> {
  const dir = tempDir('trunkroute-e2e-');
  const routesFile = join(dir, typeof opts.routes === 'string' ? 'routes.yaml' : 'routes.json');
  writeFileSync(
    routesFile,
    typeof opts.routes === 'string' ? opts.routes : JSON.stringify(opts.routes, null, 2),
  );
  const sipPort = opts.sipPort ?? (await freePort('both'));
  const apiPort = opts.apiPort ?? (await freePort('tcp'));
  const config = deepMerge(
    {
      sip: { listen: [`udp:127.0.0.1:${sipPort}`, `tcp:127.0.0.1:${sipPort}`] },
      routes: { source: 'file', file: routesFile },
      api: { port: apiPort },
      log: { level: 'info' },
    },
    opts.config ?? {},
  );
  const configFile = join(dir, 'trunkroute.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--config', configFile], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let err = '';
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: 'non-json', line });
      }
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const deadline = setTimeout(() => {
        reject(new Error(`timed out waiting for ${what}; stderr: ${err.slice(-2000)}`));
      }, timeoutMs);
      const poll = (): void => {
        const v = check();
        if (v !== undefined) {
          clearTimeout(deadline);
          resolve(v);
        } else waiters.push(poll);
      };
      void exited.then(() => {
        const v = check();
        if (v === undefined) {
          clearTimeout(deadline);
          reject(
            new Error(`trunkroute exited while waiting for ${what}; stderr: ${err.slice(-2000)}`),
          );
        }
      });
      poll();
    });

  const records = (): CallRecord[] =>
    logs.filter((l) => l.msg === 'call').map((l) => l.call as CallRecord);

  const proc: TrunkrouteProcess = {
    pid: child.pid!,
    sipPort,
    apiPort,
    dir,
    routesFile,
    logs,
    records,
    waitForRecords: (count, timeoutMs = 15_000) =>
      waitFor(
        () => (records().length >= count ? records() : undefined),
        timeoutMs,
        `${count} call records`,
      ),
    waitForLog: (pred, timeoutMs = 10_000) =>
      waitFor(() => logs.find(pred), timeoutMs, 'a log line'),
    stop: async (timeoutMs = 10_000) => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    exited,
    stderr: () => err,
  };
  await proc.waitForLog((l) => l.msg === 'listening', 15_000);
  return proc;
}

function deepMerge(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      cur &&
      typeof cur === 'object' &&
      !Array.isArray(cur)
    ) {
      out[k] = deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}
