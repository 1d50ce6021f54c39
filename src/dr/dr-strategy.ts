import { Size } from 'cdk8s';
import { VolumeReplicationBackend } from './volume-replication';
import type { ContinuousArchivingOptions } from '../backup/backup-method';

/** Options of the warm standby through the engine's own replication. */
export interface DatabaseReplicationOptions {
  /**
   * The most WAL the active site keeps for the peer's replication slot (PostgreSQL `max_slot_wal_keep_size`): a peer
   * that falls further behind loses its slot and must be rebuilt from a base backup, instead of filling the active
   * site's volume.
   * @default - a quarter of the data volume
   */
  readonly maxSlotWalKeep?: Size;
}

/** Options of the cold site restored from the active site's backups. */
export interface BackupRestoreOptions {
  /**
   * PostgreSQL: continuous WAL archiving of the active site (WAL-G to object storage). The passive site clones from
   * it when it is started (Spilo's clone with WAL-G, replayed to the end of the archive).
   */
  readonly archiving: ContinuousArchivingOptions;
}

/** How the passive site of a DRPair gets the active site's data (the Data on Kubernetes whitepaper's active/passive list). */
export class DrStrategy {
  /**
   * Warm standby through the engine. PostgreSQL: the passive site is a Patroni standby cluster streaming from the
   * active site's leader through a permanent replication slot, with TLS verified against the shared CA.
   */
  public static databaseReplication(options: DatabaseReplicationOptions = {}): DrStrategy {
    return new DrStrategy('databaseReplication', options, undefined, undefined);
  }

  /**
   * Cold site: the active site archives WAL continuously; the passive site holds a ready restore (its StatefulSet at
   * zero replicas, cloning from the archive on its first start).
   */
  public static backupRestore(options: BackupRestoreOptions): DrStrategy {
    return new DrStrategy('backupRestore', undefined, options, undefined);
  }

  /** Storage-level replication of the data volumes: csi-addons `VolumeReplication` or Portworx Stork. */
  public static volumeReplication(backend: VolumeReplicationBackend): DrStrategy {
    return new DrStrategy('volumeReplication', undefined, undefined, backend);
  }

  private constructor(
    /** @internal */ public readonly _kind: 'databaseReplication' | 'backupRestore' | 'volumeReplication',
    /** @internal */ public readonly _replication: DatabaseReplicationOptions | undefined,
    /** @internal */ public readonly _backup: BackupRestoreOptions | undefined,
    /** @internal */ public readonly _volume: VolumeReplicationBackend | undefined,
  ) {}
}
