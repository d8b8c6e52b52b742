import type { EventLoopUtilization } from 'node:perf_hooks';

/** An event-loop utilization source the test drives: busy and idle milliseconds. */
export function fakeElu() {
  let active = 0;
  let idle = 0;
  const elu = (a?: EventLoopUtilization, b?: EventLoopUtilization): EventLoopUtilization => {
    if (a && b) {
      const act = a.active - b.active;
      const idl = a.idle - b.idle;
      return { active: act, idle: idl, utilization: act / (act + idl) };
    }
    return { active, idle, utilization: active / (active + idle || 1) };
  };
  return {
    elu,
    spend(busyMs: number, idleMs: number) {
      active += busyMs;
      idle += idleMs;
    },
  };
}
