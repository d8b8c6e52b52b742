import { randomBytes } from 'node:crypto';
import { SipRequest } from '../sip/message/sip-message.js';
import { parseUri } from '../sip/message/sip-uri.js';
import type { TransactionLayer } from '../sip/transaction/transaction-layer.js';
import type { Clock } from '../util/clock.js';
import type { Gateway } from '../routing/model.js';
import type { ProbeSender } from '../health/health-monitor.js';
import { uriEndpoint } from './next-hop.js';
import type { ProxyIdentity } from './proxy-identity.js';

/**
 * The OPTIONS ping the health monitor sends to each gateway (RFC 3261 11): a
 * non-INVITE client transaction, cut short at the probe's own timeout so a
 * dead gateway is seen long before Timer F.
 */
export function optionsProbe(
  transactions: TransactionLayer,
  identity: ProxyIdentity,
  clock: Clock,
): ProbeSender {
  let cseq = 0;
  return (gateway: Gateway, timeoutMs: number) =>
    new Promise((resolve) => {
      const uri = parseUri(gateway.uri);
      const dest = uri && uriEndpoint(uri, gateway.tls);
      if (!dest) {
        resolve('transport_error');
        return;
      }
      const me = identity.local(dest.protocol, dest);
      const host = me.address.includes(':') ? `[${me.address}]` : me.address;
      const req = new SipRequest('OPTIONS', gateway.uri);
      req.append('Via', identity.via(dest, transactions.newBranch()));
      req.append('Max-Forwards', '70');
      req.append(
        'From',
        `<sip:trunkroute@${host}:${me.port}>;tag=${randomBytes(5).toString('hex')}`,
      );
      req.append('To', `<${gateway.uri}>`);
      req.append('Call-ID', `${randomBytes(8).toString('hex')}@trunkroute`);
      req.append('CSeq', `${++cseq} OPTIONS`);
      req.append('Accept', 'application/sdp');
      req.append('Content-Length', '0');
      let done = false;
      const finish = (r: number | 'timeout' | 'transport_error'): void => {
        if (done) return;
        done = true;
        timer.cancel();
        resolve(r);
      };
      const timer = clock.setTimer(timeoutMs, () => {
        tx.terminate();
        finish('timeout');
      });
      const tx = transactions.sendRequest(req, dest, {
        onResponse: (res) => {
          if (res.status >= 200) finish(res.status);
        },
        onTimeout: () => finish('timeout'),
        onTransportError: () => finish('transport_error'),
      });
    });
}
