import cronstrue from 'cronstrue';
import { ParsedCron, parseCron } from '../backup/cron';

/**
 * A CronJob schedule in words, as the CronJob controller runs it, e.g. "every day at 02:00 Europe/Berlin".
 *
 * The words are built from the values robfig/cron (the controller's parser, read by src/backup/cron.ts) matches,
 * not from the text: cronstrue reads day-of-month with day-of-week the way Vixie cron does, robfig ANDs them unless
 * neither field is `*`/`?` (`0 4 *` `/1 * 1-5` runs on weekdays only, `0 4 1-31 * 1-5` every day). So each field
 * is rewritten from its matched values before cronstrue describes the part of it that is a time of day.
 *
 * Without `timeZone`, the controller reads the schedule in kube-controller-manager's own zone, which is UTC in
 * nearly every distribution but not guaranteed: the words say so.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones
 */
export function scheduleInWords(schedule: string, timeZone?: string): string {
  const interval = EVERY.exec(schedule.trim());
  if (interval) {
    return `every ${interval[1]}, counted from the CronJob's last scheduled run (or its creation), not the calendar`;
  }
  const parsed = parseCron(schedule.trim());
  if (typeof parsed === 'string') return `"${schedule}" (not a schedule the CronJob controller accepts: it ${parsed})`;
  const [minutes, hours, doms, months, dows] = parsed.sets.map(valuesOf);
  if (!firesAtAll(parsed)) return `never: no month in "${schedule}" has the day of the month it names`;

  const zone = timeZone ?? 'in kube-controller-manager\'s zone (usually UTC)';
  const inZone = timeZone ? `in ${timeZone}` : zone;
  const everyDay = dayKind(parsed) === 'any' && months.length === 12;
  const times = minutes.length * hours.length <= 4 ? fixedTimes(minutes, hours) : undefined;
  const dayWords = daysInWords(parsed, doms, dows);
  const monthWords = months.length === 12 ? '' : ` ${/^\w+ to \w+$/.test(rangeWords(months, MONTHS)) ? 'from' : 'in'} ${rangeWords(months, MONTHS)}`;

  if (times) return `${everyDay ? 'every day' : dayWords}${monthWords} at ${times} ${zone}`;
  // Runs through the day: cronstrue describes minute and hour; the zone matters only when hours or days are limited.
  const clock = lowerFirst(cronstrue.toString(`${fieldOf(minutes, 0, 59)} ${fieldOf(hours, 0, 23)} * * *`, { use24HourTimeFormat: true }));
  const days = dayKind(parsed) === 'any' ? '' : `, ${dayWords}`;
  const zoned = hours.length === 24 && everyDay ? '' : `, ${inZone}`;
  return `${clock}${days}${monthWords}${zoned}`;
}

/**
 * `@every <Go duration>`: robfig's ParseStandard (which the API server's CronJob validation and the controller call)
 * takes it as a constant delay, so Kubernetes accepts it; src/backup/cron.ts refuses it for BackupSchedules only.
 */
const EVERY = /^@every ((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['', 'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** Days in each month of a leap year: a schedule on 29 February runs (every four years). */
const MONTH_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function valuesOf(set: boolean[]): number[] {
  return set.flatMap((on, value) => (on ? [value] : []));
}

/**
 * Which day fields limit the days, as robfig matches them: with the star bit on either field the two are ANDed and
 * the starred one matches every day; without it they are ORed, and a field listing every value makes every day match.
 */
function dayKind(cron: ParsedCron): 'any' | 'dom' | 'dow' | 'either' {
  const [, , domSet, , dowSet] = cron.sets;
  const allDom = valuesOf(domSet).length === 31;
  const allDow = valuesOf(dowSet).length === 7;
  if (cron.eitherDay) return allDom || allDow ? 'any' : 'either';
  if (allDom && allDow) return 'any';
  return allDom ? 'dow' : allDow ? 'dom' : 'either';
}

function firesAtAll(cron: ParsedCron): boolean {
  const kind = dayKind(cron);
  if (kind === 'any' || kind === 'dow' || kind === 'either') return true;
  const [, , domSet, monthSet] = cron.sets;
  return valuesOf(monthSet).some((month) => valuesOf(domSet).some((day) => day <= MONTH_DAYS[month]));
}

function daysInWords(cron: ParsedCron, doms: number[], dows: number[]): string {
  const step = progressionStep(doms, 31);
  const onDom = step
    ? `on every ${ordinal(step)} day of the month from day ${doms[0]}`
    : `on day${doms.length > 1 ? 's' : ''} ${rangeWords(doms)} of the month`;
  // robfig ORs the two fields here: a day runs when either matches.
  const onDow = `every ${rangeWords(dows, DAYS)}`;
  switch (dayKind(cron)) {
    case 'dom': return onDom;
    case 'dow': return onDow;
    case 'either': return `${onDom} and on ${onDow}`;
    default: return 'every day';
  }
}

/** "02:00", "00:00 and 12:00": each run of the day, when there are few. */
function fixedTimes(minutes: number[], hours: number[]): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return joinWords(hours.flatMap((h) => minutes.map((m) => `${pad(h)}:${pad(m)}`)));
}

/** Values as words, runs of three or more as "Monday to Friday". */
function rangeWords(values: number[], names?: string[]): string {
  const name = (v: number) => (names ? names[v] : String(v));
  const parts: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    if (j - i >= 2) parts.push(`${name(values[i])} to ${name(values[j])}`);
    else for (let k = i; k <= j; k++) parts.push(name(values[k]));
    i = j + 1;
  }
  return joinWords(parts);
}

function joinWords(parts: string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** A cron field that matches exactly these values and reads the same in any cron dialect: `*`, `a/step`, or a list. */
function fieldOf(values: number[], min: number, max: number): string {
  if (values.length === max - min + 1) return '*';
  const step = progressionStep(values, max);
  if (step) return `${values[0] === min ? '*' : values[0]}/${step}`;
  return rangeWords(values).replace(/ to /g, '-').replace(/,? and |, /g, ',');
}

/** The step of values that run `first/step` to the end of the field (at least three values, step above 1). */
function progressionStep(values: number[], max: number): number | undefined {
  const step = values.length > 2 ? values[1] - values[0] : 0;
  const progression = step > 1 && values.every((v, i) => v === values[0] + i * step) && values[values.length - 1] + step > max;
  return progression ? step : undefined;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
