import { Cron, CronOptions, Duration } from 'cdk8s';
import * as fc from 'fast-check';
import { PVC, S3, edgeTarget, validCron } from './database-props';
import { Fields, Sample, edgeDuration, edgeNumber, edgeString, labelled, oneSuspicious } from './suspicious';
import { BackupMethod, BackupScheduleProps, Retention } from '../../src';

const cron = (o: CronOptions) => labelled(Cron.schedule(o), `Cron.schedule(${JSON.stringify(o)})`);

/** Schedules the CronJob controller refuses or that never fire, and odd but valid ones. */
export const edgeCron = () => fc.oneof(
  fc.constantFrom(
    { minute: '61' }, { minute: '0', hour: '24' }, { minute: '*/0' }, { minute: '0', hour: '0', day: '31', month: '2' },
    { minute: '0', weekDay: '7' }, { minute: '0', weekDay: 'SUN-SAT' }, { minute: '5-1' }, { minute: '0', day: '0' },
    { minute: '0', month: '13' }, { minute: '0,30', hour: '1-3', weekDay: 'MON-FRI' }, { minute: '-1' }, { minute: '0.5' },
    { minute: '' }, { minute: '0', hour: '2', day: '*', weekDay: '1' }, { minute: '0', day: '30', month: '2' },
  ).map(cron),
  edgeString().map((s) => cron({ minute: s })),
);

const retention = {
  valid: fc.oneof(
    fc.integer({ min: 1, max: 30 }).map((n) => labelled(Retention.keepLast(n), `Retention.keepLast(${n})`)),
    fc.integer({ min: 1, max: 90 }).map((d) => labelled(Retention.maxAge(Duration.days(d)), `Retention.maxAge(Duration.days(${d}))`)),
  ),
  edge: fc.oneof(
    edgeNumber().map((n) => labelled(Retention.keepLast(n), `Retention.keepLast(${n})`)),
    edgeDuration().map((d) => labelled(Retention.maxAge(d), `Retention.maxAge(${fc.stringify(d)})`)),
    fc.constant(labelled(Retention.of({}), 'Retention.of({})')),
  ),
};

/** One method of each kind, valid or with one option swapped. */
const snapshot = (o: { snapshotClassName?: any; schedule?: any; retention?: any }) => {
  const full = { snapshotClassName: 'csi-snapclass', schedule: cron({ minute: '0', hour: '*/6' }), retention: labelled(Retention.keepLast(8), 'Retention.keepLast(8)'), ...o };
  return labelled(BackupMethod.volumeSnapshot(full), `BackupMethod.volumeSnapshot(${fc.stringify(full)})`);
};
const dump = (o: { target?: any; schedule?: any; retention?: any }) => {
  const full = { schedule: cron({ minute: '30', hour: '2' }), target: S3, retention: labelled(Retention.keepLast(7), 'Retention.keepLast(7)'), ...o };
  return labelled(BackupMethod.logicalDump(full), `BackupMethod.logicalDump(${fc.stringify(full)})`);
};
const archiving = (o: { target?: any; archiveTimeout?: any; baseBackupSchedule?: any; retention?: any }) => {
  const full = { target: S3, ...o };
  return labelled(BackupMethod.continuousArchiving(full), `BackupMethod.continuousArchiving(${fc.stringify(full)})`);
};

const validMethod = fc.oneof(
  fc.tuple(validCron(), retention.valid).map(([schedule, r]) => snapshot({ schedule, retention: r })),
  fc.tuple(validCron(), retention.valid, fc.constantFrom(S3, PVC)).map(([schedule, r, target]) => dump({ schedule, retention: r, target })),
  fc.integer({ min: 1, max: 15 }).map((m) => archiving({ archiveTimeout: labelled(Duration.minutes(m), `Duration.minutes(${m})`) })),
);
const edgeMethod = fc.oneof(
  edgeString().map((s) => snapshot({ snapshotClassName: s })),
  edgeCron().map((c) => snapshot({ schedule: c })),
  retention.edge.map((r) => snapshot({ retention: r })),
  edgeCron().map((c) => dump({ schedule: c })),
  edgeTarget().map((t) => dump({ target: t })),
  retention.edge.map((r) => dump({ retention: r })),
  edgeDuration().map((d) => archiving({ archiveTimeout: d })),
  edgeCron().map((c) => archiving({ baseBackupSchedule: c })),
  retention.edge.map((r) => archiving({ retention: r })),
  edgeTarget().map((t) => archiving({ target: t })),
);

const fields: Fields = {
  methods: {
    valid: fc.uniqueArray(validMethod, { minLength: 1, maxLength: 3, selector: (m) => m.constructor.name }),
    edge: fc.oneof(fc.constant([]), edgeMethod.map((m) => [m]), validMethod.map((m) => [m, m])),
  },
  timeZone: {
    valid: fc.constantFrom('Europe/Paris', 'Etc/UTC', 'UTC', 'America/New_York', 'Asia/Kolkata'),
    edge: fc.oneof(edgeString(), fc.constantFrom('europe/paris', 'Local', 'Mars/Olympus', 'UTC+1', 'EST5EDT', 'Etc/GMT+5')),
  },
  verification: {
    valid: fc.tuple(validCron(), fc.option(fc.constant('SELECT 1'), { nil: undefined }))
      .map(([schedule, checkQuery]) => (checkQuery ? { schedule, checkQuery } : { schedule })),
    edge: fc.oneof(edgeCron().map((schedule) => ({ schedule })), edgeString().map((checkQuery) => ({ schedule: cron({ minute: '0', hour: '5' }), checkQuery }))),
  },
  alerts: { valid: fc.boolean(), edge: fc.constantFrom<unknown>(undefined, 'true') },
};

/** BackupSchedule props without the database (the test binds them to a generated one). */
export const backupProps = (): fc.Arbitrary<Sample<Omit<BackupScheduleProps, 'database'>>> =>
  oneSuspicious<Omit<BackupScheduleProps, 'database'>>(fields, ['methods'], 2);
