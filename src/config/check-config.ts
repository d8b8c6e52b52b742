import { existsSync, readFileSync } from 'node:fs';
import { formatError, parseRouteFile } from '../routing/index.js';
import { loadConfig } from './load-config.js';

/**
 * `trunkroute check-config`: validates the server config and the route file
 * without starting anything, and lists every problem.
 */
export function checkConfig(opts: {
  configFile?: string;
  routesFile?: string;
  env?: NodeJS.ProcessEnv;
}): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  const loaded = loadConfig({ file: opts.configFile, env: opts.env });
  if (!loaded.ok) problems.push(...loaded.errors.map((e) => `config: ${e}`));
  const routesFile = opts.routesFile ?? (loaded.ok ? loaded.config.routes.file : undefined);
  if (routesFile) {
    if (!existsSync(routesFile)) problems.push(`${routesFile}: no such route file`);
    else {
      const parsed = parseRouteFile(readFileSync(routesFile, 'utf8'), routesFile);
      if (!parsed.ok) problems.push(...parsed.errors.map(formatError));
    }
  }
  return { ok: problems.length === 0, problems };
}
