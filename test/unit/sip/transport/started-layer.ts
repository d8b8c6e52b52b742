import {
  TransportLayer,
  type TransportOptions,
} from '../../../../src/sip/transport/transport-layer.js';
import type { Inbound } from '../../../../src/sip/transport/types.js';

/**
 * A UDP transport on a free loopback port, started, with what it hands up
 * collected; pushed onto `layers` for the test file's afterEach to close.
 */
export async function startedUdpLayer(
  layers: TransportLayer[],
  opts: TransportOptions = {},
): Promise<{ t: TransportLayer; got: Inbound[] }> {
  const t = new TransportLayer([{ protocol: 'udp', address: '127.0.0.1', port: 0 }], opts);
  await t.start();
  layers.push(t);
  const got: Inbound[] = [];
  t.onMessage((i) => got.push(i));
  return { t, got };
}
