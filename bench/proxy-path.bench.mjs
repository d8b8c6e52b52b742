// The call path without the network: trunkroute's transaction layer and proxy core
// (from dist/) in one process, wired as in main.ts, behind an in-memory transport
// whose peers play the bench/calls scenario (caller; A=503, B=404, C=200). Every
// message is serialised and parsed again, as on the wire, so parser, proxy,
// transactions, serialiser and the call-record log line are all measured, but no
// socket is: this is the JavaScript share of a call, steady enough to compare two
// builds on a shared machine, which bench/calls is not.
//
//   npm run build && node bench/proxy-path.bench.mjs [--calls 20000] [--dist DIR]
//       [--modules server|core] [--slow-strings] [--shed] > /dev/null
//
// --shed: every INVITE is turned away by the overload guard (503 + Retry-After,
// no transaction kept): what a shed INVITE costs in JavaScript, parse to 503.
//
// The call records go to stdout, as in the server; the result line goes to stderr.
// Bounded: a fixed number of calls, in batches, and 120 s at most.
import { parseArgs } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    dist: { type: 'string', default: join(root, 'dist') },
    // Also wait out the RFC 3261 timers (40 s) and report what is still held then.
    settle: { type: 'boolean', default: false },
    // core: only the call path's modules, not the server's whole graph (no ioredis).
    modules: { type: 'string', default: 'server' },
    // Leave String.prototype as ioredis leaves it (docs/performance.md), to measure what that costs.
    'slow-strings': { type: 'boolean', default: false },
    shed: { type: 'boolean', default: false },
  },
});
const load = (p) => import(pathToFileURL(join(opt.dist, p)).href);
const { parseMessage } = await load('sip/message/parse-message.js');
const { serializeMessage } = await load('sip/message/serialize.js');
const { TransactionLayer } = await load('sip/transaction/transaction-layer.js');
const { ProxyCore } = await load('proxy/proxy-core.js');
const { ProxyIdentity } = await load('proxy/proxy-identity.js');
const { OverloadGuard } = await load('proxy/overload-guard.js');
const { compileTable, parseRouteFile } = await load('routing/index.js');
const { systemClock } = await load('util/clock.js');
const logger = await load('observability/logger.js');
// The server's whole module graph, as `trunkroute serve` loads it (ioredis among
// it, which slows every string method unless undone: docs/performance.md), and
// what startServer does about it; a build from before either has neither.
if (opt.modules === 'server') await load('main.js');
if (!opt['slow-strings'])
  (await load('util/fast-string-prototype.js').catch(() => undefined))?.keepStringMethodsFast();

const TOTAL = Number(opt.calls);
const bound = setTimeout(() => {
  console.error('proxy-path bench: not done within 120 s');
  process.exit(1);
}, 120_000);

const ep = (port) => ({ protocol: 'udp', address: '127.0.0.1', port });
const PROXY = ep(5060);
const CALLER = ep(5090);
const PORTS = { a: 5071, b: 5072, c: 5073 };
const STATUS = { 5071: [503, 'Service Unavailable'], 5072: [404, 'Not Found'], 5073: [200, 'OK'] };

// ---------- the in-memory wire ----------
const queue = [];
let handler;
const transport = {
  send(message, destination) {
    queue.push({ data: serializeMessage(message), to: destination });
    return Promise.resolve();
  },
  onMessage: (h) => (handler = h),
  localEndpoint: (protocol) => ({ ...PROXY, protocol }),
  isReliable: (p) => p === 'tcp',
  close: async () => {},
};
// What a peer sends reaches the proxy parsed, as the UDP transport hands it up.
function deliver(text, from) {
  const parsed = parseMessage(Buffer.from(text, 'latin1'));
  if (!parsed.ok) throw new Error(`bench peer wrote a bad message: ${parsed.error}`);
  handler({ message: parsed.message, source: from, local: PROXY });
}

// ---------- the peers ----------
const hdr = (m, name) =>
  m.headers.filter((h) => h.key === name).map((h) => `${h.name}: ${h.value}`);
function reply(req, status, reason, extra = []) {
  return [
    `SIP/2.0 ${status} ${reason}`,
    ...hdr(req, 'via'),
    ...hdr(req, 'record-route'),
    ...hdr(req, 'from'),
    `To: ${req.get('to')}${status > 100 && !/;tag=/.test(req.get('to')) ? ';tag=prov' : ''}`,
    `Call-ID: ${req.get('call-id')}`,
    `CSeq: ${req.get('cseq')}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
const SDP =
  'v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
function invite(n) {
  return [
    `INVITE sip:+34911234567@127.0.0.1:5060 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-bench-${n}`,
    `From: "caller" <sip:caller@127.0.0.1:5090>;tag=c${n}`,
    `To: <sip:+34911234567@127.0.0.1:5060>`,
    `Call-ID: bench-${n}@127.0.0.1`,
    'CSeq: 1 INVITE',
    'Contact: <sip:caller@127.0.0.1:5090>',
    'Max-Forwards: 70',
    'Content-Type: application/sdp',
    `Content-Length: ${SDP.length}`,
    '',
    SDP,
  ].join('\r\n');
}
// The caller's ACK and BYE follow the Record-Route set of the 200 (loose routing).
function inDialog(res, method, n, cseq) {
  const routes = res.headers
    .filter((h) => h.key === 'record-route')
    .map((h) => `Route: ${h.value}`);
  return [
    `${method} sip:provider@127.0.0.1:5073 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-bench-${n}-${method}`,
    `From: "caller" <sip:caller@127.0.0.1:5090>;tag=c${n}`,
    `To: ${res.get('to')}`,
    `Call-ID: ${res.get('call-id')}`,
    ...routes,
    `CSeq: ${cseq} ${method}`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

let done = 0;
function peer({ data, to }) {
  const parsed = parseMessage(data);
  if (!parsed.ok) throw new Error(`proxy sent a bad message: ${parsed.error}`);
  const m = parsed.message;
  if (to.port === CALLER.port) {
    if (m.isRequest || m.status < 200) return;
    // Shed: the caller's ACK would be absorbed by the transport, unparsed.
    if (m.status === 503) {
      done++;
      return;
    }
    const n = m.get('call-id').slice(6, m.get('call-id').indexOf('@'));
    if (m.get('cseq').endsWith('INVITE')) {
      deliver(inDialog(m, 'ACK', n, 1), CALLER);
      deliver(inDialog(m, 'BYE', n, 2), CALLER);
    } else done++;
    return;
  }
  if (!m.isRequest) return;
  const from = ep(to.port);
  if (m.method === 'INVITE') {
    deliver(reply(m, 100, 'Trying'), from);
    const [status, reason] = STATUS[to.port];
    if (status === 200) {
      deliver(reply(m, 180, 'Ringing', ['Contact: <sip:provider@127.0.0.1:5073>']), from);
      deliver(reply(m, 200, 'OK', ['Contact: <sip:provider@127.0.0.1:5073>']), from);
    } else deliver(reply(m, status, reason), from);
  } else if (m.method === 'BYE') deliver(reply(m, 200, 'OK'), from);
}

// ---------- trunkroute's stack, wired as in main.ts ----------
const routesYaml = readFileSync(join(root, 'bench/calls/routes.yaml'), 'utf8')
  .replace('__PORT_A__', String(PORTS.a))
  .replace('__PORT_B__', String(PORTS.b))
  .replace('__PORT_C__', String(PORTS.c));
const parsedRoutes = parseRouteFile(routesYaml, 'bench/calls/routes.yaml');
if (!parsedRoutes.ok) throw new Error(JSON.stringify(parsedRoutes.errors));
const compiled = compileTable(parsedRoutes.table);
const log = logger.createLogger('info');
// As main.ts writes call records (where the build has it).
const recordLog = logger.callRecordLogger?.(log) ?? log;
const transactions = new TransactionLayer({ transport, clock: systemClock });
const proxy = new ProxyCore({
  transactions,
  identity: new ProxyIdentity(transport),
  clock: systemClock,
  random: Math.random,
  routes: () => compiled,
  settings: {
    mode: 'proxy',
    redirectStatus: 302,
    maxForwards: 70,
    supportedExtensions: [],
    recordRoute: true,
    ringTimeoutMs: 180_000,
    shedTag: 'sbench0000000',
  },
  // --shed: the load shedder turns every new INVITE away.
  overload: opt.shed
    ? new OverloadGuard(
        { sourceRate: 0, maxCallsInSetup: 0, maxSources: 100_000 },
        () => systemClock.now(),
        { admit: () => false, noteTurnedAway: () => {} },
      )
    : undefined,
  onCallRecord: (record) => recordLog.info({ call: record }, 'call'),
  log: (event, detail) => console.error(event, detail),
});
transactions.setUser(proxy);

// Calls go in batches, each run to completion, with an event-loop turn between
// batches so the logger's writes and the timers get their share as in a server.
async function run(calls, from) {
  const BATCH = 100;
  for (let i = 0; i < calls; i += BATCH) {
    for (let j = i; j < Math.min(calls, i + BATCH); j++) deliver(invite(from + j), CALLER);
    while (queue.length) peer(queue.shift());
    await new Promise((r) => setImmediate(r));
  }
}

await run(2000, 0); // warm-up
globalThis.gc?.();
const heap0 = process.memoryUsage().heapUsed;
const before = done;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await run(TOTAL, 1_000_000);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
if (done - before !== TOTAL) throw new Error(`only ${done - before} of ${TOTAL} calls completed`);
const cpuMs = (cpu.user + cpu.system) / 1000;
console.error(
  opt.shed
    ? `${TOTAL} INVITEs shed (503 + Retry-After): ${((1000 * cpuMs) / TOTAL).toFixed(1)} µs CPU each (one process, the caller's side included, no sockets)`
    : `${TOTAL} calls (3 attempts each, INVITE to BYE): ${Math.round(TOTAL / wall).toLocaleString('en-US')} calls/s, ` +
        `${(cpuMs / TOTAL).toFixed(3)} ms CPU per call (one process, peers included, no sockets)`,
);
if (globalThis.gc) {
  // With --expose-gc: what the finished calls still hold (RFC 3261 timers keep
  // completed transactions 5 to 32 s; every call here ended less than 32 s ago).
  globalThis.gc();
  const per = (process.memoryUsage().heapUsed - heap0) / TOTAL;
  console.error(`heap still held per finished call: ${Math.round(per).toLocaleString('en-US')} B`);
  if (opt.settle) {
    await new Promise((r) => setTimeout(r, 40_000));
    globalThis.gc();
    const after = (process.memoryUsage().heapUsed - heap0) / TOTAL;
    console.error(`... and 40 s later: ${Math.round(after).toLocaleString('en-US')} B`);
  }
}
clearTimeout(bound);
log.flush();
// Timer D and the accepted-state timers would hold the process 32 s: stop here.
process.exit(0);
