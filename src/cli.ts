#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from './config/load-config.js';
import { checkConfig } from './config/check-config.js';
import { createLogger } from './observability/logger.js';
import {
  compileTable,
  explainPlan,
  parseRouteFile,
  planCall,
  seededRandom,
} from './routing/index.js';
import { startServer } from './main.js';
import cluster from 'node:cluster';
import { runWorkerPool } from './cluster/worker-pool.js';
import { workerFromEnv } from './cluster/worker-protocol.js';

const USAGE = `usage:
  trunkroute serve [--config FILE] [--routes FILE] [--listen udp:ADDR:PORT,tcp:ADDR:PORT,tls:ADDR:PORT] [--api-port N] [--log-level LEVEL]
  trunkroute check-config [--config FILE] [--routes FILE]
  trunkroute explain --routes FILE --destination NUMBER [--source IP] [--customer ID] [--seed N]

Every setting can also come from the environment (TRUNKROUTE_*); see docs/configuration.md.`;

function overridesFrom(
  values: Record<string, string | boolean | undefined>,
): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (typeof values.routes === 'string') o['routes.file'] = values.routes;
  if (typeof values.listen === 'string')
    o['sip.listen'] = values.listen.split(',').map((s) => s.trim());
  if (typeof values['api-port'] === 'string') o['api.port'] = Number(values['api-port']);
  if (typeof values['log-level'] === 'string') o['log.level'] = values['log-level'];
  return o;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      routes: { type: 'string' },
      listen: { type: 'string' },
      'api-port': { type: 'string' },
      'log-level': { type: 'string' },
      destination: { type: 'string' },
      source: { type: 'string' },
      customer: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const configFile = values.config ?? process.env.TRUNKROUTE_CONFIG;

  if (command === 'check-config') {
    const result = checkConfig({ configFile, routesFile: values.routes, env: process.env });
    for (const p of result.problems) process.stderr.write(`${p}\n`);
    if (result.ok) process.stdout.write('configuration OK\n');
    return result.ok ? 0 : 1;
  }

  if (command === 'explain') {
    if (!values.routes || !values.destination) {
      process.stderr.write(`explain needs --routes and --destination\n${USAGE}\n`);
      return 2;
    }
    const parsed = parseRouteFile(readFileSync(values.routes, 'utf8'), values.routes);
    if (!parsed.ok) {
      for (const e of parsed.errors) process.stderr.write(`${e.path}: ${e.message}\n`);
      return 1;
    }
    const plan = planCall(
      compileTable(parsed.table),
      {
        destination: values.destination,
        sourceAddress: values.source ?? '127.0.0.1',
        customerHeader: values.customer,
      },
      seededRandom(Number(values.seed ?? 1)),
      Date.now(),
    );
    process.stdout.write(`${explainPlan(plan)}\n`);
    return 0;
  }

  if (command === 'serve') {
    const loaded = loadConfig({
      file: configFile,
      env: process.env,
      overrides: overridesFrom(values),
    });
    if (!loaded.ok) {
      for (const e of loaded.errors) process.stderr.write(`${e}\n`);
      return 1;
    }
    const log = createLogger(loaded.config.log.level);
    if (loaded.config.workers.count > 1 && cluster.isPrimary) {
      const code = await runWorkerPool({
        count: loaded.config.workers.count,
        recordRouteSecret: loaded.config.proxy.record_route_secret,
        log,
      });
      log.flush();
      return code;
    }
    const server = await startServer(loaded.config, log, workerFromEnv(process.env));
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        log.info({ signal }, 'shutting down');
        void server.shutdown().then(resolve);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    log.flush();
    return 0;
  }

  process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
  return 2;
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`unhandled rejection: ${String(reason)}\n`);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`trunkroute: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
