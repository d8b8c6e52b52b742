// The route engine's public face: pure functions of (table, call facts, random, clock).
export * from './model.js';
export { Credentials } from './credentials.js';
export {
  validateTable,
  formatError,
  normaliseNumber,
  type ValidationError,
  type ValidationResult,
} from './validate-table.js';
export { parseRouteFile } from './parse-route-file.js';
export { compileTable, type CompiledTable, type AttemptTemplate } from './compile-table.js';
export {
  planCall,
  gatewayKey,
  type Attempt,
  type CallFacts,
  type Plan,
  type TraceLine,
} from './plan-call.js';
export {
  failoverPolicy,
  DEFAULT_POLICY,
  DEFAULT_TRIGGERS,
  type FailoverEvent,
  type FailoverPolicy,
  type FailoverSpec,
  type FailoverTrigger,
} from './failover.js';
export { chooseBestResponse } from './best-response.js';
export { explainPlan } from './explain.js';
export { seededRandom } from './seeded-random.js';
