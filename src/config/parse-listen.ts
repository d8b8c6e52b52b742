import type { TransportProtocol } from '../sip/transport/types.js';

export interface ListenSpec {
  protocol: TransportProtocol;
  address: string;
  port: number;
}

/**
 * Parses one `sip.listen` entry: `udp:0.0.0.0:5060`, `tcp:[::1]:5060`, `tls:0.0.0.0:5061`.
 * Returns undefined when it is not of that form.
 */
export function parseListenSpec(value: string): ListenSpec | undefined {
  const m = /^(udp|tcp|tls):(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  if (!m) return undefined;
  const port = Number(m[4]);
  if (port > 65535) return undefined;
  return { protocol: m[1] as TransportProtocol, address: (m[2] ?? m[3])!, port };
}

/** Like parseListenSpec, for values the config schema already validated. */
export function parseListen(value: string): ListenSpec {
  const spec = parseListenSpec(value);
  if (!spec)
    throw new Error(
      `sip.listen: "${value}" is not of the form udp:ADDRESS:PORT, tcp:[IPv6]:PORT or tls:ADDRESS:PORT`,
    );
  return spec;
}
