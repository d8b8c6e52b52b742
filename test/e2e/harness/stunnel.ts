import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { track, untrack } from './children.js';
import { tempDir } from '../../temp-dir.js';

/**
 * stunnel between SIPp and trunkroute's TLS: Debian's SIPp is built without
 * OpenSSL (`sipp -t l1` refuses), so the tests run SIPp over TCP and let stunnel
 * do the TLS leg. client: accept TCP on `accept`, connect TLS to `connect`;
 * server: accept TLS on `accept` with `cert`, connect TCP to `connect`.
 */
export interface StunnelOptions {
  mode: 'client' | 'server';
  /** Loopback port stunnel listens on. */
  accept: number;
  /** host:port it connects to. */
  connect: string;
  /** server mode: the certificate it presents. */
  cert?: { cert: string; key: string };
}

export interface StunnelProcess {
  pid: number;
  /** The log stunnel wrote (handshake failures show up here). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts stunnel in the foreground, tracked by PID, and waits until its port accepts. */
export async function startStunnel(o: StunnelOptions): Promise<StunnelProcess> {
  const dir = tempDir('stunnel-');
  const logFile = join(dir, 'stunnel.log');
  const lines = [
    'foreground = yes',
    'pid =',
    `output = ${logFile}`,
    'debug = info',
    '[sip]',
    `client = ${o.mode === 'client' ? 'yes' : 'no'}`,
    `accept = 127.0.0.1:${o.accept}`,
    `connect = ${o.connect}`,
  ];
  if (o.cert) lines.push(`cert = ${o.cert.cert}`, `key = ${o.cert.key}`);
  // Client mode does not verify trunkroute's certificate: what is under test is
  // trunkroute's side of the handshake, not stunnel's.
  if (o.mode === 'client') lines.push('verifyChain = no');
  const conf = join(dir, 'stunnel.conf');
  writeFileSync(conf, lines.join('\n') + '\n');
  const child = spawn('stunnel', [conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pid = child.pid!;
  track(pid);
  let stderr = '';
  child.stderr.setEncoding('latin1');
  child.stderr.on('data', (c: string) => (stderr += c));
  let exited = false;
  const exit = new Promise<void>((r) =>
    child.on('exit', () => {
      exited = true;
      untrack(pid);
      r();
    }),
  );
  const log = (): string => {
    try {
      return readFileSync(logFile, 'latin1') + stderr;
    } catch {
      return stderr;
    }
  };
  for (let i = 0; i < 200 && !exited; i++) {
    if (await accepts(o.accept)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  if (exited || !(await accepts(o.accept)))
    throw new Error(`stunnel did not start listening on ${o.accept}:\n${log()}`);
  return {
    pid,
    log,
    async stop() {
      if (exited) return;
      process.kill(pid, 'SIGTERM');
      const t = setTimeout(() => !exited && process.kill(pid, 'SIGKILL'), 3000);
      await exit;
      clearTimeout(t);
    },
  };
}

/**
 * True once something listens on the loopback port, read from /proc/net/tcp
 * (state 0A = LISTEN), so the probe opens no connection stunnel would relay.
 */
function accepts(port: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const text = readFileSync('/proc/net/tcp', 'latin1');
  return Promise.resolve(
    text.split('\n').some((l) => {
      const f = l.trim().split(/\s+/);
      return f[1]?.endsWith(`:${hex}`) === true && f[3] === '0A';
    }),
  );
}
