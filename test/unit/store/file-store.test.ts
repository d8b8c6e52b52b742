import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../../src/store/file-store.js';
import { within } from '../../fakes/within.js';
import { tempDir } from '../../temp-dir.js';

// The route file, watched: good edits go live within a second, bad ones are refused
// with the field named and the old table stays.

const stores: FileStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.stop();
});

const warnings: string[] = [];
const log = {
  info: () => {},
  warn: (obj: object) => warnings.push(String((obj as { errors?: unknown }).errors)),
  error: () => {},
};

function table(routes: string): string {
  return `providers:\n  - id: telnyx\n    gateways: [{ uri: "sip:198.51.100.10" }]\nroutes:\n${routes}\n`;
}

async function store(text: string): Promise<{ s: FileStore; file: string }> {
  const file = join(tempDir('trunkroute-fs-'), 'routes.yaml');
  writeFileSync(file, text);
  const s = new FileStore(file, { watch: true, log });
  await s.start();
  stores.push(s);
  return { s, file };
}

describe('FileStore', () => {
  it('an edit adding a route is live within a second', async () => {
    const { s, file } = await store(table('  - { id: a, provider_id: telnyx }'));
    expect(s.snapshot().table.routes.map((r) => r.id)).toEqual(['a']);
    writeFileSync(
      file,
      table('  - { id: a, provider_id: telnyx }\n  - { id: b, provider_id: telnyx, priority: 2 }'),
    );
    expect(await within(1000, () => s.snapshot().table.routes.length === 2)).toBe(true);
    expect(s.snapshot().version).toBe(2);
  });

  it('an editor-style replace (write elsewhere, rename over) is picked up too', async () => {
    const { s, file } = await store(table('  - { id: a, provider_id: telnyx }'));
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, table('  - { id: z, provider_id: telnyx }'));
    renameSync(tmp, file);
    expect(await within(1000, () => s.snapshot().table.routes[0]?.id === 'z')).toBe(true);
  });

  it.each([
    [
      'a YAML syntax error',
      'routes:\n  - id: a\n   bad: [\n',
      /routes\.yaml:\d+:\d+: YAML syntax error/,
    ],
    [
      'an unknown provider',
      table('  - { id: a, provider_id: telnx }'),
      /routes\[0\]\.provider_id: unknown provider "telnx"/,
    ],
  ])(
    '%s is refused, named in the log and status, and the old table stays',
    async (_what, text, pattern) => {
      const { s, file } = await store(table('  - { id: a, provider_id: telnyx }'));
      warnings.length = 0;
      writeFileSync(file, text);
      expect(await within(1500, () => s.status().lastError !== undefined)).toBe(true);
      expect(s.status().lastError!.message).toMatch(pattern);
      expect(warnings.join('\n')).toMatch(pattern);
      expect(s.snapshot().version).toBe(1);
      expect(s.snapshot().table.routes.map((r) => r.id)).toEqual(['a']);
      // A valid edit clears the refusal.
      writeFileSync(file, table('  - { id: c, provider_id: telnyx }'));
      expect(await within(1500, () => s.snapshot().table.routes[0]?.id === 'c')).toBe(true);
      expect(s.status().lastError).toBeUndefined();
    },
  );

  it('API writes to a file-backed table are refused with 409 and the file named', async () => {
    const { s, file } = await store(table('  - { id: a, provider_id: telnyx }'));
    const r = await s.mutate();
    expect(r).toMatchObject({ ok: false, status: 409 });
    expect(JSON.stringify(r)).toContain(file);
  });
});
