import { SipRequest } from '../../src/sip/message/sip-message.js';

/** An INVITE from 127.0.0.1:5070 with the given top-Via branch and CSeq number. */
export function inviteRequest(branch: string, seq = 1): SipRequest {
  const r = new SipRequest('INVITE', 'sip:+15551234@127.0.0.1:5060');
  r.append('Via', `SIP/2.0/UDP 127.0.0.1:5070;branch=${branch}`);
  r.append('Max-Forwards', '70');
  r.append('From', '<sip:a@127.0.0.1>;tag=from1');
  r.append('To', '<sip:+15551234@127.0.0.1>');
  r.append('Call-ID', `call-${branch}`);
  r.append('CSeq', `${seq} INVITE`);
  return r;
}
