import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { freePort } from './ports.js';
import { renderScenario, runSipp, type SippProcess, type SippResult } from './sipp.js';
import { startTrunkroute, type TrunkrouteProcess } from './trunkroute.js';
import { tempDir } from '../../temp-dir.js';

/** The repository's SIPp scenario folder. */
export const SCENARIOS = fileURLToPath(new URL('../../../sipp-scenarios/', import.meta.url));

export type Transport = 'udp' | 'tcp';

export interface ProviderTrunk {
  id: string;
  port: number;
  transport: Transport;
  /** The gateway key trunkroute's records, metrics and logs use: `udp:127.0.0.1:PORT`. */
  key: string;
  /** Absent when the trunk is only an address (nothing listens, or the test owns the socket). */
  sipp?: SippProcess;
}

export type ProviderBehaviour =
  /** `probed`: also answers OPTIONS (each probe counts as one SIPp call). */
  | { answer: true; delayMs?: number; probed?: boolean }
  | { reject: number; reason?: string }
  /** 503 with Retry-After: this many seconds. */
  | { retryAfter: number }
  | { ring: true }
  | { silent: true }
  /** Any scenario file (from sipp-scenarios/ or rendered), run as a UAS. */
  | { scenario: string };

export interface CallOptions {
  scenario?: string;
  calls?: number;
  rate?: number;
  limit?: number;
  transport?: Transport;
  /** The final status the caller must get (caller-expect-final.xml). */
  expect?: number;
  /** The pause between the ACK and the BYE (SIPp -d). */
  holdMs?: number;
  service?: string;
  keys?: Record<string, string>;
  extraArgs?: string[];
  timeoutSeconds?: number;
}

/**
 * One test's processes (SIPp providers and callers, trunkroute), all stopped by
 * `stopAll` in reverse start order. The same building blocks as the proxy
 * failover suite, shared so the hardening suites read the same way.
 */
export class Scene {
  private readonly running: Array<{ stop(): Promise<unknown> }> = [];

  /** A scratch folder for files a test writes. */
  tempDir(): string {
    return tempDir('trunkroute-scene-');
  }

  async stopAll(): Promise<void> {
    for (const r of this.running.splice(0).reverse()) await r.stop();
  }

  /** Registers something else to stop at the end of the test. */
  onStop(stop: () => Promise<unknown>): void {
    this.running.push({ stop });
  }

  async provider(
    id: string,
    behaviour: ProviderBehaviour,
    opts: {
      transport?: Transport;
      calls?: number;
      extraArgs?: string[];
      timeoutSeconds?: number;
      port?: number;
    } = {},
  ): Promise<ProviderTrunk> {
    const transport = opts.transport ?? 'udp';
    const port = opts.port ?? (await freePort('both'));
    const p: ProviderTrunk = { id, port, transport, key: `${transport}:127.0.0.1:${port}` };
    if ('silent' in behaviour) return p;
    const scenario =
      'scenario' in behaviour
        ? behaviour.scenario
        : 'answer' in behaviour
          ? join(SCENARIOS, behaviour.probed ? 'provider-answer-probed.xml' : 'provider-answer.xml')
          : 'retryAfter' in behaviour
            ? renderScenario(join(SCENARIOS, 'provider-retry-after.xml'), {
                retry_after: behaviour.retryAfter,
              })
            : 'ring' in behaviour
              ? join(SCENARIOS, 'provider-ring.xml')
              : renderScenario(join(SCENARIOS, 'provider-reject.xml'), {
                  status: behaviour.reject,
                  reason: behaviour.reason ?? 'Rejected By Test Provider',
                });
    const sipp = runSipp({
      scenario,
      localPort: port,
      transport,
      calls: opts.calls ?? 1,
      pauseMs: 'answer' in behaviour ? (behaviour.delayMs ?? 0) : undefined,
      extraArgs: opts.extraArgs,
      timeoutSeconds: opts.timeoutSeconds ?? 60,
    });
    p.sipp = sipp;
    this.running.push({ stop: async () => sipp.kill() });
    await sipp.ready;
    return p;
  }

  async trunkroute(
    table: object,
    config: Record<string, unknown> = {},
    env?: NodeJS.ProcessEnv,
  ): Promise<TrunkrouteProcess> {
    const tr = await startTrunkroute({ routes: table, config, env });
    this.running.push({ stop: () => tr.stop() });
    return tr;
  }

  /** Starts a SIPp caller against trunkroute (stopped with the scene). */
  async caller(tr: TrunkrouteProcess, opts: CallOptions = {}): Promise<SippProcess> {
    const scenario =
      opts.expect !== undefined
        ? renderScenario(join(SCENARIOS, 'caller-expect-final.xml'), { expect: opts.expect })
        : join(SCENARIOS, opts.scenario ?? 'caller-call.xml');
    const sipp = runSipp({
      scenario,
      remote: `127.0.0.1:${tr.sipPort}`,
      localPort: await freePort('both'),
      transport: opts.transport ?? 'udp',
      calls: opts.calls ?? 1,
      rate: opts.rate ?? 10,
      limit: opts.limit,
      pauseMs: opts.holdMs,
      service: opts.service ?? DIALLED,
      keys: opts.keys,
      extraArgs: opts.extraArgs,
      timeoutSeconds: opts.timeoutSeconds ?? 30,
    });
    this.running.push({ stop: async () => sipp.kill() });
    return sipp;
  }

  /** Runs a SIPp caller against trunkroute to completion; prints SIPp's errors when it failed. */
  async call(tr: TrunkrouteProcess, opts: CallOptions = {}): Promise<SippResult> {
    const result = await (await this.caller(tr, opts)).done;
    if (result.exitCode !== 0) {
      console.error(
        `caller sipp exit ${result.exitCode}: ${result.errors}\n${result.stdout.slice(-3000)}`,
      );
    }
    return result;
  }
}

/** The number the callers dial unless a test says otherwise. */
export const DIALLED = '+34911234567';

/** A route table with one gateway per provider, tried in the order given, for customer "pbx" on 127/8. */
export function routeTable(
  providers: ProviderTrunk[],
  extra: {
    routes?: Array<Record<string, unknown>>;
    settings?: Record<string, unknown>;
    customers?: Array<Record<string, unknown>>;
    providerFields?: Record<string, Record<string, unknown>>;
  } = {},
): object {
  return {
    settings: { default_trying_timeout_ms: 1000, ...extra.settings },
    providers: providers.map((p) => ({
      id: p.id,
      name: `Provider ${p.id}`,
      gateways: [{ uri: `sip:127.0.0.1:${p.port};transport=${p.transport}` }],
      ...extra.providerFields?.[p.id],
    })),
    customers: extra.customers ?? [{ id: 'pbx', name: 'Test PBX', sources: ['127.0.0.0/8'] }],
    routes:
      extra.routes ??
      providers.map((p, i) => ({
        id: `route-${p.id}`,
        name: `Route ${p.id}`,
        provider_id: p.id,
        priority: i + 1,
      })),
  };
}

/** Stops a SIPp provider and asserts it never saw a call (its statistics were read, and are zero). */
export async function expectNeverReached(p: ProviderTrunk): Promise<void> {
  p.sipp!.kill();
  const r = await p.sipp!.done;
  expect(r.stats).toHaveProperty('TotalCallCreated');
  expect(r.createdCalls).toBe(0);
}

/**
 * The health suites' table: one provider per trunk in the given order, each
 * trunk's `extra` fields added to its provider, customer "pbx" on 127/8 unless
 * `customer` says otherwise, a 2 s trying timeout.
 */
export function failoverTable(
  trunks: Array<ProviderTrunk & { extra?: Record<string, unknown> }>,
  settings: Record<string, unknown> = {},
  customer: Record<string, unknown> = {},
): object {
  return routeTable(trunks, {
    settings: { default_trying_timeout_ms: 2000, ...settings },
    providerFields: Object.fromEntries(trunks.map((t) => [t.id, t.extra ?? {}])),
    customers: [{ id: 'pbx', name: 'Test PBX', sources: ['127.0.0.0/8'], ...customer }],
  });
}
