import { Cron, Duration } from 'cdk8s';
import { cronJob } from './backup-fixtures';
import { BackupMethod, BackupSchedule, BackupTarget, Engine, PolicyContext, PostgresVersion, Retention, RuleStatus, StatefulDatabase } from '../../src';
import { rpoTarget } from '../../src/policy/rules/dok/rpo-target';
import { expectNonCompliant, verdictOf } from '../support/policy';
import { newChart, only, synthValid } from '../support/synth';

const hints = (rpo?: string, target?: string) => ({
  'cdk8s-databases.io/backs-up': 'orders',
  'cdk8s-databases.io/retention': 'newest 14 dumps',
  ...(rpo !== undefined ? { 'cdk8s-databases.io/rpo-seconds': rpo } : {}),
  ...(target !== undefined ? { 'cdk8s-databases.io/rpo-target-seconds': target } : {}),
});

describe('DOK-RPO-TARGET', () => {
  test('compliant: hourly dumps, RPO 1 h stated, target 2 h', () => {
    expect(verdictOf(rpoTarget, cronJob('orders-dumps', { schedule: '0 * * * *', annotations: hints('3600', '7200') })).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: a daily dump against a 1 h target', () => {
    expectNonCompliant(verdictOf(rpoTarget, cronJob('orders-dumps', { annotations: hints('86400', '3600') })), /^worst case 1 d, target 1 h$/);
  });

  test('non-compliant: a target but no stated RPO cannot be proven', () => {
    expectNonCompliant(verdictOf(rpoTarget, cronJob('orders-dumps', { schedule: '0 * * * *', annotations: hints(undefined, '7200') })),
      /^target 2 h but no `cdk8s-databases.io\/rpo-seconds`: the RPO cannot be shown to meet it$/);
  });

  test('non-compliant: the schedule was edited (escape hatch) to weekly, the hint still says hourly', () => {
    expectNonCompliant(verdictOf(rpoTarget, cronJob('orders-dumps', { schedule: '0 0 * * 0', annotations: hints('3600', '7200') })),
      /^states a worst-case RPO of 1 h, but schedule "0 0 \* \* 0" runs up to 7 d apart; worst case 7 d, target 2 h$/);
  });

  test('non-compliant: the time zone skips a spring-forward run, which the stated 1 d does not account for (even without a target)', () => {
    expectNonCompliant(verdictOf(rpoTarget, cronJob('orders-dumps', { schedule: '30 2 * * *', timeZone: 'Europe/Berlin', annotations: hints('86400') })),
      /^states a worst-case RPO of 1 d, but schedule "30 2 \* \* \*" in Europe\/Berlin runs up to 1 d 23 h apart$/);
  });

  test('non-compliant: a suspended CronJob, and unreadable figures', () => {
    expectNonCompliant(verdictOf(rpoTarget, cronJob('orders-dumps', { suspend: true, annotations: hints('86400', 'one day') })),
      /`cdk8s-databases.io\/rpo-target-seconds` "one day" is not a whole number of seconds; is suspended \(`spec.suspend: true`\): no run, the RPO is unbounded/);
  });

  test('not applicable: a CronJob that states no RPO and no target', () => {
    expect(verdictOf(rpoTarget, cronJob('orders-report')).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('odd input (other tools\' YAML, no spec, a numeric schedule) is judged, never thrown on', () => {
    const odd = [
      { kind: 'CronJob', metadata: { annotations: hints('60', '60') } },
      { kind: 'CronJob', metadata: { annotations: hints('60', '60') }, spec: { schedule: 5 } },
      { kind: 'CronJob', metadata: { annotations: hints('60', '60') }, spec: { schedule: '* * * * *', timeZone: 7 } },
      { kind: 'StatefulSet', metadata: { annotations: hints('600', '60') } },
    ];
    const details = odd.map((o) => rpoTarget.evaluate(o, new PolicyContext(odd)).detail);
    expect(details).toEqual([
      'has no schedule: the RPO cannot be computed',
      'has no schedule: the RPO cannot be computed',
      'has time zone 7, which is not a string: the RPO cannot be computed',
      'worst case 10 min, target 1 min',
    ]);
  });

  test('synthesized: the RPO BackupSchedule writes is the one its schedule gives', () => {
    const chart = newChart('shop');
    const pg = new StatefulDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    new BackupSchedule(chart, 'b', {
      database: pg,
      timeZone: 'America/New_York',
      methods: [BackupMethod.logicalDump({
        schedule: Cron.schedule({ minute: '30', hour: '2', weekDay: '1-5' }),
        target: BackupTarget.pvc({ claimName: 'backups' }),
        retention: Retention.maxAge(Duration.days(7)),
      })],
    });
    const dumps = only(synthValid(chart), 'CronJob', 'orders-dumps');
    expect(verdictOf(rpoTarget, dumps).status).toBe(RuleStatus.COMPLIANT);
    // With a target the library does not offer (a user's annotation), a weekday schedule misses one day.
    dumps.metadata.annotations['cdk8s-databases.io/rpo-target-seconds'] = '86400';
    expectNonCompliant(verdictOf(rpoTarget, dumps), /^worst case 3 d( 1 h)?, target 1 d$/);
  });
});
