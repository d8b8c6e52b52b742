import { parse as parseYaml, YAMLParseError } from 'yaml';
import { validateTable, type ValidationResult } from './validate-table.js';

/**
 * Parses a route file's text (YAML, or JSON by a .json extension) and validates
 * it. Syntax errors name the file, line and column.
 */
export function parseRouteFile(text: string, fileName: string): ValidationResult {
  let raw: unknown;
  try {
    raw = fileName.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      const where = pos ? `${fileName}:${pos.line}:${pos.col}` : fileName;
      return {
        ok: false,
        errors: [{ path: where, message: `YAML syntax error: ${err.message.split('\n')[0]}` }],
      };
    }
    return {
      ok: false,
      errors: [
        {
          path: fileName,
          message: `syntax error: ${err instanceof Error ? err.message : String(err)}`,
        },
      ],
    };
  }
  const result = validateTable(raw ?? {});
  if (result.ok) return result;
  return {
    ok: false,
    errors: result.errors.map((e) => ({ path: `${fileName}: ${e.path}`, message: e.message })),
  };
}
