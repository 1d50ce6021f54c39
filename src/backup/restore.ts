import { BackupTarget } from './target';

/** Options of a restore from a volume snapshot. */
export interface SnapshotRestoreOptions {
  /**
   * No longer used: a snapshot of the one volume that holds PostgreSQL's data and WAL is restored by crash
   * recovery, and a backup label without the archived WAL after it cannot start. Setting it is refused.
   * @default - none
   * @deprecated snapshots are restored as crash-consistent; remove this option
   */
  readonly backupLabelConfigMap?: string;
}

/** Options of a restore from a logical dump. */
export interface DumpRestoreOptions {
  /** Where the dumps are. */
  readonly target: BackupTarget;
  /**
   * Name of the database whose dumps to read (file names start with it).
   * @default - this database's name
   */
  readonly sourceName?: string;
  /**
   * A dump file name, e.g. `orders-20261120t020000z.sql.gz`.
   * @default - the newest dump
   */
  readonly file?: string;
}

/** Options of a point-in-time restore. */
export interface PointInTimeRestoreOptions {
  /** The object store the source cluster archives its WAL to (its continuous archiving target). */
  readonly target: BackupTarget;
  /** Name (Patroni scope) of the source database. */
  readonly sourceName: string;
  /** Recovery target time, ISO 8601 with offset, e.g. `2026-11-20T10:15:00+00:00`. */
  readonly time: string;
}

/** Where a new database takes its data from on its first start. */
export class Restore {
  /**
   * From a CSI VolumeSnapshot: every data claim starts as a copy of it (`dataSource`).
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
