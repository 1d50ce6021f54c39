import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { check } from '../private/errors';
import { wholeSeconds } from '../private/numbers';
import { checkStruct, describeValue } from '../private/value-types';

/**
 * The times a failover takes that no setting of the pair decides: how fast people notice, decide and act, and how
 * fast the storage and the network move data. The RPO and RTO figures of a DRPair add them to the terms that come
 * from its settings, and the report states each one, so a figure is only as good as these: measure them in a
 * failover drill and give your own.
 */
export interface DrAssumptions {
  /**
   * Time to notice that the active site is down.
   * @default Duration.minutes(2) - an alert after a few failed probes a minute apart
   */
  readonly detection?: Duration;

  /**
   * Time for a person to decide to fail over (failover is never automatic across sites: a partition would promote both).
   * @default Duration.minutes(15) - an on-call engineer paged, checking that the site is really lost
   */
  readonly decision?: Duration;

  /**
   * Time for clients to follow the new active site.
   * @default Duration.minutes(1) - a DNS TTL or Multi-Cluster Services endpoint update of about a minute
   */
  readonly redirect?: Duration;

  /**
   * Time to upload one WAL segment to the archive after it is switched.
   * @default Duration.minutes(1) - a 16 MiB segment to object storage, with retries
   */
  readonly archiveUpload?: Duration;

  /**
   * Time one volume replication transfer takes (the changes of one interval).
   * @default Duration.minutes(2) - the changed blocks of one interval over the inter-site link
   */
  readonly volumeSync?: Duration;

  /**
   * Time to schedule the passive site's pods and start the engine (including crash recovery of a replicated volume).
   * @default Duration.minutes(3) - images cached, volumes attached, the engine started
   */
  readonly startup?: Duration;

  /**
   * Restore throughput of a cold site, in MiB per second: how fast a base backup or a dump is fetched and loaded.
   * @default 100 - object storage to a local SSD volume
   */
  readonly restoreMebibytesPerSecond?: number;

  /**
   * Throughput of a logical dump, in MiB per second: the dump of a full volume completes (and becomes restorable)
   * this long after it starts, so its duration adds to the RPO of dumps.
   * @default 100 - a dump tool reading a local SSD volume and uploading compressed output
   */
  readonly dumpMebibytesPerSecond?: number;

  /**
   * How many times faster a restore replays WAL than the active site wrote it: a cold PostgreSQL site replays all
   * the WAL since the last base backup, so a day of WAL at 10 takes 2.4 hours.
   * @default 10 - a mixed load with quiet hours; a primary writing at full speed all day replays nearer 1
   */
  readonly walReplaySpeedup?: number;
}

/** The assumptions in whole seconds (and MiB/s), defaults applied. @internal */
export interface ResolvedAssumptions {
  readonly detectionSeconds: number;
  readonly decisionSeconds: number;
  readonly redirectSeconds: number;
  readonly archiveUploadSeconds: number;
  readonly volumeSyncSeconds: number;
  readonly startupSeconds: number;
  readonly restoreMebibytesPerSecond: number;
  readonly dumpMebibytesPerSecond: number;
  readonly walReplaySpeedup: number;
}

/** The defaults documented on `DrAssumptions`, applied here only. */
export const DEFAULT_ASSUMPTIONS: ResolvedAssumptions = {
  detectionSeconds: 120,
  decisionSeconds: 900,
  redirectSeconds: 60,
  archiveUploadSeconds: 60,
  volumeSyncSeconds: 120,
  startupSeconds: 180,
  restoreMebibytesPerSecond: 100,
  dumpMebibytesPerSecond: 100,
  walReplaySpeedup: 10,
};

/** Every field of `DrAssumptions`, so that no other key passes unnoticed. */
const FIELDS: Record<keyof DrAssumptions, true> = {
  detection: true,
  decision: true,
  redirect: true,
  archiveUpload: true,
  volumeSync: true,
  startup: true,
  restoreMebibytesPerSecond: true,
  dumpMebibytesPerSecond: true,
  walReplaySpeedup: true,
};

// A step that takes no time hides a real one: every assumed time is at least a second.
const HINT = 'every step of a failover takes time: give the time measured in a drill';

function seconds(scope: IConstruct, field: keyof DrAssumptions, value: Duration | undefined, fallback: number): number {
  return value === undefined ? fallback : wholeSeconds(scope, `assumptions.${field}`, value, { min: 1, hint: HINT });
}

function positive(scope: IConstruct, field: keyof DrAssumptions, value: number | undefined, fallback: number, unit: string): number {
  if (value === undefined) return fallback;
  const prop = `assumptions.${field}`;
  check(typeof value === 'number', scope, `\`${prop}\` must be a number of ${unit}, not ${describeValue(value)}: e.g. ${fallback}.`);
  check(Number.isFinite(value) && value > 0, scope, `\`${prop}\` (${value}) must be a finite number above 0 ${unit}: e.g. ${fallback}.`);
  return value;
}

/** Reads and checks the assumptions of a DRPair (`scope`), with the documented defaults. */
export function resolveAssumptions(scope: IConstruct, a?: DrAssumptions): ResolvedAssumptions {
  if (a === undefined) return DEFAULT_ASSUMPTIONS;
  checkStruct(scope, 'assumptions', a, '{ decision: Duration.minutes(5) }');
  // A misspelt assumption would leave its default in the figures unnoticed.
  const known = Object.keys(FIELDS);
  for (const key of Object.keys(a)) {
    check(known.includes(key), scope, `\`assumptions.${key}\` is not an assumption: give ${known.join(', ')}.`);
  }
  const d = DEFAULT_ASSUMPTIONS;
  return {
    detectionSeconds: seconds(scope, 'detection', a.detection, d.detectionSeconds),
    decisionSeconds: seconds(scope, 'decision', a.decision, d.decisionSeconds),
    redirectSeconds: seconds(scope, 'redirect', a.redirect, d.redirectSeconds),
    archiveUploadSeconds: seconds(scope, 'archiveUpload', a.archiveUpload, d.archiveUploadSeconds),
    volumeSyncSeconds: seconds(scope, 'volumeSync', a.volumeSync, d.volumeSyncSeconds),
    startupSeconds: seconds(scope, 'startup', a.startup, d.startupSeconds),
    restoreMebibytesPerSecond: positive(scope, 'restoreMebibytesPerSecond', a.restoreMebibytesPerSecond, d.restoreMebibytesPerSecond, 'MiB per second'),
    dumpMebibytesPerSecond: positive(scope, 'dumpMebibytesPerSecond', a.dumpMebibytesPerSecond, d.dumpMebibytesPerSecond, 'MiB per second'),
    walReplaySpeedup: positive(scope, 'walReplaySpeedup', a.walReplaySpeedup, d.walReplaySpeedup, 'times the write speed'),
  };
}
