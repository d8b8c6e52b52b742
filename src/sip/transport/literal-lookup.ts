import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram's lookup hook: an IP literal (all trunkroute sends to over UDP) resolves
 * at once, where dns.lookup would defer every send to a later tick; names still
 * go to DNS.
 */
export function literalLookup(
  host: string,
  options: number | LookupOneOptions,
  callback: LookupCallback,
): void {
  const family = isIP(host);
  if (family !== 0) {
    callback(null, host, family);
    return;
  }
  const opts: LookupOneOptions = typeof options === 'number' ? { family: options } : options;
  dnsLookup(host, opts, callback);
}
