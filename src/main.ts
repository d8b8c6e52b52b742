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
import type { Logger } from './observability/logger.js';
import { parseListen } from './config/parse-listen.js';

export interface RunningServer {
  proxy: ProxyCore;
  store: RouteStore;
  /** Stops taking calls, lets calls in setup finish within the bound, then closes everything. */
  shutdown(graceMs?: number): Promise<void>;
}

/** Wiring only: config → store → transports → transactions → proxy → admin API. */
export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  const store = createRouteStore(config, log);
  await store.start();

  const transport = new TransportLayer(config.sip.listen.map(parseListen), {
    maxMessageSize: config.sip.max_message_size,
    tcpIdleTimeoutMs: config.sip.tcp_idle_timeout_ms,
    // A handler defect caught at the transport boundary is an error, not debug noise.
    log: (event, detail) =>
      event.includes('handler error') ? log.error(detail, event) : log.debug(detail, event),
  });
  await transport.start();

  const transactions = new TransactionLayer({
    transport,
    clock: systemClock,
    timers: { T1: config.sip.t1_ms, T2: config.sip.t2_ms, T4: config.sip.t4_ms },
    log: (event, detail) => log.debug(detail, event),
  });
  const identity = new ProxyIdentity(transport, config.sip.advertised_address);
  // Weighted choices only need a uniform draw; crypto's is fast enough and not guessable.
  const random = (): number => randomInt(0, 2 ** 47) / 2 ** 47;
  const proxy = new ProxyCore({
    transactions,
    identity,
    clock: systemClock,
    random,
    routes: () => store.snapshot().compiled,
    settings: {
      mode: config.proxy.mode,
      redirectStatus: config.proxy.redirect_status,
      maxForwards: config.proxy.max_forwards,
      supportedExtensions: config.proxy.supported_extensions,
      recordRoute: config.proxy.record_route,
      ringTimeoutMs: config.proxy.ring_timeout_ms,
    },
    onCallRecord: (record) => log.info({ call: record }, 'call'),
    log: (event, detail) => log.error(detail, event),
  });
  transactions.setUser(proxy);

  const api = config.api.enabled
    ? createApiServer({
        config: config.api,
        store,
        log,
        explain: (destination, source, customer) => {
          const plan = planCall(
            store.snapshot().compiled,
            { destination, sourceAddress: source, customerHeader: customer },
            random,
            systemClock.wallNow(),
          );
          return { ...plan, text: explainPlan(plan) };
        },
        health: () => {
          const st = store.status();
          return { ok: true, details: { ...st, calls_in_setup: proxy.callsInSetup } };
        },
      })
    : undefined;
  const apiAddress = api ? await api.start() : undefined;

  log.info(
    {
      sip: config.sip.listen,
      api: apiAddress,
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
      // Give the final responses and CANCELs a moment on the wire before the sockets close.
      await new Promise((r) => setTimeout(r, 100));
      await api?.stop();
      transactions.close();
      await transport.close();
      await store.stop();
      log.info({}, 'stopped');
    })();
    return stopping;
  };
  return { proxy, store, shutdown };
}
