import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { ValidationError } from '../routing/index.js';
import type { RawTable } from './route-store.js';

/** Reads a route file's raw table (YAML, or JSON by extension); syntax errors name file, line and column. */
export function readRouteFile(
  file: string,
): { ok: true; raw: RawTable; text: string } | { ok: false; errors: ValidationError[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      ok: false,
      errors: [{ path: file, message: `cannot read: ${(err as Error).message}` }],
    };
  }
  try {
    const raw: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
      return {
        ok: false,
        errors: [{ path: file, message: 'must be a mapping with providers, routes, ...' }],
      };
    }
    return { ok: true, raw: (raw ?? {}) as RawTable, text };
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      return {
        ok: false,
        errors: [
          {
            path: pos ? `${file}:${pos.line}:${pos.col}` : file,
            message: `YAML syntax error: ${err.message.split('\n')[0]}`,
          },
        ],
      };
    }
    return {
      ok: false,
      errors: [{ path: file, message: `syntax error: ${(err as Error).message}` }],
    };
  }
}
