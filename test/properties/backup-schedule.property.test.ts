import { Chart } from 'cdk8s';
import * as fc from 'fast-check';
import { backupProps } from './backup-props';
import { FAMILIES, validEngine } from './engines';
import { checkAll, outcomeOf } from './outcome';
import { TIMEOUT_MS, params } from './run-config';
import { BackupSchedule, Engine, ReplicatedDatabase, StatefulDatabase } from '../../src';

/** A valid engine of any family, for a single or a replicated database that the schedule backs up. */
const database = fc.tuple(fc.constantFrom(...FAMILIES), fc.boolean()).chain(([family, replicated]) =>
  validEngine(family, replicated).map((choice) => ({ replicated, engine: choice.engine })));

const build = (chart: Chart, db: { replicated: boolean; engine: Engine }) => (db.replicated
  ? new ReplicatedDatabase(chart, 'db', { engine: db.engine, name: 'orders' })
  : new StatefulDatabase(chart, 'db', { engine: db.engine, name: 'orders' }));

describe('BackupSchedule props (valid, plus one suspicious value): refused well, or valid, deterministic, scripts parse', () => {
  test('every method, retention, target, time zone and verification', () => {
    fc.assert(fc.property(database, backupProps(), (db, { props }) => {
      // The database props are the other properties' concern: only schedules of databases that build are tried.
      fc.pre(outcomeOf((chart) => build(chart, db)).error === undefined);
      checkAll((chart) => new BackupSchedule(chart, 'backups', { database: build(chart, db), ...props }), { qosClass: 'Guaranteed' });
    }), params(100));
  }, TIMEOUT_MS);
});
