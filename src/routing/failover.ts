/**
 * Which events move a call to its next attempt (DESIGN §4). A spec is a list
 * that replaces the default: status codes (404), classes ('5xx'), and local
 * events ('trying_timeout', 'timeout' = Timer B/C, 'transport_error').
 */
export type FailoverTrigger =
  number | '3xx' | '4xx' | '5xx' | '6xx' | 'trying_timeout' | 'timeout' | 'transport_error';

export interface FailoverSpec {
  on: FailoverTrigger[];
}

export type FailoverEvent =
  | { kind: 'response'; status: number }
  | { kind: 'trying_timeout' }
  | { kind: 'timeout' }
  | { kind: 'transport_error' };

export interface FailoverPolicy {
  shouldFailover(event: FailoverEvent): boolean;
  readonly triggers: readonly FailoverTrigger[];
}

/** The seeds' triggers: 404, 5xx, 6xx, plus 408 and the local failures. */
export const DEFAULT_TRIGGERS: readonly FailoverTrigger[] = [
  404,
  408,
  '5xx',
  '6xx',
  'trying_timeout',
  'timeout',
  'transport_error',
];

export const TRIGGER_WORDS = new Set([
  '3xx',
  '4xx',
  '5xx',
  '6xx',
  'trying_timeout',
  'timeout',
  'transport_error',
]);

/** Compiles a trigger list into a policy (one Set lookup per decision). */
export function failoverPolicy(triggers: readonly FailoverTrigger[]): FailoverPolicy {
  const set = new Set<string | number>(triggers);
  return {
    triggers,
    shouldFailover(event) {
      if (event.kind !== 'response') return set.has(event.kind);
      if (event.status < 300) return false;
      return set.has(event.status) || set.has(`${Math.floor(event.status / 100)}xx`);
    },
  };
}

export const DEFAULT_POLICY = failoverPolicy(DEFAULT_TRIGGERS);
