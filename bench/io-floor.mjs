// bench/io-floor: what one forwarded datagram costs on this machine, in a Node
// process that does nothing but receive it and send it on (no parsing, no state),
// and in Kamailio forwarding it statelessly (which parses it). A bench/calls
// failover call is 11 datagrams in and 11 out at the proxy, so 11 forwards are the
// floor of its CPU per call: no SIP code in Node can go below the first figure.
//
//   node bench/io-floor.mjs [--rate 5500] [--seconds 10] [--only node|kamailio]
//       [--kamailio-children 2]
//
// The load generator and the sink are this process (its CPU is not counted).
// Every process is started here and stopped by PID; each run is bounded in
// datagrams (rate × seconds) and in time.
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cpuSeconds,
  freeUdpPort,
  processTree,
  sleep,
  startProcess,
  waitExit,
  waitUdpBound,
} from './calls/processes.mjs';

const { values: opt } = parseArgs({
  options: {
    rate: { type: 'string', default: '5500' },
    seconds: { type: 'string', default: '10' },
    only: { type: 'string' },
    'kamailio-children': { type: 'string', default: '2' },
  },
  strict: true,
});
const rate = Number(opt.rate);
const seconds = Number(opt.seconds);
const systems = opt.only ? [opt.only] : ['node', 'kamailio'];
const DATAGRAMS_PER_CALL = 11; // forwards per bench/calls failover call (11 in, 11 out)
const runDir = mkdtempSync(join(tmpdir(), 'bench-io-floor-'));
const bound = setTimeout(
  () => {
    console.error('bench/io-floor: still running, stopping');
    process.exit(1);
  },
  (systems.length * (seconds + 30) + 30) * 1000,
);
bound.unref();

// A forwarder of Node's: the same socket options as trunkroute's listener (4 MiB buffers).
const NODE_FORWARDER = `
const dgram = require('node:dgram');
const [port, sink] = process.argv.slice(1).map(Number);
const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4194304, sendBufferSize: 4194304 });
s.on('message', (m) => s.send(m, sink, '127.0.0.1'));
s.bind(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

const KAMAILIO_CFG = (port, sink, children) => `#!KAMAILIO
debug=1
log_stderror=yes
children=${children}
auto_aliases=no
listen=udp:127.0.0.1:${port}
disable_tcp=yes
maxbuffer=4194304
dns=no
rev_dns=no
use_dns_cache=no
loadmodule "sl.so"
request_route {
  forward("127.0.0.1", ${sink});
  exit;
}
`;

async function startSystem(name, port, sink) {
  let child;
  if (name === 'node') {
    child = startProcess(process.execPath, ['-e', NODE_FORWARDER, String(port), String(sink)]);
  } else {
    const dir = mkdtempSync(join(runDir, 'kam-'));
    const cfg = join(dir, 'kamailio.cfg');
    writeFileSync(cfg, KAMAILIO_CFG(port, sink, opt['kamailio-children']));
    child = startProcess('kamailio', ['-DD', '-E', '-f', cfg, '-m', '64', '-Y', dir], {
      cwd: dir,
    });
  }
  child.stdout?.resume();
  child.stderr?.resume();
  if (!(await waitUdpBound(port, 15_000))) throw new Error(`${name} did not start`);
  await sleep(500);
  const tree = processTree(child.pid);
  return {
    pids: () => tree,
    async stop() {
      child.kill('SIGTERM');
      await waitExit(child, 10_000);
    },
  };
}

// A SIP request as large as the bench's INVITEs (about 700 bytes), a new branch each.
function request(i, port) {
  const body =
    'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
  return Buffer.from(
    `OPTIONS sip:+34911234567@127.0.0.1:${port} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-floor-${i};rport\r\n` +
      `From: "bench" <sip:caller@127.0.0.1:5090>;tag=floor${i}\r\n` +
      `To: <sip:+34911234567@127.0.0.1:${port}>\r\n` +
      `Call-ID: floor-${i}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n` +
      `Contact: <sip:caller@127.0.0.1:5090>\r\nUser-Agent: bench-io-floor\r\n` +
      `Content-Type: application/sdp\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    'latin1',
  );
}

async function run(name) {
  const port = await freeUdpPort();
  const sinkPort = await freeUdpPort();
  const sink = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  let received = 0;
  sink.on('message', () => received++);
  await new Promise((r) => sink.bind(sinkPort, '127.0.0.1', r));
  const sender = dgram.createSocket({ type: 'udp4', sendBufferSize: 8 << 20 });
  const sut = await startSystem(name, port, sinkPort);
  const total = rate * seconds;
  let sent = 0;
  const cpu0 = cpuSeconds(sut.pids());
  const t0 = Date.now();
  // Paced in 10 ms slices, caught up to the wall clock, so the rate holds.
  await new Promise((done) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.round(((Date.now() - t0) / 1000) * rate));
      for (; sent < due; sent++) sender.send(request(sent, port), port, '127.0.0.1');
      if (sent >= total) {
        clearInterval(tick);
        done();
      }
    }, 10);
  });
  await sleep(1000);
  const cpu = cpuSeconds(sut.pids()) - cpu0;
  await sut.stop();
  sender.close();
  sink.close();
  const usPerDatagram = (cpu / received) * 1e6;
  return {
    system: name,
    sent,
    forwarded: received,
    cpu_s: cpu,
    us_per_datagram: usPerDatagram,
    floor_ms_per_call: (usPerDatagram * DATAGRAMS_PER_CALL) / 1000,
  };
}

try {
  console.log(`bench/io-floor: ${rate} datagrams/s for ${seconds} s`);
  console.log('| system | sent | forwarded | CPU s | µs per datagram | × 11 = ms per call |');
  console.log('|---|---|---|---|---|---|');
  for (const s of systems) {
    const r = await run(s);
    console.log(
      `| ${r.system} | ${r.sent} | ${r.forwarded} | ${r.cpu_s.toFixed(2)} | ${r.us_per_datagram.toFixed(1)} | ${r.floor_ms_per_call.toFixed(2)} |`,
    );
  }
} finally {
  rmSync(runDir, { recursive: true, force: true });
}
