/**
 * Kubernetes CronJob schedules, read as the API server and the CronJob controller read them: with
 * github.com/robfig/cron/v3 `ParseStandard` (five fields or a descriptor), in the CronJob's `timeZone`.
 * Semantics followed here (robfig/cron v3.0.1 parser.go and spec.go; Kubernetes batch validation):
 * - fields minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 (jan-dec), day-of-week 0-6 (sun-sat): 7 is refused;
 * - a field item that is `*` or `?` (also with step 1, `*` `/1`) keeps a "star" bit; day-of-month and day-of-week
 *   match with OR only when neither has it, else with AND: day-of-month `*` `/1` with day-of-week `1-5` is weekdays only;
 * - `N/step` means `N-max/step`; empty list items (`1,,2`) are skipped; names are case-insensitive;
 * - the API server refuses any schedule containing `TZ` (use the CronJob's `timeZone`).
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
 */
const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], first: 1 },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], first: 0 },
];
type Field = (typeof FIELDS)[number];

/** robfig's descriptors, as fields; `true` marks the star bit of day-of-month and day-of-week. */
const DESCRIPTORS: Record<string, [string, boolean, boolean]> = {
  '@yearly': ['0 0 1 1 *', false, true],
  '@annually': ['0 0 1 1 *', false, true],
  '@monthly': ['0 0 1 * *', false, true],
  '@weekly': ['0 0 * * 0', true, false],
  '@daily': ['0 0 * * *', true, true],
  '@midnight': ['0 0 * * *', true, true],
  '@hourly': ['0 * * * *', true, true],
};

export interface ParsedCron {
  /** Per field, the values that match. */
  readonly sets: boolean[][];
  /** Day-of-month and day-of-week both without the star bit: cron fires when either matches. */
  readonly eitherDay: boolean;
}

/** Parses a schedule; returns an error sentence instead of throwing, for the caller to wrap. */
export function parseCron(expression: string): ParsedCron | string {
  if (expression.includes('TZ')) {
    return 'names a time zone (TZ= or CRON_TZ=), which the Kubernetes API server refuses for CronJobs: give the BackupSchedule `timeZone` instead';
  }
  if (expression.startsWith('@')) {
    if (expression.startsWith('@every')) return 'is an @every interval, which runs relative to the controller\'s clock rather than the calendar: give five fields';
    const d = DESCRIPTORS[expression];
    if (!d) return 'is not a descriptor robfig/cron (the CronJob controller) knows: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly';
    const parsed = parseCron(d[0]) as ParsedCron;
    return { sets: parsed.sets, eitherDay: !d[1] && !d[2] };
  }
  const parts = expression.trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5) return `has ${parts.length} fields; Kubernetes CronJobs take 5 (minute hour day-of-month month day-of-week) or a macro such as @daily`;
  const sets: boolean[][] = [];
  const stars: boolean[] = [];
  for (const [i, part] of parts.entries()) {
    const f = FIELDS[i];
    const set = new Array(f.max + 1).fill(false);
    let star = false;
    for (const item of part.split(',').filter((x) => x !== '')) {
      const r = parseItem(item, f);
      if (typeof r === 'string') return r.replace('%s', `"${part}"`);
      for (let v = r.lo; v <= r.hi; v += r.step) set[v] = true;
      star ||= r.star;
    }
    sets.push(set);
    stars.push(star);
  }
  return { sets, eitherDay: !stars[2] && !stars[4] };
}

interface Item { lo: number; hi: number; step: number; star: boolean }

function parseItem(item: string, f: Field): Item | string {
  const rangeAndStep = item.split('/');
  if (rangeAndStep.length > 2) return `has an invalid ${f.name} field %s (two slashes)`;
  const lowHigh = rangeAndStep[0].split('-');
  let lo = f.min;
  let hi = f.max;
  let star = lowHigh[0] === '*' || lowHigh[0] === '?';
  if (!star) {
    if (lowHigh.length > 2) return `has an invalid ${f.name} field %s (two hyphens)`;
    const a = intOrName(lowHigh[0], f);
    const b = lowHigh.length === 2 ? intOrName(lowHigh[1], f) : a;
    if (a === undefined || b === undefined) return `has an invalid ${f.name} field %s (values ${f.min}-${f.max})`;
    lo = a;
    hi = b;
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    const s = intOrName(rangeAndStep[1], { ...f, names: undefined });
    if (s === undefined) return `has an invalid step in the ${f.name} field %s`;
    step = s;
    if (lowHigh.length === 1) hi = f.max; // "N/step" means "N-max/step"
    if (step > 1) star = false;
  }
  if (lo < f.min || hi > f.max || lo > hi) {
    const why = f.name === 'day of week' && hi === 7 ? '; Sunday is 0, the CronJob controller refuses 7' : '';
    return `has an invalid ${f.name} field %s (values ${f.min}-${f.max}${why})`;
  }
  if (step === 0) return `has a zero step in the ${f.name} field %s`;
  return { lo, hi, step, star };
}

/** A name (month, day of week) or a non-negative decimal as Go's strconv.Atoi reads it (a leading + is allowed). */
function intOrName(token: string, f: { names?: string[]; first?: number }): number | undefined {
  const named = f.names?.indexOf(token.toLowerCase()) ?? -1;
  if (named >= 0) return named + (f.first ?? 0);
  return /^\+?[0-9]{1,9}$/.test(token) ? Number(token) : undefined;
}

/**
 * Why `timeZone` would be refused by the API server (empty, `Local`, not in the tz database), or undefined.
 * Node's Intl reads the same tz database as Go's time.LoadLocation; Go's lookup is a file name, so case matters.
 */
export function timeZoneProblem(timeZone: string): string | undefined {
  if (timeZone === '' || timeZone.toLowerCase() === 'local') return 'must name an explicit tz database zone (not empty, not "Local")';
  const parts = timeZone.split('/');
  if (parts.some((p) => !/^[A-Za-z.\-_0-9+]{1,14}$/.test(p) || p === '.' || p === '..' || p.startsWith('-'))) return 'is not in the tz database';
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return 'is not in the tz database';
  }
  if (resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase()) return `is not in the tz database (did you mean "${resolved}"?)`;
  return undefined;
}

/**
 * The window the worst gap is measured over: local 2025-01-01 to 2053-01-01, 28 years. Between 1901 and 2099
 * the calendar (weekdays and leap years) repeats every 28 years, so the window holds every day-of-month /
 * day-of-week / leap-day combination and the gap across its end is the gap across its start: `0 3 29 2 *`
 * has a worst gap of 4 years (1461 days). 2100 is not a leap year (8 years between Feb 29ths), left out
 * on purpose: robfig's Next searches only 5 years ahead, so after 2096 the controller would never run it again.
 * Zones use the tz database's rules for those years (today's rules, projected).
 */
export const WINDOW_START_YEAR = 2025;
export const WINDOW_YEARS = 28;
const DAY = 86400000;
const HOUR = 3600000;
const MINUTE = 60000;
const START_UTC = Date.UTC(WINDOW_START_YEAR, 0, 1);
const WINDOW_DAYS = Math.round((Date.UTC(WINDOW_START_YEAR + WINDOW_YEARS, 0, 1) - START_UTC) / DAY);
/** Past the window, to find the run after its last one: robfig gives up after 5 years. */
const TAIL_DAYS = 6 * 366;

/**
 * The longest time between two runs, in minutes, for runs in the window above (the last one to the first
 * after the window): the worst-case RPO of a backup on this schedule. Undefined when the schedule never fires.
 * Runs follow the CronJob controller (robfig's Next) in `timeZone` (undefined: the controller's zone, UTC):
 * on a spring-forward day a time inside the skipped hour does not run at all (a daily 02:30 in Europe/Berlin
 * has a 47 h gap), on a fall-back day it runs twice.
 */
export function worstGapMinutes(cron: ParsedCron, timeZone?: string): number | undefined {
  // Schedules repeat across databases: remember each answer.
  const key = cron.sets.map((set) => set.map((b) => (b ? 1 : 0)).join('')).join('|') + (cron.eitherDay ? '|or' : '') + `|${timeZone ?? ''}`;
  if (!gaps.has(key)) gaps.set(key, computeWorstGap(cron, zoneOf(timeZone)));
  return gaps.get(key);
}

const gaps = new Map<string, number | undefined>();

function dayMatches(cron: ParsedCron, dom: number, dow: number): boolean {
  const [, , doms, , dows] = cron.sets;
  return cron.eitherDay ? doms[dom] || dows[dow] : doms[dom] && dows[dow];
}

/** Day by day; only days around an offset change are walked run by run, as robfig's Next walks them. */
function computeWorstGap(cron: ParsedCron, zone: CronZone): number | undefined {
  const [minutes, hours, , months] = cron.sets;
  const daily: number[] = [];
  for (let h = 0; h < 24; h++) for (let m = 0; m < 60; m++) if (hours[h] && minutes[m]) daily.push(h * 60 + m);
  if (daily.length === 0) return undefined;
  // A date that never comes (Feb 30) would send every walk below through robfig's 5-year search.
  let someDay = false;
  for (let d = 0; d < 4 * 366 && !someDay; d++) {
    const date = new Date(START_UTC + d * DAY);
    someDay = months[date.getUTCMonth() + 1] && dayMatches(cron, date.getUTCDate(), date.getUTCDay());
  }
  if (!someDay) return undefined;
  let withinDay = 0;
  for (let i = 1; i < daily.length; i++) withinDay = Math.max(withinDay, daily[i] - daily[i - 1]);
  const endMs = zone.localToInstant(Date.UTC(WINDOW_START_YEAR + WINDOW_YEARS, 0, 1));
  let prev: number | undefined;
  let worst = 0;
  const run = (t: number) => {
    if (prev !== undefined && prev < endMs) worst = Math.max(worst, t - prev);
    prev = t;
  };
  for (let d = 0; d < WINDOW_DAYS + TAIL_DAYS; d++) {
    if (prev !== undefined && prev >= endMs) break;
    const localMidnight = START_UTC + d * DAY;
    if (zone.changesAround(localMidnight)) {
      let t = prev ?? zone.localToInstant(localMidnight) - 1000;
      let until = zone.localToInstant(localMidnight + DAY);
      let extended = false;
      for (;;) {
        const n = robfigNext(cron, zone, t);
        if (n === undefined) break;
        if (n >= until) {
          // robfig's walk can stay off the hour past the change and skip runs until it lands on one: take that
          // run as it finds it, and walk the rest of its day run by run too.
          if (extended) break;
          extended = true;
          d = Math.floor((n + zone.offsetAt(n) - START_UTC) / DAY);
          until = zone.localToInstant(START_UTC + (d + 1) * DAY);
        }
        run(n);
        t = n;
      }
      continue;
    }
    const date = new Date(localMidnight);
    if (!months[date.getUTCMonth() + 1] || !dayMatches(cron, date.getUTCDate(), date.getUTCDay())) continue;
    const offset = zone.offsetAt(zone.localToInstant(localMidnight + 12 * HOUR)); // the whole day's
    run(localMidnight - offset + daily[0] * MINUTE);
    if (daily.length > 1) {
      worst = Math.max(worst, withinDay * MINUTE);
      prev = localMidnight - offset + daily[daily.length - 1] * MINUTE;
    }
  }
  if (prev === undefined) return undefined;
  return worst / MINUTE;
}

/** A time zone: UTC offsets from the tz database, through Intl, remembered per day. */
export interface CronZone {
  /** Offset (local minus UTC, ms) at an instant. */
  offsetAt(instant: number): number;
  /** The instant of a local wall time (ms as if UTC), as Go's time.Date resolves it (a skipped time moves forward). */
  localToInstant(wall: number): number;
  /** Whether the offset changes on or next to the local day of this midnight. */
  changesAround(localMidnight: number): boolean;
}

const zones = new Map<string, CronZone>();

function zoneOf(timeZone: string | undefined): CronZone {
  const name = timeZone ?? 'UTC';
  if (!zones.has(name)) zones.set(name, makeZone(name));
  return zones.get(name)!;
}

const UTC: CronZone = { offsetAt: () => 0, localToInstant: (local) => local, changesAround: () => false };

function makeZone(name: string): CronZone {
  if (name === 'UTC' || name === 'Etc/UTC') return UTC;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  const intlOffset = (t: number): number => {
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
  };
  // Offsets at each UTC noon of the window (and a margin around it); changes found exactly by bisection.
  const first = START_UTC - 2 * DAY;
  const days = WINDOW_DAYS + TAIL_DAYS + 4;
  const noon: number[] = [];
  for (let d = 0; d < days; d++) noon.push(intlOffset(first + d * DAY + 12 * HOUR));
  const changes: { at: number; offset: number }[] = [];
  for (let d = 1; d < days; d++) {
    if (noon[d] === noon[d - 1]) continue;
    let lo = first + (d - 1) * DAY + 12 * HOUR;
    let hi = lo + DAY;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (intlOffset(mid) === noon[d - 1]) lo = mid; else hi = mid;
    }
    changes.push({ at: hi, offset: noon[d] });
  }
  const offsetAt = (t: number): number => {
    if (t < first || t >= first + days * DAY) return intlOffset(t);
    let lo = 0;
    let hi = changes.length; // the first change after t
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (changes[mid].at <= t) lo = mid + 1; else hi = mid;
    }
    return lo === 0 ? noon[0] : changes[lo - 1].offset;
  };
  // The local days a change falls on, read with the offset before it and after it, and the day after: a
  // half-hour change leaves robfig's hour-by-hour walk off the hour until it passes midnight.
  const changing = new Uint8Array(WINDOW_DAYS + TAIL_DAYS);
  changes.forEach((c, i) => {
    for (const off of [i === 0 ? noon[0] : changes[i - 1].offset, c.offset]) {
      const d = Math.floor((c.at + off - START_UTC) / DAY);
      for (const k of [d, d + 1]) if (k >= 0 && k < changing.length) changing[k] = 1;
    }
  });
  return {
    offsetAt,
    localToInstant: (local) => local - offsetAt(local - offsetAt(local)),
    changesAround: (m) => changing[Math.round((m - START_UTC) / DAY)] === 1,
  };
}

/** Local wall-clock fields of an instant. */
function wall(zone: CronZone, t: number) {
  const d = new Date(t + zone.offsetAt(t));
  return {
    y: d.getUTCFullYear(),
    mo: d.getUTCMonth() + 1,
    d: d.getUTCDate(),
    dow: d.getUTCDay(),
    h: d.getUTCHours(),
    mi: d.getUTCMinutes(),
    s: d.getUTCSeconds(),
  };
}

/** Go's time.Date in the zone: fields may overflow (Date.UTC normalizes them the same way). */
function goDate(zone: CronZone, y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  return zone.localToInstant(Date.UTC(y, mo - 1, d, h, mi, s));
}

/**
 * The first run after instant `after` (whole seconds), the way robfig's SpecSchedule.Next finds it: month by
 * month, then day by day (adding a calendar day, then pulling a DST-shifted hour back towards midnight), then
 * hour by hour and minute by minute in absolute time. Undefined after 5 years without a match.
 */
export function robfigNext(cron: ParsedCron, zone: CronZone, after: number): number | undefined {
  const [minutes, hours, , months] = cron.sets;
  let t = after + 1000;
  let added = false;
  const yearLimit = wall(zone, t).y + 5;
  wrap: for (;;) {
    let w = wall(zone, t);
    if (w.y > yearLimit) return undefined;
    while (!months[w.mo]) {
      if (!added) { added = true; t = goDate(zone, w.y, w.mo, 1); w = wall(zone, t); }
      t = goDate(zone, w.y, w.mo + 1, w.d, w.h, w.mi, w.s);
      w = wall(zone, t);
      if (w.mo === 1) continue wrap;
    }
    while (!dayMatches(cron, w.d, w.dow)) {
      if (!added) { added = true; t = goDate(zone, w.y, w.mo, w.d); w = wall(zone, t); }
      t = goDate(zone, w.y, w.mo, w.d + 1, w.h, w.mi, w.s);
      w = wall(zone, t);
      if (w.h !== 0) t += (w.h > 12 ? 24 - w.h : -w.h) * HOUR;
      w = wall(zone, t);
      if (w.d === 1) continue wrap;
    }
    while (!hours[w.h]) {
      if (!added) { added = true; t = goDate(zone, w.y, w.mo, w.d, w.h); }
      t += HOUR;
      w = wall(zone, t);
      if (w.h === 0) continue wrap;
    }
    while (!minutes[w.mi]) {
      if (!added) { added = true; t -= t % MINUTE; }
      t += MINUTE;
      w = wall(zone, t);
      if (w.mi === 0) continue wrap;
    }
    if (w.s !== 0) {
      // Second by second to the next whole minute (offsets are whole minutes), then start over.
      added = true;
      t = t - (t % MINUTE) + MINUTE;
      continue wrap;
    }
    return t;
  }
}

/** The zone of robfigNext, for tests comparing run times with robfig's. */
export function cronZone(timeZone?: string): CronZone {
  return zoneOf(timeZone);
}
