import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { formatError, parseRouteFile, type RouteTable } from '../routing/index.js';
import { loadConfig, type ServerConfig } from './load-config.js';

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
      else
        problems.push(
          ...tlsProblems(parsed.table, routesFile, loaded.ok ? loaded.config : undefined),
        );
    }
  }
  return { ok: problems.length === 0, problems };
}

/**
 * What the route table's TLS gateways need that the (pure) table validation
 * cannot see: a readable pinned CA file, and a tls: listener for the
 * Record-Route entry their in-dialog requests come back to (docs/tls.md).
 */
function tlsProblems(table: RouteTable, file: string, config?: ServerConfig): string[] {
  const problems: string[] = [];
  let firstTls: string | undefined;
  table.providers.forEach((p, i) => {
    const ca = p.tls?.ca_file;
    if (ca) {
      try {
        accessSync(ca, constants.R_OK);
      } catch {
        problems.push(`${file}: providers[${i}].tls.ca_file: cannot read ${ca}`);
      }
    }
    const j = p.gateways.findIndex((g) => g.transport === 'tls');
    if (j !== -1) firstTls ??= `providers[${i}].gateways[${j}]`;
  });
  if (firstTls && config && !config.sip.listen.some((l) => l.trim().startsWith('tls:')))
    problems.push(
      `config: sip.listen: ${file} has TLS gateways (${firstTls}) but no tls: listener for their in-dialog requests to come back to`,
    );
  return problems;
}
