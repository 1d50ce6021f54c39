import { ParsedCron, cronZone, parseCron, robfigNext } from '../src/backup/cron';
import { scheduleInWords } from '../src/report/schedule-words';

const CONTROLLER_ZONE = 'in kube-controller-manager\'s zone (usually UTC)';

describe('schedules in words', () => {
  test.each([
    ['0 2 * * *', undefined, `every day at 02:00 ${CONTROLLER_ZONE}`],
    ['0 2 * * *', 'UTC', 'every day at 02:00 UTC'],
    ['*/15 * * * *', undefined, 'every 15 minutes'],
    ['*/15 * * * *', 'Europe/Berlin', 'every 15 minutes'],
    ['5/15 * * * *', undefined, 'every 15 minutes, starting at 5 minutes past the hour'],
    ['0 3 * * 0', 'Europe/Berlin', 'every Sunday at 03:00 Europe/Berlin'],
    ['0 3 * * sun', 'Europe/Berlin', 'every Sunday at 03:00 Europe/Berlin'],
    ['0 0 ? * MON,WED,FRI', 'UTC', 'every Monday, Wednesday and Friday at 00:00 UTC'],
    ['0 */6 * * *', 'UTC', 'every day at 00:00, 06:00, 12:00 and 18:00 UTC'],
    ['30 1,13 * * *', 'UTC', 'every day at 01:30 and 13:30 UTC'],
    ['15 2 1,15 * *', 'UTC', 'on days 1 and 15 of the month at 02:15 UTC'],
    ['0 0 * 3-5 *', 'UTC', 'every day from March to May at 00:00 UTC'],
    ['0 0 1 */3 *', 'UTC', 'on day 1 of the month in January, April, July and October at 00:00 UTC'],
    ['0 0 */10 * *', 'UTC', 'on every 10th day of the month from day 1 at 00:00 UTC'],
    ['0 0 29 2 *', 'UTC', 'on day 29 of the month in February at 00:00 UTC'],
    ['*/15 9-17 * * 1-5', 'Europe/Berlin', 'every 15 minutes, between 09:00 and 17:59, every Monday to Friday, in Europe/Berlin'],
    ['0 1-5 * * *', undefined, `every hour, between 01:00 and 05:00, ${CONTROLLER_ZONE}`],
    ['30 * * * *', undefined, 'at 30 minutes past the hour'],
    ['@daily', 'UTC', 'every day at 00:00 UTC'],
    ['@midnight', 'UTC', 'every day at 00:00 UTC'],
    ['@hourly', undefined, 'every hour'],
    ['@weekly', 'Asia/Tokyo', 'every Sunday at 00:00 Asia/Tokyo'],
    ['@monthly', 'UTC', 'on day 1 of the month at 00:00 UTC'],
    ['@yearly', 'UTC', 'on day 1 of the month in January at 00:00 UTC'],
  ])('%s in %s: %s', (schedule, timeZone, words) => {
    expect(scheduleInWords(schedule, timeZone)).toBe(words);
  });

  test('a schedule the controller refuses says why, in the words of the parser', () => {
    expect(scheduleInWords('0 0 * * 7')).toBe('"0 0 * * 7" (not a schedule the CronJob controller accepts: it has an invalid day of week field "7" '
      + '(values 0-6; Sunday is 0, the CronJob controller refuses 7))');
    expect(scheduleInWords('CRON_TZ=UTC 0 2 * * *')).toMatch(/^"CRON_TZ=UTC 0 2 \* \* \*" \(not a schedule .*names a time zone/);
  });

  test('@every, which the API server and controller accept (robfig ParseStandard), is an interval, not a refused schedule', () => {
    expect(scheduleInWords('@every 1h30m')).toBe('every 1h30m, counted from the CronJob\'s last scheduled run (or its creation), not the calendar');
    expect(scheduleInWords('@every soon')).toMatch(/^"@every soon" \(not a schedule the CronJob controller accepts/);
  });

  test('a date that never comes is "never"', () => {
    expect(scheduleInWords('0 0 30 2 *')).toBe('never: no month in "0 0 30 2 *" has the day of the month it names');
    expect(scheduleInWords('0 0 31 4,6 *')).toMatch(/^never/);
  });
});

/** The days of 2025 (UTC) on which the CronJob controller's parser runs the schedule, as [day of month, day of week]. */
function runDays(expression: string): [number, number][] {
  const cron = parseCron(expression) as ParsedCron;
  const zone = cronZone('UTC');
  const end = Date.UTC(2026, 0, 1);
  const days = new Map<string, [number, number]>();
  for (let t = robfigNext(cron, zone, Date.UTC(2025, 0, 1) - 1000); t !== undefined && t < end; t = robfigNext(cron, zone, t)) {
    const d = new Date(t);
    days.set(d.toISOString().slice(0, 10), [d.getUTCDate(), d.getUTCDay()]);
  }
  return [...days.values()];
}

// cronstrue reads day-of-month with day-of-week as Vixie cron does; the controller (robfig) ANDs them when either is
// "*" or "?" (also "*/1"), ORs them otherwise. The words must follow the runs robfig makes, checked here day by day.
describe('day-of-month with day-of-week, as robfig/cron runs them', () => {
  const weekdays = (days: [number, number][]) => days.every(([, dow]) => dow >= 1 && dow <= 5);
  test.each([
    ['0 4 */1 * 1-5', 'every Monday to Friday at 04:00 UTC', (days: [number, number][]) => weekdays(days) && days.length === 261],
    ['0 4 ? * 1-5', 'every Monday to Friday at 04:00 UTC', (days: [number, number][]) => weekdays(days) && days.length === 261],
    ['0 4 * * 1-5', 'every Monday to Friday at 04:00 UTC', (days: [number, number][]) => weekdays(days) && days.length === 261],
    ['0 4 1-31 * 1-5', 'every day at 04:00 UTC', (days: [number, number][]) => days.length === 365],
    ['0 4 1 * 0-6', 'every day at 04:00 UTC', (days: [number, number][]) => days.length === 365],
    ['0 4 1 * */1', 'on day 1 of the month at 04:00 UTC', (days: [number, number][]) => days.every(([dom]) => dom === 1) && days.length === 12],
    ['0 0 1 * 1', 'on day 1 of the month and on every Monday at 00:00 UTC',
      (days: [number, number][]) => days.every(([dom, dow]) => dom === 1 || dow === 1) && days.some(([dom, dow]) => dom === 1 && dow !== 1)],
    ['0 4 */2 * 1-5', 'on every 2nd day of the month from day 1 and on every Monday to Friday at 04:00 UTC',
      (days: [number, number][]) => days.every(([dom, dow]) => dom % 2 === 1 || (dow >= 1 && dow <= 5)) && days.some(([, dow]) => dow === 0)],
  ])('%s: %s', (schedule, words, robfigRuns) => {
    expect(robfigRuns(runDays(schedule))).toBe(true);
    expect(scheduleInWords(schedule, 'UTC')).toBe(words);
  });
});
