import { Chart } from 'cdk8s';
import * as fc from 'fast-check';
import { backupProps } from './backup-props';
import { replicatedProps, statefulProps } from './database-props';
import { FAMILIES } from './engines';
import { assertValid, checkAll, outcomeOf } from './outcome';
import { TIMEOUT_MS, params } from './run-config';
import { BackupSchedule, ReplicatedDatabase, StatefulDatabase } from '../../src';

/** The database backed up: a generated single or replicated database of any family (names and users reach the scripts). */
const database = fc.constantFrom(...FAMILIES).chain((family) => fc.oneof(
  statefulProps(family).map((s) => ({ replicated: false, props: s.props as any, suspicious: s.suspicious })),
  replicatedProps(family).map((s) => ({ replicated: true, props: s.props as any, suspicious: s.suspicious })),
));

const build = (chart: Chart, db: { replicated: boolean; props: any }) => (db.replicated
  ? new ReplicatedDatabase(chart, 'db', db.props)
  : new StatefulDatabase(chart, 'db', db.props));

/** Whether `check` passes. */
function passes(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

describe('BackupSchedule props (valid, plus one suspicious value): refused well, or valid, deterministic, scripts parse', () => {
  test('every method, retention, target, time zone and verification, of every kind of database', () => {
    fc.assert(fc.property(database, backupProps(), (db, { props }) => {
      // The database props are the other properties' concern: schedules are tried on databases that build and are valid.
      const qosClass = db.props.qosClass === 'Burstable' ? 'Burstable' : 'Guaranteed';
      const alone = outcomeOf((chart) => build(chart, db));
      fc.pre(alone.manifests !== undefined && passes(() => assertValid(alone.manifests!, { qosClass })));
      checkAll((chart) => new BackupSchedule(chart, 'backups', { database: build(chart, db), ...props }), { qosClass });
    }), params(30));
  }, TIMEOUT_MS);
});
