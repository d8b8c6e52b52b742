/**
 * Parses `;name=value;flag` generic parameters (RFC 3261 25.1 generic-param).
 * Names are lower-cased; a parameter without `=` maps to null. Quoted values keep
 * their quotes. Returns undefined when a parameter is empty (`;;` or a trailing `;`).
 */
export function parseParams(text: string): Map<string, string | null> | undefined {
  const params = new Map<string, string | null>();
  if (text.trim() === '') return params;
  let i = 0;
  const n = text.length;
  while (i < n) {
    // Expect a ';' (possibly surrounded by whitespace) before each parameter.
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n) break;
    if (text[i] !== ';') return undefined;
    i++;
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    let j = i;
    while (j < n && text[j] !== '=' && text[j] !== ';' && text[j] !== ' ' && text[j] !== '\t') j++;
    const name = text.slice(i, j).toLowerCase();
    if (!name) return undefined;
    i = j;
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (text[i] === '=') {
      i++;
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      let value: string;
      if (text[i] === '"') {
        let k = i + 1;
        while (k < n && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
        if (k >= n) return undefined;
        value = text.slice(i, k + 1);
        i = k + 1;
      } else if (text[i] === '[') {
        const k = text.indexOf(']', i);
        if (k < 0) return undefined;
        value = text.slice(i, k + 1);
        i = k + 1;
      } else {
        let k = i;
        while (k < n && text[k] !== ';' && text[k] !== ' ' && text[k] !== '\t') k++;
        value = text.slice(i, k);
        i = k;
      }
      if (value === '') return undefined;
      params.set(name, value);
    } else {
      params.set(name, null);
    }
  }
  return params;
}

export function formatParams(params: Map<string, string | null>): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}
