import { randomInt } from 'node:crypto';
import type { ServerConfig } from './config/load-config.js';
import { createRouteStore } from './store/create-route-store.js';
import type { RouteStore } from './store/route-store.js';
import { createApiServer } from './api/api-server.js';
import { TransportLayer } from './sip/transport/transport-layer.js';
import { TransactionLayer } from './sip/transaction/transaction-layer.js';
import { ProxyCore } from './proxy/proxy-core.js';
import { ProxyIdentity } from './proxy/proxy-identity.js';
import { explainPlan, planCall } from './routing/index.js';
import { systemClock } from './util/clock.js';
import { callRecordLogger, type Logger } from './observability/logger.js';
import { keepStringMethodsFast } from './util/fast-string-prototype.js';
import { parseListen } from './config/parse-listen.js';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { HealthMonitor, type HealthDefaults } from './health/health-monitor.js';
import { LocalLimitCounter, type LimitCounter } from './health/limit-counter.js';
import { RedisLimitCounter } from './health/redis-limit-counter.js';
import { RedisBreakerSync } from './health/redis-breaker-sync.js';
import { optionsProbe } from './proxy/options-probe.js';
import { OverloadGuard } from './proxy/overload-guard.js';
import { LoadShedder } from './proxy/load-shedder.js';
import { shedTag } from './proxy/shed-tag.js';
import { Metrics } from './observability/metrics.js';
import { CallRecordStream } from './observability/call-record-stream.js';
import { SelfLoad } from './health/self-load.js';
import {
  isPeersMessage,
  type RelayPortMessage,
  type WorkerIdentity,
} from './cluster/worker-protocol.js';

export interface RunningServer {
  proxy: ProxyCore;
  store: RouteStore;
  health: HealthMonitor;
  metrics: Metrics;
  /** Stops taking calls, lets calls in setup finish within the bound, then closes everything. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * Wiring only: config → store → transports → transactions → proxy → admin API.
 * `worker`: this process is one of workers.count SIP workers (docs/workers.md).
 */
export async function startServer(
  config: ServerConfig,
  log: Logger,
  worker?: WorkerIdentity,
): Promise<RunningServer> {
  // Every module is loaded by now, ioredis's String subclass included (docs/performance.md).
  keepStringMethodsFast();
  const store = createRouteStore(config, log);
  await store.start();
  // Settings stated for the server are shared out among its workers.
  const share = (n: number): number => (worker && n > 0 ? Math.ceil(n / worker.count) : n);
  // The To tag of shed INVITEs' 503s: their ACKs are absorbed unread.
  const overloadTag = shedTag(worker?.key);

  const transport = new TransportLayer(config.sip.listen.map(parseListen), {
    maxMessageSize: config.sip.max_message_size,
    tcpIdleTimeoutMs: config.sip.tcp_idle_timeout_ms,
    tcpMessageTimeoutMs: config.sip.tcp_message_timeout_ms,
    udpBufferBytes: config.sip.udp_buffer_bytes,
    tlsServer: config.sip.tls.cert_file
      ? {
          certFile: config.sip.tls.cert_file,
          keyFile: config.sip.tls.key_file,
          reloadIntervalMs: config.sip.tls.reload_interval_ms,
        }
      : undefined,
    tlsCaFile: config.sip.tls.ca_file || undefined,
    tlsReloadIntervalMs: config.sip.tls.reload_interval_ms,
    worker,
    shedTag: overloadTag,
    requestPort: requestPort(config, worker?.index),
    listenerHoldMs: config.sip.udp_listener_hold_ms,
    // A handler defect caught at the transport boundary is an error, not debug noise.
    log: (event, detail) => {
      if (event.includes('handler error')) log.error(detail, event);
      // An operator wants to see a certificate swap, and above all one that failed.
      else if (event === 'tls certificate reload failed' || event === 'tls connect failed')
        log.warn(detail, event);
      else if (event === 'tls certificate reloaded') log.info(detail, event);
      else log.debug(detail, event);
    },
  });
  await transport.start();
  const onPeers = (m: unknown): void => {
    if (isPeersMessage(m)) transport.setWorkerPeers(m.ports);
  };
  if (worker && process.send) {
    process.on('message', onPeers);
    const hello: RelayPortMessage = {
      type: 'trunkroute:relay-port',
      index: worker.index,
      port: transport.relayPort ?? 0,
    };
    process.send(hello);
  }

  // Each worker measures and sheds on its own event loop.
  const shedder = new LoadShedder(
    {
      targetUtilization: config.proxy.shed_utilization,
      sampleMs: config.proxy.shed_sample_ms,
      overloadedAfterMs: config.proxy.shed_after_ms,
      queueDelayMs: config.proxy.shed_queue_delay_ms,
    },
    undefined,
    undefined,
    { probe: () => transport.probeQueues(), delayMs: (age) => transport.queueDelayMs(age) },
  );
  shedder.start();
  const transactions = new TransactionLayer({
    transport,
    clock: systemClock,
    timers: { T1: config.sip.t1_ms, T2: config.sip.t2_ms, T4: config.sip.t4_ms },
    maxServerTransactions: share(config.sip.max_server_transactions),
    // RFC 3261 17.2.1's 200 ms count from the INVITE's arrival (docs/proxy.md, Overload).
    queuedMs: () => shedder.queueDelayMs,
    log: (event, detail) => log.debug(detail, event),
  });
  const identity = new ProxyIdentity(
    transport,
    config.sip.advertised_address,
    config.proxy.record_route_secret,
  );
  // Weighted choices only need a uniform draw; crypto's is fast enough and not guessable.
  const random = (): number => randomInt(0, 2 ** 47) / 2 ** 47;
  const instance = `${hostname()}:${process.pid}`;
  const shared = config.redis.url ? sharedHealthRedis(config.redis.url) : undefined;
  const counter: LimitCounter = shared
    ? new RedisLimitCounter({
        redis: shared.cmd,
        keyPrefix: config.redis.key_prefix,
        instanceId: instance,
        leaseMs: config.health.lease_ms,
        now: () => systemClock.wallNow(),
        log: (event, detail) => log.warn(detail, event),
      })
    : new LocalLimitCounter(() => systemClock.wallNow());
  let health: HealthMonitor | undefined = undefined;
  const sync = shared
    ? new RedisBreakerSync({
        cmd: shared.cmd,
        sub: shared.sub,
        keyPrefix: config.redis.key_prefix,
        instanceId: instance,
        pollMs: config.health.sync_poll_ms,
        gateways: () => health?.gatewayKeys() ?? [],
        onRemote: (ev) => health?.applyRemote(ev),
      })
    : undefined;
  const selfLoad = new SelfLoad(config.health.self_busy_utilization);
  selfLoad.start();
  health = new HealthMonitor({
    selfBusy: (ms) => selfLoad.busyWithin(ms),
    clock: systemClock,
    defaults: healthDefaults(config),
    counter,
    probe: optionsProbe(transactions, identity, systemClock),
    sharing: sync,
    onEvent: (event, detail) => log.info(detail, event),
  });
  const monitor = health;
  monitor.setTable(store.snapshot().table);

  const metrics = new Metrics({
    sipCounters: () => transport.counters,
    transactions: () => ({ ...transactions.size, ...transactions.refused }),
    activeCalls: () =>
      store.snapshot().table.providers.map((p) => ({
        provider: p.id,
        calls: monitor.activeCalls(p.id),
      })),
    gateways: () => monitor.gateways(),
    routeVersion: () => store.snapshot().version,
    selfLoad: () => ({
      utilization: selfLoad.utilization,
      timeoutsWhileBusy: monitor.timeoutsWhileBusy,
    }),
    admittedShare: () => shedder.admittedShare,
  });
  store.onChange((s) => {
    monitor.setTable(s.table);
    metrics.reload('applied');
  });
  store.onRefuse(() => metrics.reload('refused'));
  const stream =
    shared && config.records.stream_max_len > 0
      ? new CallRecordStream(
          shared.cmd,
          `${config.redis.key_prefix}calls`,
          config.records.stream_max_len,
        )
      : undefined;

  const recordLog = callRecordLogger(log);
  const proxy = new ProxyCore({
    transactions,
    identity,
    clock: systemClock,
    random,
    routes: () => store.snapshot().compiled,
    health: monitor,
    overload: new OverloadGuard(
      {
        sourceRate: share(config.proxy.source_invite_rate),
        maxCallsInSetup: share(config.proxy.max_calls_in_setup),
        maxSources: config.proxy.max_tracked_sources,
      },
      () => systemClock.now(),
      // Off (0): no shedder, so the guard does not even look the source up.
      config.proxy.shed_utilization > 0 ? shedder : undefined,
    ),
    onOverload: (reason) => metrics.overload(reason),
    onRepeatUnanswered: () => metrics.overloadRepeatUnanswered(),
    settings: {
      mode: config.proxy.mode,
      redirectStatus: config.proxy.redirect_status,
      maxForwards: config.proxy.max_forwards,
      supportedExtensions: config.proxy.supported_extensions,
      recordRoute: config.proxy.record_route,
      shedTag: overloadTag,
      ringTimeoutMs: config.proxy.ring_timeout_ms,
      maxCallMs: config.health.max_call_ms,
      // At least one: a cap of 0 would write every answered call at once as a timeout.
      maxEstablishedCalls: share(Math.max(1, config.records.max_established_calls)),
    },
    onSetupEnd: (record) => metrics.observeSetup(record),
    onCallRecord: (record) => {
      record.instance = instance;
      metrics.observeRecord(record);
      recordLog.info({ call: record }, 'call');
      stream?.append(record);
    },
    log: (event, detail) => log.error(detail, event),
  });
  transactions.setUser(proxy);

  const api = config.api.enabled
    ? createApiServer({
        // Worker i serves its own /health and /metrics on api.port + i.
        config:
          worker && config.api.port
            ? { ...config.api, port: config.api.port + worker.index }
            : config.api,
        store,
        log,
        explain: (destination, source, customer) => {
          const plan = planCall(
            store.snapshot().compiled,
            {
              destination,
              sourceAddress: source,
              customerHeader: customer,
              // explain shows what a call would get now: open breakers and full providers included.
              gatewayOpen: (k) => monitor.gatewayOpen(k),
              providerAtLimit: (p) => monitor.providerAtLimit(p),
            },
            random,
            systemClock.wallNow(),
          );
          return { ...plan, text: explainPlan(plan) };
        },
        health: () => {
          const st = store.status();
          return {
            ok: true,
            details: {
              ...st,
              calls_in_setup: proxy.callsInSetup,
              answered_calls_held: monitor.heldCalls,
              answered_calls_up: proxy.establishedCalls,
              transactions: transactions.size,
              memory: process.memoryUsage(),
              gateways: monitor.gateways(),
            },
          };
        },
        metrics: () => metrics.text(),
      })
    : undefined;
  const apiAddress = api ? await api.start() : undefined;

  log.info(
    {
      sip: config.sip.listen,
      api: apiAddress,
      worker: worker?.index,
      routes: { source: config.routes.source, version: store.snapshot().version },
    },
    'listening',
  );

  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs = config.proxy.shutdown_grace_ms): Promise<void> => {
    stopping ??= (async () => {
      proxy.drain();
      log.info({ calls_in_setup: proxy.callsInSetup, grace_ms: graceMs }, 'draining');
      const deadline = systemClock.now() + graceMs;
      while (proxy.callsInSetup > 0 && systemClock.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      proxy.abortAll();
      // Answered calls outlive us only as records: each is written now, before
      // the stream's connection and the log close.
      proxy.endEstablished();
      // Give the final responses and CANCELs a moment on the wire before the sockets close.
      await new Promise((r) => setTimeout(r, 100));
      await api?.stop();
      monitor.close();
      selfLoad.close();
      shedder.close();
      sync?.close();
      await counter.close();
      transactions.close();
      await transport.close();
      await store.stop();
      if (shared) await Promise.all([shared.cmd.quit(), shared.sub.quit()]).catch(() => {});
      // The IPC channel would keep a worker alive after everything else closed.
      if (worker) {
        process.off('message', onPeers);
        process.disconnect?.();
      }
      log.info({}, 'stopped');
    })();
    return stopping;
  };
  return { proxy, store, health: monitor, metrics, shutdown };
}

/** The server's health settings as the monitor takes them (per-provider entries override them). */
function healthDefaults(config: ServerConfig): HealthDefaults {
  const h = config.health;
  return {
    probe: {
      enabled: h.probe_enabled,
      intervalMs: h.probe_interval_ms,
      timeoutMs: h.probe_timeout_ms,
      aliveCodes: h.probe_alive_codes,
      downAfter: h.probe_down_after,
      upAfter: h.probe_up_after,
    },
    breaker: {
      failures: h.breaker_failures,
      windowMs: h.breaker_window_ms,
      cooldownMs: h.breaker_cooldown_ms,
    },
    maxCallMs: h.max_call_ms,
  };
}

/**
 * Two connections for shared health (commands, and pub/sub which needs its own),
 * apart from the route store's: a slow table write never delays a call slot.
 * They connect in the background and reconnect for ever; until then limits are
 * counted locally.
 */
function sharedHealthRedis(url: string): { cmd: Redis; sub: Redis } {
  const opts = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
  const cmd = new Redis(url, opts);
  const sub = new Redis(url, opts);
  cmd.on('error', () => {});
  sub.on('error', () => {});
  return { cmd, sub };
}

/**
 * The port of the own UDP request socket (sip.udp_request_socket; always with
 * workers), or undefined for none: worker i (a single process is 0) sends from
 * request_port_base + i, or from a port the system chooses when that is 0.
 */
function requestPort(config: ServerConfig, workerIndex: number | undefined): number | undefined {
  if (workerIndex === undefined && !config.sip.udp_request_socket) return undefined;
  const base = config.workers.request_port_base;
  return base ? base + (workerIndex ?? 0) : 0;
}
