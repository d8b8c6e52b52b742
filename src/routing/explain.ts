import type { Plan } from './plan-call.js';

/** A human-readable account of a plan: who the caller is, what was kept or dropped and why, the order. */
export function explainPlan(plan: Plan): string {
  const lines: string[] = [];
  const head =
    plan.outcome === 'route'
      ? `${plan.attempts.length} attempt(s) for ${plan.number}, mode ${plan.mode ?? 'as configured'}`
      : `${plan.status} ${plan.reason} for ${plan.number}`;
  lines.push(head);
  lines.push(`customer: ${plan.customer ? plan.customer.id : '(none)'}`);
  for (const t of plan.trace) {
    const mark =
      t.step === 'candidate'
        ? '+'
        : t.step === 'drop' || t.step === 'skip'
          ? '-'
          : t.step === 'attempt'
            ? '→'
            : '·';
    lines.push(`  ${mark} ${t.message}`);
  }
  return lines.join('\n');
}
