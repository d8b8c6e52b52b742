// npm run demo: three SIPp provider trunks (503, 404, 200), trunkroute in front of
// them with config/demo-routes.yaml, and a SIPp caller placing three calls. Prints
// each call's attempt trail, then stops everything it started (by PID).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scen = (f) => join(root, 'sipp-scenarios', f);
const CALLS = 3;
const children = [];

function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.push(child);
  return child;
}

// SIPp reads status codes when it loads a scenario: fill the placeholders in a copy.
function render(scenario, vars) {
  let xml = readFileSync(scen(scenario), 'latin1');
  for (const [k, v] of Object.entries(vars)) xml = xml.split(`__${k.toUpperCase()}__`).join(v);
  const out = join(mkdtempSync(join(tmpdir(), 'trunkroute-demo-')), scenario);
  writeFileSync(out, xml, 'latin1');
  return out;
}

function provider(port, scenarioFile) {
  return start('sipp', [
    '-sf',
    scenarioFile,
    '-i',
    '127.0.0.1',
    '-p',
    String(port),
    '-m',
    String(CALLS),
    '-nostdin',
  ]);
}

function stopAll() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

const bound = setTimeout(() => {
  console.error('demo: no result within 60 s, stopping');
  process.exit(1);
}, 60_000);

provider(5071, render('provider-reject.xml', { status: '503', reason: 'Service Unavailable' }));
provider(5072, render('provider-reject.xml', { status: '404', reason: 'Not Found' }));
provider(5073, scen('provider-answer.xml'));

const tr = start(process.execPath, [
  join(root, 'dist/cli.js'),
  'serve',
  '--routes',
  join(root, 'config/demo-routes.yaml'),
  '--listen',
  'udp:127.0.0.1:5070,tcp:127.0.0.1:5070',
  '--api-port',
  '8089',
]);
const records = [];
let buf = '';
let ready;
const listening = new Promise((r) => (ready = r));
tr.stdout.setEncoding('utf8');
tr.stdout.on('data', (chunk) => {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    let rec;
    try {
      rec = JSON.parse(line);
    } catch {
      continue;
    }
    if (rec.msg === 'listening') ready();
    if (rec.msg === 'call') records.push(rec.call);
  }
});
tr.stderr.pipe(process.stderr);
tr.on('exit', (code) => {
  if (code) {
    console.error(`trunkroute exited with ${code}`);
    process.exit(1);
  }
});

await listening;
console.log(
  'trunkroute is listening on 127.0.0.1:5070; providers A=503 (5071), B=404 (5072), C=200 (5073)\n',
);
await new Promise((r) => setTimeout(r, 300));

const caller = start('sipp', [
  '127.0.0.1:5070',
  '-sf',
  scen('caller-call.xml'),
  '-i',
  '127.0.0.1',
  '-p',
  '5090',
  '-s',
  '+34911234567',
  '-m',
  String(CALLS),
  '-r',
  '1',
  '-nostdin',
]);
const callerExit = await new Promise((r) => caller.on('exit', r));

const deadline = Date.now() + 5000;
while (records.length < CALLS && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 100));
for (const [i, c] of records.entries()) {
  console.log(
    `call ${i + 1}: ${c.destination} from ${c.source} → ${c.outcome} (${c.status}) in ${c.setup_ms} ms`,
  );
  for (const a of c.attempts) {
    const result = a.status ?? a.reason;
    const first =
      a.first_response_ms === undefined ? '' : `, first response after ${a.first_response_ms} ms`;
    console.log(
      `  ${a.index}. ${a.provider.padEnd(11)} ${a.gateway.padEnd(22)} ${String(result).padEnd(4)}${first}`,
    );
  }
}
console.log(
  `\nSIPp caller: ${callerExit === 0 ? `all ${CALLS} calls connected` : `exit code ${callerExit}`}`,
);
clearTimeout(bound);
stopAll();
process.exit(callerExit === 0 && records.length === CALLS ? 0 : 1);
