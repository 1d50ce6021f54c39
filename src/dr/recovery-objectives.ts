import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ResolvedAssumptions } from './dr-assumptions';
import { check } from '../private/errors';
import { wholeSeconds } from '../private/numbers';

/**
 * The RPO and RTO of a DRPair, computed from its configuration: each figure is a sum of terms, and each term comes
 * from a setting (which the fix of a missed target names) or a stated assumption. Plain data, no cdk8s objects: the
 * report and the target check read the same figures.
 */

/** How a term follows a duration setting: term = ceil(setting / divisor). */
export interface DurationAdjustment {
  readonly kind: 'duration';
  readonly currentSeconds: number;
  readonly divisor: number;
  /** The smallest value the setting accepts. */
  readonly minimumSeconds: number;
  /** The setting is a cron schedule: its value is the longest gap between runs. */
  readonly schedule: boolean;
}

/** How a term follows a throughput assumption: term = ceil(mebibytes / setting). */
export interface RateAdjustment {
  readonly kind: 'rate';
  readonly currentMebibytesPerSecond: number;
  readonly mebibytes: number;
}

/** One term of a figure. */
export interface ObjectiveTerm {
  readonly name: string;
  /** Whole seconds; undefined when nothing in the configuration bounds it. */
  readonly seconds: number | undefined;
  /** Where the number comes from, e.g. "setting `strategy.archiving.archiveTimeout` = 300 s". */
  readonly basis: string;
  /** The prop path that changes it. */
  readonly setting?: string;
  /** Whether it rests on an assumption (`assumptions.*`) rather than on the configuration. */
  readonly assumed: boolean;
  /** How the term follows its setting, to compute the value that meets a target. */
  readonly adjustment?: DurationAdjustment | RateAdjustment;
}

/** An RPO or an RTO. */
export interface ObjectiveFigure {
  /** Whole seconds; undefined when unbounded. */
  readonly seconds: number | undefined;
  /** What produces the figure, e.g. "WAL archiving". */
  readonly method: string;
  /** The terms by name, e.g. "archive_timeout + archive upload". */
  readonly formula: string;
  /** The terms that add up to `seconds`. */
  readonly terms: ObjectiveTerm[];
  readonly notes: string[];
  /** What to do when no setting can meet a target: another strategy or mode. */
  readonly alternative: string;
}

export interface RecoveryObjectives {
  readonly engine: string;
  readonly strategy: string;
  readonly rpo: ObjectiveFigure;
  readonly rto: ObjectiveFigure;
}

/** The prop paths the terms name (where the DRPair's props put each setting). */
export interface ObjectiveSettings {
  /** @default 'strategy.archiving' */
  readonly archiving?: string;
  /** @default 'strategy.archiving.archiveTimeout' */
  readonly archiveTimeout?: string;
  /** @default 'strategy.archiving.baseBackupSchedule' */
  readonly baseBackupSchedule?: string;
  /** @default 'strategy.schedule' */
  readonly dumpSchedule?: string;
  /** @default 'strategy.backend.interval' */
  readonly replicationInterval?: string;
  /** @default 'strategy.backend.synchronous' */
  readonly synchronous?: string;
  /** @default 'database.storageSize' */
  readonly storageSize?: string;
  /** @default - none: the fence time follows from the engine */
  readonly fence?: string;
  /** @default - none: the promotion time follows from the engine */
  readonly promote?: string;
}

export interface ObjectivesInput {
  readonly strategy: 'databaseReplication' | 'backupRestore' | 'volumeReplication';
  /** For messages, e.g. "postgresql 16". */
  readonly engine: string;
  /** Asynchronous streaming between the sites (warm standby). */
  readonly streaming?: boolean;
  /** PostgreSQL `archive_timeout`, when the active site archives WAL. */
  readonly archiveTimeoutSeconds?: number;
  /** Longest gap between base backups: a cold PostgreSQL site replays the WAL since the last one. @default 86400 */
  readonly baseBackupIntervalSeconds?: number;
  /** Longest gap between logical dumps (backupRestore without WAL archiving). */
  readonly dumpIntervalSeconds?: number;
  /** Volume replication interval (csi-addons schedulingInterval, Stork SchedulePolicy). */
  readonly replicationIntervalSeconds?: number;
  /** Synchronous replication between the sites (metro volumes, or synchronous database replication). */
  readonly synchronous?: boolean;
  /** Data volume size per member, in bytes. */
  readonly storageBytes: number;
  /** Engine promotion time, e.g. Patroni loop_wait x 2. */
  readonly promoteSeconds: number;
  /** Where `promoteSeconds` comes from. */
  readonly promoteBasis: string;
  readonly fenceSeconds: number;
  readonly fenceBasis: string;
  readonly assumptions: ResolvedAssumptions;
  readonly settings?: ObjectiveSettings;
}

type Settings = Required<Omit<ObjectiveSettings, 'fence' | 'promote'>> & Pick<ObjectiveSettings, 'fence' | 'promote'>;

const DEFAULT_SETTINGS: Settings = {
  archiving: 'strategy.archiving',
  archiveTimeout: 'strategy.archiving.archiveTimeout',
  baseBackupSchedule: 'strategy.archiving.baseBackupSchedule',
  dumpSchedule: 'strategy.schedule',
  replicationInterval: 'strategy.backend.interval',
  synchronous: 'strategy.backend.synchronous',
  storageSize: 'database.storageSize',
};

/** The library's default base backup schedule (daily) when the caller gives none. */
const DAILY = 86400;
/** Cron schedules, archive_timeout and replication intervals stop at a minute. */
const MINUTE = 60;
const MIB = 1024 * 1024;

/** Whole seconds for people: "4 min 30 s", "1 d 2 h", "unbounded". */
export function describeDuration(seconds: number | undefined): string {
  if (seconds === undefined) return 'unbounded';
  if (seconds === 0) return '0 s';
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count} ${unit}`);
    rest -= count * size;
  }
  return parts.join(' ');
}

function fromSetting(name: string, path: string, seconds: number, adjust: Partial<DurationAdjustment> = {}): ObjectiveTerm {
  return {
    name,
    seconds,
    basis: `setting \`${path}\` = ${seconds} s`,
    setting: path,
    assumed: false,
    adjustment: { kind: 'duration', currentSeconds: seconds, divisor: 1, minimumSeconds: MINUTE, schedule: false, ...adjust },
  };
}

function fromAssumption(name: string, field: string, seconds: number, why = ''): ObjectiveTerm {
  const path = `assumptions.${field}`;
  return {
    name,
    seconds,
    basis: `assumption \`${path}\` = ${seconds} s${why}`,
    setting: path,
    assumed: true,
    adjustment: { kind: 'duration', currentSeconds: seconds, divisor: 1, minimumSeconds: 1, schedule: false },
  };
}

/** The time to move `bytes` at an assumed throughput. */
function transfer(name: string, field: string, bytes: number, rate: number, what: string, storagePath: string): ObjectiveTerm {
  const mebibytes = bytes / MIB;
  return {
    name,
    seconds: Math.ceil(mebibytes / rate),
    basis: `${what} of ${mebibytes} MiB (\`${storagePath}\`, an upper bound of the data) at assumption \`assumptions.${field}\` = ${rate} MiB/s`,
    setting: `assumptions.${field}`,
    assumed: true,
    adjustment: { kind: 'rate', currentMebibytesPerSecond: rate, mebibytes },
  };
}

function fromCaller(name: string, seconds: number, basis: string, setting: string | undefined): ObjectiveTerm {
  return { name, seconds, basis, setting, assumed: false };
}

function total(terms: ObjectiveTerm[]): number | undefined {
  return terms.some((t) => t.seconds === undefined) ? undefined : terms.reduce((sum, t) => sum + t.seconds!, 0);
}

function figure(method: string, terms: ObjectiveTerm[], notes: string[], alternative: string, formula?: string): ObjectiveFigure {
  return { seconds: total(terms), method, formula: formula ?? terms.map((t) => t.name).join(' + '), terms, notes, alternative };
}

function archiveTerms(input: ObjectivesInput, s: Settings): ObjectiveTerm[] {
  return [
    fromSetting('archive_timeout', s.archiveTimeout, input.archiveTimeoutSeconds!),
    fromAssumption('archive upload', 'archiveUpload', input.assumptions.archiveUploadSeconds),
  ];
}

const SYNCHRONOUS_RPO_ALTERNATIVE = 'An RPO of 0 needs synchronous replication between the sites (every write waits for the other site): '
  + 'here, Stork Metro DR (`VolumeReplicationBackend.stork({ synchronous: true })`).';

function rpoOf(input: ObjectivesInput, s: Settings): ObjectiveFigure {
  if (input.synchronous) {
    return figure('synchronous replication', [{
      name: 'synchronous replication',
      seconds: 0,
      setting: s.synchronous,
      assumed: false,
      basis: `setting \`${s.synchronous}\` = true: a write is acknowledged only once the other site holds it`,
    }], [
      'Availability cost: every write waits for the other site, so the inter-site round trip adds to each commit.',
      'When the link or the other site fails, writes stall until it returns, or until replication is switched to asynchronous, from which point the RPO is the replication lag.',
    ], 'An RPO of 0 is the least there is.', '0 (synchronous)');
  }
  const archived = input.archiveTimeoutSeconds !== undefined;
  switch (input.strategy) {
    case 'databaseReplication':
      if (input.streaming && archived) {
        return figure('asynchronous streaming, bounded by the WAL archive', archiveTerms(input, s), [
          'The standby streams the changes and can also restore any segment from the archive: at most archive_timeout + archive upload is lost.',
          'Streaming usually keeps the standby seconds behind, far less than this bound; no setting bounds the lag itself.',
        ], SYNCHRONOUS_RPO_ALTERNATIVE, 'min(replication lag, archive_timeout + archive upload)');
      }
      if (archived) {
        return figure('WAL shipping through the archive', archiveTerms(input, s), [
          'The standby follows the archive only: the segment not yet archived when the site is lost is lost.',
        ], `Stream between the sites for seconds of lag. ${SYNCHRONOUS_RPO_ALTERNATIVE}`);
      }
      if (input.streaming) {
        return figure('asynchronous streaming', [{
          name: 'replication lag',
          seconds: undefined,
          assumed: false,
          basis: 'asynchronous streaming: the lag follows the write rate and the link, and no setting bounds it',
        }], [
          'Streaming usually keeps the standby seconds behind, but a slow link or a burst of writes lets it fall further.',
        ], 'No setting bounds the lag of a streaming standby (one that also restores from the archive is not built): for a bounded RPO use '
          + 'DrStrategy.backupRestore({ archiving }) (archive_timeout + upload) or DrStrategy.volumeReplication(...) (interval + one sync), '
          + `or remove \`rpo\` and alert on the replication lag. ${SYNCHRONOUS_RPO_ALTERNATIVE}`);
      }
      throw new Error('computeObjectives: databaseReplication needs streaming, archiving or synchronous replication');
    case 'backupRestore':
      if (archived) {
        return figure('WAL archiving', archiveTerms(input, s), [
          'The WAL segment not yet archived when the site is lost is lost: archive_timeout forces a segment switch at least this often.',
        ], `A warm standby (\`DrStrategy.databaseReplication\`) streams the changes within seconds. ${SYNCHRONOUS_RPO_ALTERNATIVE}`);
      }
      if (input.dumpIntervalSeconds !== undefined) {
        return figure('logical dumps', [
          fromSetting('dump interval', s.dumpSchedule, input.dumpIntervalSeconds, { schedule: true }),
          transfer('dump duration', 'dumpMebibytesPerSecond', input.storageBytes, input.assumptions.dumpMebibytesPerSecond, 'a dump', s.storageSize),
        ], [
          'A dump holds the data as of its start and can be restored once it is uploaded: a site lost just before a dump completes loses the interval since the previous dump started plus this dump\'s duration.',
        ], `A warm standby (\`DrStrategy.databaseReplication\`) streams the changes within seconds. ${SYNCHRONOUS_RPO_ALTERNATIVE}`);
      }
      throw new Error('computeObjectives: backupRestore needs WAL archiving or logical dumps');
    case 'volumeReplication':
      if (input.replicationIntervalSeconds !== undefined) {
        return figure('asynchronous volume replication', [
          fromSetting('replication interval', s.replicationInterval, input.replicationIntervalSeconds),
          fromAssumption('volume sync', 'volumeSync', input.assumptions.volumeSyncSeconds),
        ], [
          'The changes since the last completed transfer are lost; the copy is crash-consistent, and the engine recovers it on start.',
        ], 'An RPO of 0 needs a synchronous (metro) back-end; database replication streams the changes within seconds.');
      }
      throw new Error('computeObjectives: volumeReplication needs an interval or synchronous replication');
  }
}

function replayTerms(input: ObjectivesInput, s: Settings): { terms: ObjectiveTerm[]; notes: string[] } {
  const a = input.assumptions;
  switch (input.strategy) {
    case 'databaseReplication':
      return {
        terms: [{ name: 'replay', seconds: 0, assumed: false, basis: 'the warm standby replays the changes as they arrive' }],
        notes: [
          'Replay is 0 because the standby replays continuously: the lag at failover adds to it.',
          ...(!input.streaming && input.archiveTimeoutSeconds !== undefined
            ? ['Following the archive only, the standby is up to archive_timeout behind, and replays that WAL when promoted.'] : []),
        ],
      };
    case 'backupRestore': {
      const terms = [
        fromAssumption('startup', 'startup', a.startupSeconds),
        transfer('restore', 'restoreMebibytesPerSecond', input.storageBytes, a.restoreMebibytesPerSecond, 'the restore', s.storageSize),
      ];
      if (input.archiveTimeoutSeconds === undefined) {
        return { terms, notes: ['The cold site loads the last dump: it has no log to replay.'] };
      }
      const gap = input.baseBackupIntervalSeconds ?? DAILY;
      const speedup = a.walReplaySpeedup;
      terms.push({
        name: 'WAL replay',
        seconds: Math.ceil(gap / speedup),
        basis: `the WAL since the last base backup: setting \`${s.baseBackupSchedule}\` runs up to ${gap} s apart, replayed at assumption \`assumptions.walReplaySpeedup\` = ${speedup} times the write speed`,
        setting: s.baseBackupSchedule,
        assumed: false,
        adjustment: { kind: 'duration', currentSeconds: gap, divisor: speedup, minimumSeconds: MINUTE, schedule: true },
      });
      return {
        terms,
        notes: ['The cold site fetches the last base backup and replays all WAL archived since; more frequent base backups shorten the replay.'],
      };
    }
    case 'volumeReplication':
      return {
        terms: [fromAssumption('startup', 'startup', a.startupSeconds, ', including crash recovery of the replicated volume')],
        notes: ['The engine starts on a crash-consistent copy and replays its own log since the last checkpoint first.'],
      };
  }
}

function rtoOf(input: ObjectivesInput, s: Settings): ObjectiveFigure {
  const a = input.assumptions;
  const replay = replayTerms(input, s);
  const method = { databaseReplication: 'warm standby', backupRestore: 'cold site restored from backups', volumeReplication: 'replicated volumes' }[input.strategy];
  return figure(method, [
    fromAssumption('detection', 'detection', a.detectionSeconds),
    fromAssumption('decision', 'decision', a.decisionSeconds),
    fromCaller('fence', input.fenceSeconds, input.fenceBasis, s.fence),
    fromCaller('promotion', input.promoteSeconds, input.promoteBasis, s.promote),
    ...replay.terms,
    fromAssumption('redirect', 'redirect', a.redirectSeconds),
  ], replay.notes, input.strategy === 'backupRestore'
    ? 'A warm standby (`DrStrategy.databaseReplication`) has no startup, restore or replay term.'
    : 'The remaining terms are operations: automate detection and the decision, and state the times measured in a drill in `assumptions`.');
}

/** The RPO and RTO of a DRPair's configuration. */
export function computeObjectives(input: ObjectivesInput): RecoveryObjectives {
  const s: Settings = { ...DEFAULT_SETTINGS, ...input.settings };
  return { engine: input.engine, strategy: input.strategy, rpo: rpoOf(input, s), rto: rtoOf(input, s) };
}

/** The change to `term` that takes `excess` seconds off the figure, or undefined when its setting cannot. */
function fixOf(term: ObjectiveTerm, excess: number): string | undefined {
  const adjustment = term.adjustment;
  const wanted = term.seconds! - excess;
  if (adjustment === undefined || wanted < (adjustment.kind === 'rate' ? 1 : 0)) return undefined;
  const path = `\`${term.setting}\``;
  if (adjustment.kind === 'rate') {
    const rate = Math.ceil(adjustment.mebibytes / wanted);
    return `the figure rests on the assumption ${path} (${adjustment.currentMebibytesPerSecond} MiB/s): if a drill measures at least ${rate} MiB/s, set it to that`;
  }
  const value = Math.floor(wanted * adjustment.divisor);
  if (value < adjustment.minimumSeconds) return undefined;
  if (term.assumed) {
    return `the figure rests on the assumption ${path} (${adjustment.currentSeconds} s): shorten that step and set it to at most ${value} s`;
  }
  return adjustment.schedule
    ? `schedule ${path} to run at most ${value} s apart (now up to ${adjustment.currentSeconds} s)`
    : `set ${path} to at most ${value} s (now ${adjustment.currentSeconds} s)`;
}

function fixFor(f: ObjectiveFigure, excess: number): string {
  const largestFirst = f.terms.filter((t) => t.seconds! > 0).sort((x, y) => y.seconds! - x.seconds!);
  for (const term of largestFirst) {
    const fix = fixOf(term, excess);
    if (fix !== undefined) return `Fix: ${fix}.`;
  }
  return `No single setting takes ${describeDuration(excess)} off. ${f.alternative}`;
}

/**
 * Throws, naming `scope`, when a target is missed: the figure exceeds it or is unbounded. The message gives the
 * figure, its formula, its largest term and the setting (and the value) that meets the target, or another strategy.
 */
export function checkObjectiveTargets(scope: IConstruct, objectives: RecoveryObjectives, targets: { rpo?: Duration; rto?: Duration }): void {
  for (const prop of ['rpo', 'rto'] as const) {
    if (targets[prop] === undefined) continue;
    const target = wholeSeconds(scope, prop, targets[prop]!);
    const f = objectives[prop];
    const what = `the ${prop.toUpperCase()} of ${objectives.engine} (${f.method})`;
    const head = `\`${prop}\` (target ${describeDuration(target)}) cannot be met: ${what}`;
    if (f.seconds === undefined) {
      const open = f.terms.filter((t) => t.seconds === undefined).map((t) => `${t.name}: ${t.basis}`).join('; ');
      check(false, scope, `${head} is unbounded (${open}). ${f.alternative}`);
    }
    const largest = f.terms.reduce((x, y) => (y.seconds! > x.seconds! ? y : x));
    const parts = f.terms.map((t) => `${t.name} ${describeDuration(t.seconds)}`).join(' + ');
    check(f.seconds <= target, scope, `${head} is ${describeDuration(f.seconds)}: ${f.formula}, here ${parts}; `
      + `the largest term is ${largest.name} (${largest.basis}). ${fixFor(f, f.seconds - target)}`);
  }
}
