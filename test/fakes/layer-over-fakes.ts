import type { SipResponse } from '../../src/sip/message/sip-message.js';
import {
  TransactionLayer,
  type TransactionLayerOptions,
} from '../../src/sip/transaction/transaction-layer.js';
import type { IncomingRequest } from '../../src/sip/transaction/types.js';
import { FakeClock } from './fake-clock.js';
import { FakeTransport } from './fake-transport.js';

/** A transaction layer over the fake clock and transport, its user recording what goes up. */
export function layerOverFakes(options: Omit<TransactionLayerOptions, 'transport' | 'clock'> = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const layer = new TransactionLayer({ ...options, transport, clock });
  const requests: IncomingRequest[] = [];
  const strays: SipResponse[] = [];
  layer.setUser({
    onRequest: (r) => requests.push(r),
    onStrayResponse: (r) => strays.push(r),
  });
  return { clock, transport, layer, requests, strays };
}
