// Parser benchmark: parse + modify + serialise a ~1 KB INVITE, as a proxy does per hop.
// Run: npm run build && node bench/parser.bench.mjs   (bounded: 300,000 messages or 10 s)
import { parseMessage } from '../dist/sip/message/parse-message.js';
import { serializeMessage } from '../dist/sip/message/serialize.js';

const sdp = [
  'v=0',
  'o=caller 53655765 2353687637 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 40000 RTP/AVP 0 8 18 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');
const invite = Buffer.from(
  [
    'INVITE sip:+34911234567@198.51.100.10:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport',
    'Max-Forwards: 70',
    'To: <sip:+34911234567@198.51.100.10>',
    'From: "Alice Example" <sip:+15551230000@192.0.2.10>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pbx.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:+15551230000@192.0.2.10:5060;transport=udp>',
    'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, UPDATE',
    'Supported: replaces, timer',
    'User-Agent: Example PBX 1.2.3',
    'P-Asserted-Identity: <sip:+15551230000@pbx.example.com>',
    'X-Unknown-Header: kept byte for byte',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n'),
);

const MAX = 300_000;
const deadline = Date.now() + 10_000;
for (let i = 0; i < 20_000; i++) cycle(); // warm up
let n = 0;
const start = process.hrtime.bigint();
while (n < MAX && (n % 1000 !== 0 || Date.now() < deadline)) {
  cycle();
  n++;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`message size: ${invite.length} bytes`);
console.log(
  `parse + modify + serialise: ${n} messages in ${seconds.toFixed(2)} s = ${Math.round(n / seconds).toLocaleString('en-US')} messages/s (one core)`,
);

function cycle() {
  const r = parseMessage(invite);
  if (!r.ok) throw new Error(r.error);
  const m = r.message;
  m.prepend('Via', 'SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKtrabc.1;rport');
  m.set('Max-Forwards', String(Number(m.get('max-forwards')) - 1));
  m.uri = 'sip:34911234567@203.0.113.30:5060';
  return serializeMessage(m);
}
