import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { renderScenario, runSipp, type SippProcess, type SippResult } from './sipp.js';
import { startTrunkroute, type TrunkrouteProcess } from './trunkroute.js';

export const SCENARIOS = fileURLToPath(new URL('../../../sipp-scenarios/', import.meta.url));
export const NUMBER = '+34911234567';

export type ProviderBehaviour =
  | { answer: true; delayMs?: number; probed?: boolean }
  | { reject: number; reason?: string }
  | { retryAfter: number };

export interface ScenePeer {
  id: string;
  port: number;
  key: string;
  sipp: SippProcess;
}

/**
 * One end-to-end scene: SIPp providers, trunkroute processes and SIPp callers,
 * all on loopback, all stopped (by PID) by `stopAll`.
 */
export class Scene {
  private readonly running: Array<{ stop(): Promise<unknown> }> = [];

  /** A scratch folder for files a test writes. */
  tempDir(): string {
    return mkdtempSync(join(tmpdir(), 'trunkroute-scene-'));
  }

  async stopAll(): Promise<void> {
    for (const r of this.running.splice(0).reverse()) await r.stop();
  }

  /** A SIPp provider trunk; `port` reuses one (a restarted provider). */
  async provider(
    id: string,
    behaviour: ProviderBehaviour,
    opts: { calls?: number; port?: number } = {},
  ): Promise<ScenePeer> {
    const port = opts.port ?? (await freePort('both'));
    const scenario =
      'answer' in behaviour
        ? join(SCENARIOS, behaviour.probed ? 'provider-answer-probed.xml' : 'provider-answer.xml')
        : 'retryAfter' in behaviour
          ? renderScenario(join(SCENARIOS, 'provider-retry-after.xml'), {
              retry_after: behaviour.retryAfter,
            })
          : renderScenario(join(SCENARIOS, 'provider-reject.xml'), {
              status: behaviour.reject,
              reason: behaviour.reason ?? 'Rejected By Test Provider',
            });
    const sipp = runSipp({
      scenario,
      localPort: port,
      calls: opts.calls ?? 1000,
      pauseMs: 'answer' in behaviour ? (behaviour.delayMs ?? 0) : undefined,
      timeoutSeconds: 90,
    });
    this.running.push({ stop: async () => sipp.kill() });
    await sipp.ready;
    return { id, port, key: `udp:127.0.0.1:${port}`, sipp };
  }

  async trunkroute(
    table: object,
    config: Record<string, unknown> = {},
  ): Promise<TrunkrouteProcess> {
    const tr = await startTrunkroute({ routes: table, config });
    this.running.push({ stop: () => tr.stop() });
    return tr;
  }

  /** A SIPp caller towards trunkroute; `holdMs` is the pause between the ACK and the BYE. */
  async caller(tr: TrunkrouteProcess, opts: CallerOptions = {}): Promise<SippProcess> {
    const scenario =
      opts.expect !== undefined
        ? renderScenario(join(SCENARIOS, 'caller-expect-final.xml'), { expect: opts.expect })
        : join(SCENARIOS, 'caller-call.xml');
    const sipp = runSipp({
      scenario,
      remote: `127.0.0.1:${tr.sipPort}`,
      localPort: await freePort('both'),
      calls: opts.calls ?? 1,
      rate: opts.rate ?? 10,
      limit: opts.limit,
      pauseMs: opts.holdMs,
      service: NUMBER,
      timeoutSeconds: 60,
    });
    this.running.push({ stop: async () => sipp.kill() });
    return sipp;
  }

  /** Places calls and waits for SIPp to finish them. */
  async call(tr: TrunkrouteProcess, opts: CallerOptions = {}): Promise<SippResult> {
    return (await this.caller(tr, opts)).done;
  }
}

export interface CallerOptions {
  calls?: number;
  rate?: number;
  /** Concurrent calls at most (-l). */
  limit?: number;
  holdMs?: number;
  /** The final status the call must end with (default: a connected call). */
  expect?: number;
}

/** A route table: one provider per peer, tried in the order given (priority 1, 2, ...). */
export function failoverTable(
  peers: Array<ScenePeer & { extra?: Record<string, unknown> }>,
  settings: Record<string, unknown> = {},
  customer: Record<string, unknown> = {},
): object {
  return {
    settings: { default_trying_timeout_ms: 2000, ...settings },
    providers: peers.map((p) => ({
      id: p.id,
      gateways: [{ uri: `sip:127.0.0.1:${p.port};transport=udp` }],
      ...p.extra,
    })),
    customers: [{ id: 'pbx', name: 'Test PBX', sources: ['127.0.0.0/8'], ...customer }],
    routes: peers.map((p, i) => ({
      id: `route-${p.id}`,
      name: `Route ${p.id}`,
      provider_id: p.id,
      priority: i + 1,
    })),
  };
}
