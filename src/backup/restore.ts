import { BackupTarget } from './target';
import type { IDatabase } from '../constructs/database';

/** Options of a restore from a volume snapshot. */
export interface SnapshotRestoreOptions {
  /**
   * No longer used: a snapshot of the one volume that holds PostgreSQL's data and WAL is restored by crash
   * recovery, and a backup label without the archived WAL after it cannot start. Setting it is refused.
   * @default - none
   * @deprecated snapshots are restored as crash-consistent; remove this option
   */
  readonly backupLabelConfigMap?: string;
  /**
   * The database whose volume the snapshot was cut from, when this app defines it. The restore is then checked
   * at synth against it: the same engine and PostgreSQL major, the same namespace (a claim's `dataSource` can only
   * name a VolumeSnapshot of the claim's own namespace), and a layout this database can start from (a Patroni
   * member's volume restores into a StatefulDatabase, whose first start moves the data into the postgres image's
   * layout; a StatefulDatabase's volume cannot become a Patroni member).
   * @default - a name in the form a BackupSchedule gives its snapshots (`<database>-snapshots-<run>-<pod>`) names a
   * database of this app, and is checked the same way; any other snapshot is checked when the pod first starts
   * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#volume-snapshot-and-restore-volume-from-snapshot-support
   */
  readonly source?: IDatabase;
}

/** Options of a restore from a logical dump. */
export interface DumpRestoreOptions {
  /** Where the dumps are. */
  readonly target: BackupTarget;
  /**
   * Name of the database whose dumps to read (file names start with it): that database's `name`, a DNS-1035 label.
   * @default - this database's name
   */
  readonly sourceName?: string;
  /**
   * A dump file name, e.g. `orders-20261120t020000z.sql.gz`: letters, digits, '.', '_' and '-', not starting with
   * '.' or '-'.
   * @default - the newest dump
   */
  readonly file?: string;
}

/** Options of a point-in-time restore. */
export interface PointInTimeRestoreOptions {
  /** The object store the source cluster archives its WAL to (its continuous archiving target). */
  readonly target: BackupTarget;
  /** Name (Patroni scope) of the source database: its `name`, a DNS-1035 label. */
  readonly sourceName: string;
  /**
   * Recovery target time, ISO 8601 with offset, e.g. `2026-11-20T10:15:00+00:00`.
   * @default - the end of the archive: Spilo restores the newest base backup and replays every archived WAL segment
   * (configure_spilo.py leaves CLONE_TARGET_TIME empty and clone_with_wale.py then picks the newest backup)
   */
  readonly time?: string;
}

/** Where a new database takes its data from on its first start. */
export class Restore {
  /**
   * From a CSI VolumeSnapshot: every data claim starts as a copy of it (`dataSource`).
   *
   * PostgreSQL: a StatefulDatabase restores a snapshot of a StatefulDatabase's volume, or of a ReplicatedDatabase
   * member's (Spilo keeps the data in `pgroot/data`, owned by its uid 101): its first start then copies that data
   * directory to the postgres image's `pgdata` as uid 999 and sets it up to run without Patroni. Either way the
   * superuser takes the new database's Secret.
   * @param snapshotName the VolumeSnapshot, in the database's namespace
   */
  public static fromVolumeSnapshot(snapshotName: string, options: SnapshotRestoreOptions = {}): Restore {
    return new Restore('snapshot', snapshotName, options, undefined, undefined);
  }

  /** From a logical dump, loaded once by the image's first-start scripts after its checksum is verified. */
  public static fromDump(options: DumpRestoreOptions): Restore {
    return new Restore('dump', undefined, undefined, options, undefined);
  }

  /** PostgreSQL (Patroni): a new cluster cloned from the source's base backup and WAL, replayed to a time. */
  public static pointInTime(options: PointInTimeRestoreOptions): Restore {
    return new Restore('pitr', undefined, undefined, undefined, options);
  }

  private constructor(
    /** @internal */ public readonly _kind: 'snapshot' | 'dump' | 'pitr',
    /** @internal */ public readonly _snapshotName: string | undefined,
    /** @internal */ public readonly _snapshot: SnapshotRestoreOptions | undefined,
    /** @internal */ public readonly _dump: DumpRestoreOptions | undefined,
    /** @internal */ public readonly _pitr: PointInTimeRestoreOptions | undefined,
  ) {}
}
