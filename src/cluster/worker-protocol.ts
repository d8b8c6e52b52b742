/**
 * What passes between the primary and its SIP workers (docs/workers.md): the
 * worker's identity in its environment, and two IPC messages.
 */
export interface WorkerIdentity {
  index: number;
  count: number;
  /** Shared by the workers of one start: authenticates relayed datagrams. */
  key: string;
}

/** worker → primary: my relay socket is bound (sent after every start). */
export interface RelayPortMessage {
  type: 'trunkroute:relay-port';
  index: number;
  port: number;
}

/** primary → workers: every worker's relay port, by index. */
export interface PeersMessage {
  type: 'trunkroute:peers';
  ports: number[];
}

export const WORKER_ENV = {
  index: 'TRUNKROUTE_WORKER_INDEX',
  count: 'TRUNKROUTE_WORKER_COUNT',
  key: 'TRUNKROUTE_WORKER_KEY',
} as const;

/** This process's worker identity, when the primary started it as a worker. */
export function workerFromEnv(env: NodeJS.ProcessEnv): WorkerIdentity | undefined {
  const index = Number(env[WORKER_ENV.index]);
  const count = Number(env[WORKER_ENV.count]);
  const key = env[WORKER_ENV.key];
  if (!key || !Number.isInteger(index) || !Number.isInteger(count) || count < 2) return undefined;
  if (index < 0 || index >= count) return undefined;
  return { index, count, key };
}

export function isPeersMessage(m: unknown): m is PeersMessage {
  return (
    typeof m === 'object' &&
    m !== null &&
    (m as PeersMessage).type === 'trunkroute:peers' &&
    Array.isArray((m as PeersMessage).ports)
  );
}

export function isRelayPortMessage(m: unknown): m is RelayPortMessage {
  return (
    typeof m === 'object' &&
    m !== null &&
    (m as RelayPortMessage).type === 'trunkroute:relay-port' &&
    typeof (m as RelayPortMessage).index === 'number' &&
    typeof (m as RelayPortMessage).port === 'number'
  );
}
