import { Cron } from 'cdk8s';
import { BackupMethod, BackupSchedule, DatabaseConfigError, Engine, PostgresVersion, Retention, StatefulDatabase } from '../src';
import { newChart, synthValid } from './support/synth';
import { ParsedCron, parseCron, timeZoneProblem, worstGapMinutes } from '../src/backup/cron';

const DAY = 1440;

function gap(expression: string, timeZone?: string): number | undefined {
  const parsed = parseCron(expression);
  if (typeof parsed === 'string') throw new Error(parsed);
  return worstGapMinutes(parsed, timeZone);
}

function schedule(cron: Cron, timeZone?: string, alerts = false) {
  const chart = newChart('shop');
  const database = new StatefulDatabase(chart, 'db', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
  const backups = new BackupSchedule(chart, 'backups', {
    database,
    methods: [BackupMethod.volumeSnapshot({ snapshotClassName: 'csi-snap', schedule: cron, retention: Retention.keepLast(8) })],
    timeZone,
    alerts,
  });
  return { chart, backups };
}

// Numbers checked against robfig/cron (the CronJob controller's library) by test-runtime/cron-semantics.runtime.test.ts.
describe('worst gap as the CronJob controller runs the schedule', () => {
  test.each([
    // day-of-month "*" (also with step 1 or "?") keeps the star bit: weekdays only, 3 days over the weekend
    ['0 4 */1 * 1-5', 3 * DAY],
    ['0 4 ? * mon-fri', 3 * DAY],
    // a step above 1 drops the star bit: odd days OR weekdays
    ['0 4 */2 * 1-5', 2 * DAY],
    // both restricted: the 1st OR any Sunday
    ['0 0 1 * 0', 7 * DAY],
    ['0 0 1,15 * *', 17 * DAY],
    // leap years: Cron.annually() after a 366-day year, Feb 29 every 4 years
    [Cron.annually().expressionString, 366 * DAY],
    ['@yearly', 366 * DAY],
    ['0 3 29 2 *', 1461 * DAY],
    // robfig's quirks: "*-5" is "*", empty list items are skipped, "+5" is 5
    ['*-5 * * * *', 1],
    ['1,,2 * * * *', 59],
    ['+5 * * * *', 60],
  ])('%s: %i minutes', (expression, minutes) => {
    expect(gap(expression)).toBe(minutes);
  });

  test.each([
    // spring forward skips 02:00-03:00: the 02:30 run of that day does not happen
    ['30 2 * * *', 'Europe/Berlin', 47 * 60],
    ['30 2 * * *', 'America/New_York', 47 * 60],
    ['30 2 * * *', 'UTC', DAY],
    ['30 2 * * *', undefined, DAY],
    // 01:30 always runs, 23 h or 25 h apart around the changes
    ['30 1 * * *', 'Europe/Berlin', 25 * 60],
    ['0 * * * *', 'Europe/Berlin', 60],
    // a Sunday 02:00 backup misses the spring-forward Sunday: two weeks less an hour
    ['0 2 * * 0', 'Europe/Berlin', 14 * DAY - 60],
    // Lord Howe Island moves by 30 minutes
    ['30 2 * * *', 'Australia/Lord_Howe', DAY + 30],
    ['30 2 * * *', 'Asia/Kolkata', DAY],
  ])('%s in %s: %i minutes', (expression, timeZone, minutes) => {
    expect(gap(expression, timeZone)).toBe(minutes);
  });

  test('never firing: undefined', () => {
    expect(gap('0 0 31 2 *')).toBeUndefined();
    expect(gap('0 0 30 2 *', 'Europe/Berlin')).toBeUndefined();
  });

  test('cheap once known: a thousand databases on one schedule', () => {
    const parsed = parseCron('0 4 */1 * 1-5') as ParsedCron;
    worstGapMinutes(parsed, 'Europe/Berlin');
    const started = Date.now();
    for (let i = 0; i < 1000; i++) worstGapMinutes(parseCron('0 4 */1 * 1-5') as ParsedCron, 'Europe/Berlin');
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('refused as the API server refuses them', () => {
  test.each([
    ['0 0 * * 7', 'has an invalid day of week field "7" (values 0-6; Sunday is 0, the CronJob controller refuses 7)'],
    ['0 0 * * 5-7', 'has an invalid day of week field "5-7" (values 0-6; Sunday is 0, the CronJob controller refuses 7)'],
    ['60 * * * *', 'has an invalid minute field "60" (values 0-59)'],
    ['*/0 * * * *', 'has a zero step in the minute field "*/0"'],
    ['0 0 0 * *', 'has an invalid day of month field "0" (values 1-31)'],
    ['1-2-3 * * * *', 'has an invalid minute field "1-2-3" (two hyphens)'],
    ['CRON_TZ=UTC 0 * * * *', 'names a time zone (TZ= or CRON_TZ=), which the Kubernetes API server refuses for CronJobs: give the BackupSchedule `timeZone` instead'],
    ['@every 1h', 'is an @every interval, which runs relative to the controller\'s clock rather than the calendar: give five fields'],
    ['@fortnightly', 'is not a descriptor robfig/cron (the CronJob controller) knows: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly'],
  ])('%s', (expression, message) => {
    expect(parseCron(expression)).toBe(message);
  });

  test('Cron.schedule({ weekDay: \'7\' }) is a DatabaseConfigError naming the schedule', () => {
    expect(() => schedule(Cron.schedule({ minute: '0', hour: '3', weekDay: '7' }))).toThrow(DatabaseConfigError);
    expect(() => schedule(Cron.schedule({ minute: '0', hour: '3', weekDay: '7' }))).toThrow(
      'test/backups/Method0: `volumeSnapshot` schedule "0 3 * * 7" has an invalid day of week field "7" (values 0-6; Sunday is 0, the CronJob controller refuses 7).');
  });

  test('TZ= in the schedule is refused, pointing at `timeZone`', () => {
    expect(() => schedule(Cron.schedule({ minute: 'TZ=Europe/Berlin 0', hour: '3' }), 'Europe/Berlin')).toThrow(/`timeZone` instead/);
  });

  test.each([
    ['Mars/Olympus_Mons', 'is not in the tz database'],
    ['europe/berlin', 'is not in the tz database (did you mean "Europe/Berlin"?)'],
    ['Local', 'must name an explicit tz database zone (not empty, not "Local")'],
    ['', 'must name an explicit tz database zone (not empty, not "Local")'],
    ['CET+1 summer', 'is not in the tz database'],
  ])('timeZone "%s" is refused', (timeZone, problem) => {
    expect(timeZoneProblem(timeZone)).toBe(problem);
    expect(() => schedule(Cron.daily(), timeZone)).toThrow(
      `test/backups: \`timeZone\` "${timeZone}" ${problem}: give an IANA time zone name such as "Europe/Paris" or "Etc/UTC".`);
  });

  test.each(['Europe/Berlin', 'Etc/UTC', 'UTC', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata'])('timeZone %s is accepted', (timeZone) => {
    expect(timeZoneProblem(timeZone)).toBeUndefined();
  });
});

describe('reported RPO and backup-age alert', () => {
  test('weekday backups: the alert allows the weekend', () => {
    const { chart, backups } = schedule(Cron.schedule({ minute: '0', hour: '4', day: '*/1', weekDay: '1-5' }), 'Europe/Berlin', true);
    // Friday 04:00 to Monday 04:00 over the October weekend the clocks go back: 73 h
    expect(backups.worstCaseRpoSeconds).toBe(73 * 3600);
    const rule = synthValid(chart).find((m: any) => m.kind === 'PrometheusRule');
    const tooOld = rule.spec.groups[0].rules.find((r: any) => r.alert === 'DatabaseBackupTooOld');
    expect(tooOld.expr).toMatch(/ > 266400$/); // and an hour of slack
  });

  test('a daily 02:30 in Europe/Berlin: 47 h', () => {
    const { backups } = schedule(Cron.schedule({ minute: '30', hour: '2' }), 'Europe/Berlin');
    expect(backups.worstCaseRpoSeconds).toBe(47 * 3600);
  });
});
