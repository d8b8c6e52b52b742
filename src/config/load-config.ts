import convict from 'convict';
import { existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { schema, type ServerConfig } from './schema.js';

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
  return { ok: true, config: conf.getProperties() };
}
