import type { Day, Schedule } from './model.js';

const WEEKDAY: Record<string, Day> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The weekday and minute of the day at `nowMs` in a time zone. */
export function localTime(nowMs: number, tz: string): { day: Day; minute: number } {
  let day: Day = 'mon';
  let hour = 0;
  let minute = 0;
  for (const p of formatter(tz).formatToParts(nowMs)) {
    if (p.type === 'weekday') day = WEEKDAY[p.value] ?? 'mon';
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minute: hour * 60 + minute };
}

function toMinute(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/**
 * Whether a schedule is open at `nowMs`, evaluated in its own time zone. A
 * window whose end is before its start wraps midnight; it then belongs to the
 * day it started on.
 */
export function scheduleOpen(s: Schedule, nowMs: number): boolean {
  const { day, minute } = localTime(nowMs, s.time_zone);
  const from = s.from === undefined ? 0 : toMinute(s.from);
  const to = s.to === undefined ? 24 * 60 : toMinute(s.to);
  const dayOk = (d: Day): boolean => !s.days || s.days.includes(d);
  if (from <= to) return dayOk(day) && minute >= from && minute < to;
  // Wrapping window: the evening part is today's, the morning part yesterday's.
  if (minute >= from) return dayOk(day);
  if (minute < to) return dayOk(previousDay(day));
  return false;
}

function previousDay(d: Day): Day {
  const order: Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  return order[(order.indexOf(d) + 6) % 7]!;
}
