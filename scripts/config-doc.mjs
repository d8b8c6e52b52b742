// Writes docs/configuration.md from the one config schema (npm run config-doc).
import { writeFileSync } from 'node:fs';
import { schema } from '../dist/config/schema.js';

const rows = [];
const walk = (node, path) => {
  for (const [k, v] of Object.entries(node)) {
    if (v && typeof v === 'object' && 'doc' in v) rows.push({ key: [...path, k].join('.'), ...v });
    else if (v && typeof v === 'object') walk(v, [...path, k]);
  }
};
walk(schema, []);
const fmt = (d) =>
  Array.isArray(d) ? (d.length ? d.join(',') : '(empty)') : d === '' ? '(empty)' : String(d);
const lines = [
  '# Configuration',
  '',
  'Generated from `src/config/schema.ts` by `npm run config-doc`; do not edit by hand.',
  '',
  'Precedence: defaults, then the `--config` file (JSON or YAML, keys nested as below),',
  'then the environment variables, then the command-line flags. Unknown keys are errors.',
  'Lists in environment variables are comma-separated. `trunkroute check-config` validates',
  'without starting anything.',
  '',
  '| key | default | environment | meaning |',
  '|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| \`${r.key}\` | \`${fmt(r.default)}\` | \`${r.env}\` | ${r.doc}${r.sensitive ? ' (secret: never logged)' : ''} |`,
  ),
  '',
];
writeFileSync(new URL('../docs/configuration.md', import.meta.url), lines.join('\n'));
console.log(`docs/configuration.md: ${rows.length} settings`);
