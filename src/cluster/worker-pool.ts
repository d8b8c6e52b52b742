import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import { isRelayPortMessage, WORKER_ENV, type PeersMessage } from './worker-protocol.js';

export interface WorkerPoolOptions {
  count: number;
  /** proxy.record_route_secret; when empty one random key is made for all workers. */
  recordRouteSecret: string;
  log: Logger;
  /** A worker that dies is started again, unless this many died within a minute. */
  maxRestartsPerMinute?: number;
}

/**
 * The primary of `workers.count` SIP workers (docs/workers.md). It holds the
 * shared UDP listeners (node:cluster creates them on the first worker's bind and
 * hands the same socket to every worker), tells each worker where the others'
 * relay sockets are, starts a worker again when it dies, and on SIGTERM/SIGINT
 * lets every worker drain and waits for them. Resolves with the exit code.
 */
export function runWorkerPool(opts: WorkerPoolOptions): Promise<number> {
  const { count, log } = opts;
  const key = randomBytes(16).toString('hex');
  // Every worker must sign and check Record-Route with the same key: an
  // in-dialog request may come back after its worker was replaced.
  const secret = opts.recordRouteSecret || randomBytes(32).toString('hex');
  const ports: Array<number | undefined> = new Array<number | undefined>(count).fill(undefined);
  const byIndex = new Map<number, Worker>();
  const deaths: number[] = [];
  let stopping = false;
  let failed = false;
  let announced = false;

  return new Promise<number>((resolve) => {
    const start = (index: number): void => {
      const w = cluster.fork({
        [WORKER_ENV.index]: String(index),
        [WORKER_ENV.count]: String(count),
        [WORKER_ENV.key]: key,
        TRUNKROUTE_PROXY_RECORD_ROUTE_SECRET: secret,
      });
      byIndex.set(index, w);
      w.on('message', (m: unknown) => {
        if (!isRelayPortMessage(m) || m.index !== index) return;
        ports[index] = m.port;
        broadcast();
      });
      w.on('exit', (code, signal) => {
        if (byIndex.get(index) === w) byIndex.delete(index);
        ports[index] = undefined;
        if (stopping) {
          if (code !== 0) failed = true;
          if (byIndex.size === 0) {
            log.info({}, 'workers stopped');
            resolve(failed ? 1 : 0);
          }
          return;
        }
        const now = Date.now();
        deaths.push(now);
        while (deaths.length && deaths[0]! < now - 60_000) deaths.shift();
        log.error({ worker: index, code, signal }, 'worker died');
        if (deaths.length > (opts.maxRestartsPerMinute ?? 5)) {
          log.error({ deaths: deaths.length }, 'workers keep dying: stopping');
          failed = true;
          stop();
          if (byIndex.size === 0) resolve(1);
          return;
        }
        start(index);
      });
    };

    // Until every worker is up, each one handles only the calls it owns (docs/workers.md).
    const broadcast = (): void => {
      if (ports.some((p) => p === undefined)) return;
      const msg: PeersMessage = { type: 'trunkroute:peers', ports: ports as number[] };
      for (const w of byIndex.values()) if (w.isConnected()) w.send(msg);
      if (!announced) log.info({ workers: count, pids: pids() }, 'workers ready');
      announced = true;
    };

    const pids = (): number[] => [...byIndex.values()].map((w) => w.process.pid ?? 0);

    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      for (const w of byIndex.values()) w.process.kill('SIGTERM');
    };

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        log.info({ signal }, 'shutting down workers');
        stop();
      });
    }

    for (let i = 0; i < count; i++) start(i);
  });
}
