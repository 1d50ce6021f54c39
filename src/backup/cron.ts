/**
 * Kubernetes CronJob schedules: five fields (minute hour day-of-month month day-of-week) with
 * numbers, names, ranges, lists and steps, or a macro (@hourly, @daily, @weekly, @monthly, @yearly).
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
 */
const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface ParsedCron {
  readonly sets: boolean[][];
  /** Day-of-month and day-of-week both restricted: cron fires when either matches. */
  readonly eitherDay: boolean;
}

/** Parses a schedule; returns an error sentence instead of throwing, for the caller to wrap. */
export function parseCron(expression: string): ParsedCron | string {
  const expr = MACROS[expression.trim()] ?? expression.trim();
  const parts = expr.split(/\s+/);
  if (parts.length !== 5) return `has ${parts.length} fields; Kubernetes CronJobs take 5 (minute hour day-of-month month day-of-week) or a macro such as @daily`;
  const sets: boolean[][] = [];
  for (const [i, part] of parts.entries()) {
    const f = FIELDS[i];
    const set = new Array(f.max + 1).fill(false);
    for (const item of part.split(',')) {
      const m = /^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:\/([0-9]+))?$/i.exec(item);
      if (!m) return `has an invalid ${f.name} field "${part}"`;
      const step = m[2] !== undefined ? Number(m[2]) : 1;
      if (step < 1) return `has a zero step in the ${f.name} field "${part}"`;
      let lo = f.min;
      let hi = f.max;
      if (m[1] !== '*') {
        const [a, b] = m[1].split('-');
        const va = value(a, f);
        const vb = b !== undefined ? value(b, f) : (m[2] !== undefined ? f.max : va);
        if (va === undefined || vb === undefined || va > vb) return `has an invalid ${f.name} field "${part}" (values ${f.min}-${f.max})`;
        lo = va;
        hi = vb;
      }
      for (let v = lo; v <= hi; v += step) set[v] = true;
    }
    if (i === 4 && set[7]) set[0] = true; // 7 is Sunday too
    sets.push(set);
  }
  return { sets, eitherDay: parts[2] !== '*' && parts[4] !== '*' };
}

function value(token: string, f: { name: string; min: number; max: number; names?: string[] }): number | undefined {
  const named = f.names?.indexOf(token.toLowerCase()) ?? -1;
  const v = named >= 0 ? named + (f.name === 'month' ? 1 : 0) : /^[0-9]+$/.test(token) ? Number(token) : NaN;
  return Number.isInteger(v) && v >= f.min && v <= f.max ? v : undefined;
}

/**
 * The longest time between two runs, in minutes, over a whole year of minutes: the worst-case
 * RPO of a backup on this schedule. Undefined when the schedule never fires.
 */
export function worstGapMinutes(cron: ParsedCron): number | undefined {
  // Two years of minutes is real work, and schedules repeat across databases: remember each answer.
  const key = cron.sets.map((set) => set.map((b) => (b ? 1 : 0)).join('')).join('|') + (cron.eitherDay ? '|or' : '');
  if (!gaps.has(key)) gaps.set(key, computeWorstGap(cron));
  return gaps.get(key);
}

const gaps = new Map<string, number | undefined>();

function computeWorstGap(cron: ParsedCron): number | undefined {
  const [minutes, hours, doms, months, dows] = cron.sets;
  const start = Date.UTC(2025, 0, 1);
  let first: number | undefined;
  let last: number | undefined;
  let worst = 0;
  const totalMinutes = 2 * 365 * 24 * 60; // two years, so a yearly schedule has a gap to measure
  for (let day = 0; day < totalMinutes / 1440; day++) {
    const d = new Date(start + day * 86400000);
    const domMatch = doms[d.getUTCDate()];
    const dowMatch = dows[d.getUTCDay()];
    const dayMatch = cron.eitherDay ? domMatch || dowMatch : domMatch && dowMatch;
    if (!months[d.getUTCMonth() + 1] || !dayMatch) continue;
    for (let h = 0; h < 24; h++) {
      if (!hours[h]) continue;
      for (let m = 0; m < 60; m++) {
        if (!minutes[m]) continue;
        const t = day * 1440 + h * 60 + m;
        if (last !== undefined) worst = Math.max(worst, t - last);
        if (first === undefined) first = t;
        last = t;
      }
    }
  }
  if (first === undefined || last === undefined) return undefined;
  return first === last ? totalMinutes : worst;
}
