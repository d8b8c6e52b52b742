import { describe, expect, it } from 'vitest';
import { isAckForTag } from '../../../../src/sip/transport/ack-for-tag.js';

const TAG = Buffer.from('s0123456789ab', 'latin1');
const msg = (start: string, headers: string[]): Buffer =>
  Buffer.from(`${start}\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1');
const ack = (...headers: string[]): Buffer => msg('ACK sip:123@192.0.2.1 SIP/2.0', headers);

describe('isAckForTag', () => {
  it('knows the ACK of a shed 503 by its To tag, however the header name is spelt', () => {
    const via = 'Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK1';
    expect(isAckForTag(ack(via, 'To: <sip:123@x>;tag=s0123456789ab', 'Call-ID: 1'), TAG)).toBe(
      true,
    );
    expect(isAckForTag(ack('t: <sip:123@x>;tag=s0123456789ab;x=1'), TAG)).toBe(true);
    expect(isAckForTag(ack('TO :  sip:123@x;tag=s0123456789ab  '), TAG)).toBe(true);
    // A later ;tag= on the same line (an odd To with two).
    expect(isAckForTag(ack('To: <sip:123@x>;tag=other;tag=s0123456789ab'), TAG)).toBe(true);
  });

  it('leaves every other message to the parser', () => {
    // Another tag, one that only starts or ends like ours, or none.
    expect(isAckForTag(ack('To: <sip:123@x>;tag=s0123456789'), TAG)).toBe(false);
    expect(isAckForTag(ack('To: <sip:123@x>;tag=s0123456789abc'), TAG)).toBe(false);
    expect(isAckForTag(ack('To: <sip:123@x>;tag=xs0123456789ab'), TAG)).toBe(false);
    expect(isAckForTag(ack('To: <sip:123@x>'), TAG)).toBe(false);
    // Our tag elsewhere than in To: in From, or in the next header.
    expect(isAckForTag(ack('From: <sip:a@x>;tag=s0123456789ab', 'To: <sip:b@x>'), TAG)).toBe(false);
    expect(isAckForTag(ack('To: <sip:b@x>', 'X-A: ;tag=s0123456789ab'), TAG)).toBe(false);
    // Not an ACK: the INVITE, its 503, a BYE of a dialog with that tag.
    const to = 'To: <sip:123@x>;tag=s0123456789ab';
    expect(isAckForTag(msg('INVITE sip:123@x SIP/2.0', [to]), TAG)).toBe(false);
    expect(isAckForTag(msg('SIP/2.0 503 Service Unavailable', [to]), TAG)).toBe(false);
    expect(isAckForTag(msg('BYE sip:123@x SIP/2.0', [to]), TAG)).toBe(false);
    expect(isAckForTag(msg('ACKX sip:123@x SIP/2.0', [to]), TAG)).toBe(false);
    // Spellings the parser reads the same are not looked for: they go the long way.
    expect(isAckForTag(ack('To: <sip:123@x>;TAG=s0123456789ab'), TAG)).toBe(false);
    expect(isAckForTag(Buffer.from('ACK'), TAG)).toBe(false);
  });
});
