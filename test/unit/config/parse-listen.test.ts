import { describe, expect, it } from 'vitest';
import { parseListen, parseListenSpec } from '../../../src/config/parse-listen.js';

describe('parseListenSpec', () => {
  it.each([
    ['udp:0.0.0.0:5060', { protocol: 'udp', address: '0.0.0.0', port: 5060 }],
    ['tcp:[::1]:5060', { protocol: 'tcp', address: '::1', port: 5060 }],
    ['tls:127.0.0.1:5061', { protocol: 'tls', address: '127.0.0.1', port: 5061 }],
    ['tls:[::]:5061', { protocol: 'tls', address: '::', port: 5061 }],
  ])('%s', (value, spec) => {
    expect(parseListenSpec(value)).toEqual(spec);
  });

  it.each(['sctp:0.0.0.0:5060', 'tls:0.0.0.0', 'tls:[::1:5061', 'tls:0.0.0.0:70000', 'wss:h:443'])(
    'refuses %s',
    (value) => {
      expect(parseListenSpec(value)).toBeUndefined();
    },
  );

  it('the error names the setting and the forms, tls included', () => {
    expect(() => parseListen('dtls:0.0.0.0:5061')).toThrow(
      'sip.listen: "dtls:0.0.0.0:5061" is not of the form udp:ADDRESS:PORT, tcp:[IPv6]:PORT or tls:ADDRESS:PORT',
    );
  });
});
