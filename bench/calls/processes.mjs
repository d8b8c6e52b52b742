// Process helpers for bench/calls: spawn tracked by PID, CPU time from
// /proc/PID/stat (the process and its descendants), free loopback ports.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer, connect } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';

const TICKS_PER_SECOND = 100;
const started = new Set();

/** Spawns a child we own; every one still running is SIGKILLed when the bench exits. */
export function startProcess(cmd, args, { cpus, ...opts } = {}) {
  // taskset execs the command in its own process: the PID held is the command's.
  const [file, argv] = cpus ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  started.add(child);
  child.on('exit', () => started.delete(child));
  return child;
}

export function killAllStarted() {
  for (const c of started) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAllStarted);

/** Waits for a child's exit, SIGKILLing it after the bound. */
export function waitExit(child, boundMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, boundMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

function statOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces: count fields after its ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields 4, 14 and 15 (parent, user and system time), and 39 (the CPU it last ran on).
    return {
      ppid: Number(rest[1]),
      ticks: Number(rest[11]) + Number(rest[12]),
      cpu: Number(rest[36]),
    };
  } catch {
    return undefined;
  }
}

/** The PIDs of a process and all its descendants (Kamailio forks its workers). */
export function processTree(rootPid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = statOf(Number(name));
    if (!s) continue;
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(Number(name));
  }
  const out = [rootPid];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}

/** The CPU a process's main thread last ran on; undefined once it is gone. */
export function lastCpu(pid) {
  return statOf(pid)?.cpu;
}

/** The CPUs this process may run on (its affinity list), e.g. [0, 1]. */
export function allowedCpus() {
  try {
    const list = /Cpus_allowed_list:\s*(\S+)/.exec(
      readFileSync('/proc/self/status', 'latin1'),
    )?.[1];
    if (list)
      return list.split(',').flatMap((r) => {
        const [a, b = a] = r.split('-').map(Number);
        return Array.from({ length: b - a + 1 }, (_, i) => a + i);
      });
  } catch {
    // not Linux: the count below
  }
  return Array.from({ length: cpus().length }, (_, i) => i);
}

/** CPU seconds (user + system) used so far by these PIDs. */
export function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) ticks += statOf(pid)?.ticks ?? 0;
  return ticks / TICKS_PER_SECOND;
}

/** Resident set size of a process, bytes. */
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function udpFree(port) {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const handedOut = new Set();
/** A loopback UDP port free right now, never handed out twice in this run. */
export async function freeUdpPort() {
  for (let i = 0; i < 500; i++) {
    const p = 20000 + Math.floor(Math.random() * 40000);
    if (handedOut.has(p)) continue;
    if (await udpFree(p)) {
      handedOut.add(p);
      return p;
    }
  }
  throw new Error('no free UDP port on 127.0.0.1');
}

/** Resolves once something is bound to the UDP port (seen in /proc/net/udp), or after the bound. */
export async function waitUdpBound(port, boundMs = 5000) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    if (readFileSync('/proc/net/udp', 'latin1').includes(hex)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A loopback TCP port free right now. */
export function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function tcpOpen(port) {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
