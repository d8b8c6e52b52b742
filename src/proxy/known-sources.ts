import { cidrContains, parseAddress, parseCidr, type Cidr } from '../routing/cidr.js';
import type { RouteTable } from '../routing/model.js';

interface KnownSources {
  cidrs: Cidr[];
  gatewayHosts: Set<string>;
}

const cache = new WeakMap<RouteTable, KnownSources>();

/**
 * True when a request comes from an address the table knows: a customer's
 * source, a trusted source, or one of the providers' gateways. Worked out once
 * per table version.
 */
export function isKnownSource(table: RouteTable, address: string): boolean {
  let k = cache.get(table);
  if (!k) {
    const cidrs: Cidr[] = [];
    for (const c of table.customers) for (const s of c.sources) addCidr(cidrs, s);
    for (const s of table.settings.trusted_sources) addCidr(cidrs, s);
    const gatewayHosts = new Set<string>();
    for (const p of table.providers) for (const g of p.gateways) gatewayHosts.add(g.host);
    k = { cidrs, gatewayHosts };
    cache.set(table, k);
  }
  if (k.gatewayHosts.has(address)) return true;
  const parsed = parseAddress(address);
  return k.cidrs.some((c) => cidrContains(c, parsed));
}

function addCidr(into: Cidr[], text: string): void {
  const c = parseCidr(text);
  if (c) into.push(c);
}
