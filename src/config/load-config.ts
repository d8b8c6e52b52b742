import convict from 'convict';
import { existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { schema, type ServerConfig } from './schema.js';
import { loadServerContext } from '../sip/transport/tls-files.js';

export type { ServerConfig };

convict.addParser({ extension: ['yml', 'yaml'], parse: parseYaml });

export interface LoadOptions {
  /** A JSON or YAML config file. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Dotted keys set last (command-line flags). */
  overrides?: Record<string, unknown>;
}

export type LoadResult = { ok: true; config: ServerConfig } | { ok: false; errors: string[] };

/**
 * Defaults, then the file, then the environment, then the overrides; validated
 * strictly (an unknown key is an error), every problem reported.
 */
export function loadConfig(opts: LoadOptions = {}): LoadResult {
  const errors: string[] = [];
  let conf: convict.Config<ServerConfig>;
  try {
    conf = convict<ServerConfig>(schema as unknown as convict.Schema<ServerConfig>, {
      env: opts.env ?? {},
      args: [],
    });
  } catch (err) {
    return { ok: false, errors: [`environment: ${(err as Error).message}`] };
  }
  if (opts.file) {
    if (!existsSync(opts.file)) return { ok: false, errors: [`${opts.file}: no such config file`] };
    try {
      conf.loadFile(opts.file);
    } catch (err) {
      return { ok: false, errors: [`${opts.file}: ${(err as Error).message}`] };
    }
  }
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    try {
      conf.set(key as never, value as never);
    } catch (err) {
      errors.push(`${key}: ${(err as Error).message}`);
    }
  }
  try {
    conf.validate({ allowed: 'strict' });
  } catch (err) {
    errors.push(...(err as Error).message.split('\n').filter(Boolean));
  }
  if (errors.length) return { ok: false, errors };
  const config = conf.getProperties();
  const problems = crossCheck(config);
  if (problems.length) return { ok: false, errors: problems };
  return { ok: true, config };
}

/** Rules that tie settings together; each message names the setting to change. */
function crossCheck(config: ServerConfig): string[] {
  const problems: string[] = [];
  const tls = config.sip.tls;
  if (config.sip.listen.some((l) => l.trim().startsWith('tls:'))) {
    if (!tls.cert_file) problems.push('sip.tls.cert_file: a tls: listener in sip.listen needs it');
    if (!tls.key_file) problems.push('sip.tls.key_file: a tls: listener in sip.listen needs it');
    if (tls.cert_file && tls.key_file) {
      try {
        loadServerContext({ certFile: tls.cert_file, keyFile: tls.key_file });
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
  }
  const w = config.workers.count;
  if (w < 1) problems.push('workers.count: must be at least 1');
  if (w > 1) {
    // The workers are instances of one server: what instances share through
    // Redis (call limits, breakers, the route table) the workers share the same way.
    if (config.sip.listen.some((l) => l.startsWith('tcp:')))
      problems.push(
        `workers.count: ${w} workers serve UDP listeners only; remove the tcp: entries from sip.listen or set workers.count to 1`,
      );
    if (config.sip.listen.some((l) => l.startsWith('tls:')))
      problems.push(
        `workers.count: ${w} workers serve UDP listeners only; remove the tls: entries from sip.listen or set workers.count to 1`,
      );
    if (!config.redis.url)
      problems.push(
        `redis.url: workers.count ${w} needs Redis, where the workers share call limits and breakers`,
      );
    if (config.routes.source === 'memory')
      problems.push(
        `routes.source: workers.count ${w} needs file or redis; a memory table lives in one process`,
      );
    if (config.workers.request_port_base && config.workers.request_port_base + w - 1 > 65535)
      problems.push('workers.request_port_base: base + workers.count - 1 is above 65535');
  }
  return problems;
}
