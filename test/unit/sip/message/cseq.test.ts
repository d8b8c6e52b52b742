import { describe, expect, it } from 'vitest';
import { parseCSeq } from '../../../../src/sip/message/cseq.js';

describe('parseCSeq', () => {
  it('reads the number and the method, with blanks around and between them', () => {
    expect(parseCSeq('1 INVITE')).toEqual({ seq: 1, method: 'INVITE' });
    expect(parseCSeq(' \t4294967295\t \tACK \t')).toEqual({ seq: 4294967295, method: 'ACK' });
    expect(parseCSeq('0000000007 x.y-z')).toEqual({ seq: 7, method: 'x.y-z' });
  });

  it('refuses a number past 32 bits or 10 digits, a missing part, and anything more', () => {
    for (const bad of [
      '',
      'INVITE',
      '1',
      '1 ',
      '1INVITE',
      '4294967296 INVITE',
      '00000000001 INVITE',
      '-1 INVITE',
      '1 INV ITE',
      '1 INVITE;x',
      '1 INVITE\r',
      '1 INVIT\u00c9',
      '1.5 INVITE',
    ])
      expect(parseCSeq(bad), bad).toBeUndefined();
  });
});
