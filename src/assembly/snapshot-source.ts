import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { DatabaseRecord, databaseRecord } from './database-record';
import { pgMajor } from '../backup/snapshot-restore';
import { EngineDefinition } from '../engines/engine-definition';
import { check } from '../private/errors';

// A restore from a VolumeSnapshot checked against the database the snapshot was cut from, where this app defines it.

/** The database a snapshot restores into. */
export interface SnapshotTarget {
  readonly def: EngineDefinition;
  readonly replicated: boolean;
  /** A Patroni member on Spilo (data in pgroot/data). */
  readonly spilo: boolean;
}

/** The source of a snapshot, when the library can know it, and how it knows. */
interface KnownSource {
  readonly record: DatabaseRecord;
  readonly how: string;
}

/**
 * Checks a snapshot restore against its source database: the namespace (a PVC's dataSource names an object of
 * the claim's namespace), the engine, the PostgreSQL major, and that the layout can become this database's.
 */
function checkSource(scope: IConstruct, snapshotName: string, target: SnapshotTarget, src: KnownSource): void {
  const a = src.record.assembly;
  const here = Chart.of(scope).namespace;
  const there = a.namespace;
  const what = `\`restoreFrom\` snapshot "${snapshotName}" is of ${a.name} (${src.how})`;
  check(here === undefined || there === undefined || here === there, scope,
    `${what}, in namespace "${there}", and this database is in "${here}": a claim's dataSource names a VolumeSnapshot of the`
    + ' claim\'s own namespace (cross-namespace data sources need the alpha CrossNamespaceVolumeDataSource feature gate and a'
    + ` ReferenceGrant in "${there}", which this library does not emit). Define this database in namespace "${there}", or`
    + ` restore from a VolumeSnapshot in "${here}" under a name of its own (pre-provisioned from the source snapshot's`
    + ' VolumeSnapshotContent).');
  check(a.def.family === target.def.family, scope,
    `${what}, a ${a.def.family} volume: Engine '${target.def.family} ${target.def.version}' cannot start from it. Restore it into a ${a.def.family} database.`);
  if (target.def.family !== 'postgresql') return;
  const from = pgMajor(a.def.version);
  const to = pgMajor(target.def.version);
  check(from === to, scope,
    `${what}, PostgreSQL ${from} data: PostgreSQL ${to} cannot start a data directory of another major. Use Engine.postgres`
    + ` with a PostgreSQL ${from} version, or move the data with a logical dump (BackupMethod.logicalDump, Restore.fromDump).`);
  const sourceSpilo = a.replication?.image !== undefined;
  check(!target.spilo || sourceSpilo, scope,
    `${what}, a StatefulDatabase's volume (data in pgdata/): Spilo looks for its data in pgroot/data and would initialise an`
    + ' empty cluster beside it. Restore the snapshot into a StatefulDatabase, or seed the ReplicatedDatabase from a dump'
    + ' (restore a StatefulDatabase, then move with pg_dump) or from a WAL-G archive (Restore.pointInTime).');
}

/** Databases of this app whose BackupSchedule would give a snapshot this name: `<cronJob>-<run>-<pod>`. */
function scheduledSources(scope: IConstruct, snapshotName: string): DatabaseRecord[] {
  const found: DatabaseRecord[] = [];
  for (const c of scope.node.root.node.findAll()) {
    const record = databaseRecord(c);
    if (!record) continue;
    // backup-method.ts: the snapshot CronJob is `<name>-snapshots`; scripts.ts: each snapshot is
    // `<cronJob>-$RUN-<pod>` with RUN=$(date -u +%Y%m%dt%H%M%Sz).
    const prefix = `${record.assembly.name}-snapshots-`;
    if (!snapshotName.startsWith(prefix)) continue;
    const m = /^[0-9]{8}t[0-9]{6}z-(.+)$/.exec(snapshotName.slice(prefix.length));
    if (m && record.members.includes(m[1])) found.push(record);
  }
  return found;
}

/**
 * Synth-time checks of a snapshot restore, when its source is known: the `source` option (now), or a snapshot name in
 * the form a BackupSchedule of this app gives (at synth, once every construct exists). A snapshot name resolves in the
 * restoring database's namespace: a source there wins over a same-named one elsewhere.
 */
export function checkSnapshotSource(scope: Construct, snapshotName: string, source: IConstruct | undefined, target: SnapshotTarget): void {
  if (source !== undefined) {
    const record = databaseRecord(source);
    check(record !== undefined, scope, '`restoreFrom` source is not a StatefulDatabase or ReplicatedDatabase of this library: give the database the snapshot was cut from, or leave `source` out.');
    checkSource(scope, snapshotName, target, { record, how: 'the `source` option' });
    return;
  }
  scope.node.addValidation({
    validate: () => {
      const here = Chart.of(scope).namespace;
      const candidates = scheduledSources(scope, snapshotName);
      const record = candidates.find((r) => r.assembly.namespace === here) ?? candidates[0];
      if (record) checkSource(scope, snapshotName, target, { record, how: 'a name its BackupSchedule gives its snapshots' });
      return [];
    },
  });
}
