import { IConstruct } from 'constructs';
import { resolveAssumptions } from './dr-assumptions';
import { ObjectivesInput } from './recovery-objectives';
import { DEFAULT_ARCHIVE_TIMEOUT, DEFAULT_BASE_BACKUP_SCHEDULE } from '../backup/backup-method';
import { parseCron, worstGapMinutes } from '../backup/cron';
import type { DRPairProps } from '../constructs/dr-pair-props';
import { LOOP_WAIT } from '../engines/postgres-patroni';

/** What a pair's RPO and RTO are computed from: its strategy's settings and the engine's switch times. */
export function pairObjectivesInput(scope: IConstruct, props: DRPairProps, storageBytes: number): ObjectivesInput {
  const kind = props.strategy._kind;
  const assumptions = resolveAssumptions(scope, props.assumptions);
  const common = {
    strategy: kind,
    engine: `${props.database.engine.family} ${props.database.engine.version}`,
    storageBytes,
    assumptions,
  };
  if (kind === 'databaseReplication') {
    return {
      ...common,
      streaming: true,
      promoteSeconds: 2 * LOOP_WAIT,
      promoteBasis: `Patroni applies \`PATCH /config\` on its next HA cycle (loop_wait ${LOOP_WAIT} s) and promotes the standby leader within the following one`,
      fenceSeconds: 2 * LOOP_WAIT,
      fenceBasis: `the fence Job's read-only setting reaches PostgreSQL with Patroni's reload on its next HA cycle (loop_wait ${LOOP_WAIT} s); `
        + 'the standby has the last WAL within seconds while it streams (the Job waits up to its 300 s bound), and the demotion into a standby '
        + 'of the other site stops PostgreSQL at once, a standby leader within the next cycle',
    };
  }
  if (kind === 'backupRestore') {
    const archiving = props.strategy._backup!.archiving;
    const base = archiving.baseBackupSchedule ?? DEFAULT_BASE_BACKUP_SCHEDULE;
    const parsed = parseCron(base.expressionString);
    const gap = typeof parsed === 'string' ? undefined : worstGapMinutes(parsed);
    return {
      ...common,
      archiveTimeoutSeconds: (archiving.archiveTimeout ?? DEFAULT_ARCHIVE_TIMEOUT).toSeconds(),
      baseBackupIntervalSeconds: gap !== undefined ? gap * 60 : undefined,
      promoteSeconds: 0,
      promoteBasis: 'the promote Job only scales the StatefulSet up; the start and the restore are the startup and replay terms',
      fenceSeconds: 60,
      fenceBasis: 'the fence Job scales the old site to zero and waits for its pods to stop (Patroni stops PostgreSQL on SIGTERM)',
    };
  }
  const backend = props.strategy._volume!;
  return {
    ...common,
    replicationIntervalSeconds: backend._intervalSeconds(scope),
    synchronous: backend._synchronous,
    promoteSeconds: 60,
    promoteBasis: 'the promote Job marks the volumes primary and scales the StatefulSets up; the storage system\'s promotion is assumed to take under a minute',
    fenceSeconds: 60,
    fenceBasis: 'the fence Job scales the old site to zero and waits for its pods to stop',
  };
}
