import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { newChart } from './support/synth';
import { DEFAULT_ASSUMPTIONS, DrAssumptions, resolveAssumptions } from '../src/dr/dr-assumptions';
import { ObjectivesInput, RecoveryObjectives, checkObjectiveTargets, computeObjectives, describeDuration } from '../src/dr/recovery-objectives';
import { DatabaseConfigError } from '../src/private/errors';

// The RPO and RTO of a DRPair are sums of terms, each from a setting or a stated assumption; a target the
// configuration cannot hold fails synth with the figure, its largest term and the setting (and value) that fixes it.

const GIB = 1024 ** 3;
const P = 'test/pair: ';

function pair(): Construct {
  return new Construct(newChart(), 'pair');
}

/** A PostgreSQL pair with 20 GiB volumes, a 30 s fence and a 20 s promotion, on the default assumptions. */
function input(over: Partial<ObjectivesInput>): ObjectivesInput {
  return {
    strategy: 'databaseReplication',
    engine: 'postgresql 16',
    storageBytes: 20 * GIB,
    promoteSeconds: 20,
    promoteBasis: 'Patroni loop_wait 10 s x 2',
    fenceSeconds: 30,
    fenceBasis: 'the fence Job stops the old leader (30 s grace)',
    assumptions: resolveAssumptions(pair()),
    ...over,
  };
}

const objectives = (over: Partial<ObjectivesInput>) => computeObjectives(input(over));

/** The terms as [name, seconds, basis]. */
const terms = (f: RecoveryObjectives['rpo']) => f.terms.map((t) => [t.name, t.seconds, t.basis]);

const ARCHIVE_TIMEOUT_300 = ['archive_timeout', 300, 'setting `strategy.archiving.archiveTimeout` = 300 s'];
const UPLOAD_60 = ['archive upload', 60, 'assumption `assumptions.archiveUpload` = 60 s'];
const DETECT = ['detection', 120, 'assumption `assumptions.detection` = 120 s'];
const DECIDE = ['decision', 900, 'assumption `assumptions.decision` = 900 s'];
const FENCE = ['fence', 30, 'the fence Job stops the old leader (30 s grace)'];
const PROMOTE = ['promotion', 20, 'Patroni loop_wait 10 s x 2'];
const REDIRECT = ['redirect', 60, 'assumption `assumptions.redirect` = 60 s'];
const STARTUP = ['startup', 180, 'assumption `assumptions.startup` = 180 s'];
const RESTORE_20G = ['restore', 205,
  'the restore of 20480 MiB (`database.storageSize`, an upper bound of the data) at assumption `assumptions.restoreMebibytesPerSecond` = 100 MiB/s'];

describe('describeDuration', () => {
  test.each<[number | undefined, string]>([
    [undefined, 'unbounded'],
    [0, '0 s'],
    [45, '45 s'],
    [60, '1 min'],
    [270, '4 min 30 s'],
    [3600, '1 h'],
    [3661, '1 h 1 min 1 s'],
    [86400, '1 d'],
    [90061, '1 d 1 h 1 min 1 s'],
  ])('%p is "%s"', (seconds, text) => {
    expect(describeDuration(seconds)).toBe(text);
  });
});

describe('assumptions', () => {
  test('defaults, with and without an empty struct', () => {
    const expected = {
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
    expect(DEFAULT_ASSUMPTIONS).toEqual(expected);
    expect(resolveAssumptions(pair())).toEqual(expected);
    expect(resolveAssumptions(pair(), {})).toEqual(expected);
  });

  test('every field read in whole seconds', () => {
    expect(resolveAssumptions(pair(), {
      detection: Duration.seconds(30),
      decision: Duration.minutes(5),
      redirect: Duration.seconds(5),
      archiveUpload: Duration.seconds(10),
      volumeSync: Duration.seconds(45),
      startup: Duration.minutes(1),
      restoreMebibytesPerSecond: 250.5,
      dumpMebibytesPerSecond: 40,
      walReplaySpeedup: 2.5,
    })).toEqual({
      detectionSeconds: 30,
      decisionSeconds: 300,
      redirectSeconds: 5,
      archiveUploadSeconds: 10,
      volumeSyncSeconds: 45,
      startupSeconds: 60,
      restoreMebibytesPerSecond: 250.5,
      dumpMebibytesPerSecond: 40,
      walReplaySpeedup: 2.5,
    });
  });

  const TAKES_TIME = 'must be a whole number from 1 to 2147483647 seconds: every step of a failover takes time: give the time measured in a drill.';
  test.each<[string, unknown, string]>([
    ['zero detection', { detection: Duration.seconds(0) }, `\`assumptions.detection\` (0) ${TAKES_TIME}`],
    // cdk8s refuses negative Durations itself (\`Duration.minutes(-1)\` throws), so zero is the lowest to refuse.
    ['zero decision', { decision: Duration.minutes(0) }, `\`assumptions.decision\` (0) ${TAKES_TIME}`],
    ['fractional redirect', { redirect: Duration.millis(1500) }, '`assumptions.redirect` cannot be used:'],
    ['number for archiveUpload', { archiveUpload: 60 },
      '`assumptions.archiveUpload` must be a cdk8s `Duration` (e.g. `Duration.seconds(30)`), not a number (60).'],
    ['string for volumeSync', { volumeSync: '2m' },
      '`assumptions.volumeSync` must be a cdk8s `Duration` (e.g. `Duration.seconds(30)`), not a string ("2m").'],
    ['zero startup', { startup: Duration.seconds(0) }, `\`assumptions.startup\` (0) ${TAKES_TIME}`],
    ['zero restore throughput', { restoreMebibytesPerSecond: 0 },
      '`assumptions.restoreMebibytesPerSecond` (0) must be a finite number above 0 MiB per second: e.g. 100.'],
    ['negative dump throughput', { dumpMebibytesPerSecond: -5 },
      '`assumptions.dumpMebibytesPerSecond` (-5) must be a finite number above 0 MiB per second: e.g. 100.'],
    ['NaN replay speedup', { walReplaySpeedup: NaN },
      '`assumptions.walReplaySpeedup` (NaN) must be a finite number above 0 times the write speed: e.g. 10.'],
    ['infinite restore throughput', { restoreMebibytesPerSecond: Infinity },
      '`assumptions.restoreMebibytesPerSecond` (Infinity) must be a finite number above 0 MiB per second: e.g. 100.'],
    ['string throughput', { restoreMebibytesPerSecond: '100' },
      '`assumptions.restoreMebibytesPerSecond` must be a number of MiB per second, not a string ("100"): e.g. 100.'],
    ['not a struct', 'fast', '`assumptions` must be an object such as `{ decision: Duration.minutes(5) }`, not a string ("fast").'],
    ['a misspelt field', { decison: Duration.minutes(5) },
      '`assumptions.decison` is not an assumption: give detection, decision, redirect, archiveUpload, volumeSync, startup, restoreMebibytesPerSecond, dumpMebibytesPerSecond, walReplaySpeedup.'],
  ])('%s is refused', (_, given, message) => {
    const build = () => resolveAssumptions(pair(), given as DrAssumptions);
    expect(build).toThrow(DatabaseConfigError);
    expect(build).toThrow(P + message);
  });
});

describe('RPO', () => {
  test('asynchronous streaming alone is unbounded: no setting bounds the lag', () => {
    const rpo = objectives({ streaming: true }).rpo;
    expect(rpo.seconds).toBeUndefined();
    expect(rpo.formula).toBe('replication lag');
    expect(terms(rpo)).toEqual([
      ['replication lag', undefined, 'asynchronous streaming: the lag follows the write rate and the link, and no setting bounds it'],
    ]);
  });

  test('streaming with archiving is bounded by archive_timeout + archive upload', () => {
    const rpo = objectives({ streaming: true, archiveTimeoutSeconds: 300 }).rpo;
    expect(rpo.seconds).toBe(360);
    expect(rpo.method).toBe('asynchronous streaming, bounded by the WAL archive');
    expect(rpo.formula).toBe('min(replication lag, archive_timeout + archive upload)');
    expect(terms(rpo)).toEqual([ARCHIVE_TIMEOUT_300, UPLOAD_60]);
    expect(rpo.notes.join(' ')).toContain('Streaming usually keeps the standby seconds behind, far less than this bound');
  });

  test('a standby following the archive only: archive_timeout + archive upload', () => {
    const rpo = objectives({ archiveTimeoutSeconds: 300 }).rpo;
    expect(rpo.seconds).toBe(360);
    expect(rpo.formula).toBe('archive_timeout + archive upload');
    expect(terms(rpo)).toEqual([ARCHIVE_TIMEOUT_300, UPLOAD_60]);
  });

  test('WAL archiving of a cold site: archive_timeout + archive upload, with the assumption given', () => {
    const rpo = computeObjectives(input({
      strategy: 'backupRestore',
      archiveTimeoutSeconds: 600,
      assumptions: resolveAssumptions(pair(), { archiveUpload: Duration.seconds(20) }),
    })).rpo;
    expect(rpo.seconds).toBe(620);
    expect(rpo.method).toBe('WAL archiving');
    expect(terms(rpo)).toEqual([
      ['archive_timeout', 600, 'setting `strategy.archiving.archiveTimeout` = 600 s'],
      ['archive upload', 20, 'assumption `assumptions.archiveUpload` = 20 s'],
    ]);
  });

  test('logical dumps: dump interval + dump duration of the full volume', () => {
    const rpo = objectives({ strategy: 'backupRestore', engine: 'mysql 8.4', dumpIntervalSeconds: 3600 }).rpo;
    // 20480 MiB at 100 MiB/s: 204.8 s, rounded up.
    expect(rpo.seconds).toBe(3805);
    expect(rpo.formula).toBe('dump interval + dump duration');
    expect(terms(rpo)).toEqual([
      ['dump interval', 3600, 'setting `strategy.schedule` = 3600 s'],
      ['dump duration', 205,
        'a dump of 20480 MiB (`database.storageSize`, an upper bound of the data) at assumption `assumptions.dumpMebibytesPerSecond` = 100 MiB/s'],
    ]);
  });

  test('asynchronous volume replication: interval + volume sync', () => {
    const rpo = objectives({ strategy: 'volumeReplication', replicationIntervalSeconds: 300 }).rpo;
    expect(rpo.seconds).toBe(420);
    expect(rpo.formula).toBe('replication interval + volume sync');
    expect(terms(rpo)).toEqual([
      ['replication interval', 300, 'setting `strategy.backend.interval` = 300 s'],
      ['volume sync', 120, 'assumption `assumptions.volumeSync` = 120 s'],
    ]);
  });

  test.each<[string, Partial<ObjectivesInput>]>([
    ['synchronous volume replication', { strategy: 'volumeReplication', synchronous: true }],
    ['synchronous database replication', { strategy: 'databaseReplication', streaming: true, synchronous: true, archiveTimeoutSeconds: 300 }],
  ])('%s: 0, with its availability cost', (_, over) => {
    const rpo = objectives(over).rpo;
    expect(rpo.seconds).toBe(0);
    expect(rpo.formula).toBe('0 (synchronous)');
    expect(terms(rpo)).toEqual([['synchronous replication', 0,
      'setting `strategy.backend.synchronous` = true: a write is acknowledged only once the other site holds it']]);
    expect(rpo.notes).toEqual([
      'Availability cost: every write waits for the other site, so the inter-site round trip adds to each commit.',
      'When the link or the other site fails, writes stall until it returns, or until replication is switched to asynchronous, from which point the RPO is the replication lag.',
    ]);
  });

  test('the prop paths come from the caller', () => {
    const o = objectives({
      strategy: 'volumeReplication',
      replicationIntervalSeconds: 600,
      settings: { replicationInterval: 'strategy.backend.schedulePolicyInterval', fence: 'fenceGrace' },
    });
    expect(o.rpo.terms[0].basis).toBe('setting `strategy.backend.schedulePolicyInterval` = 600 s');
    expect(o.rpo.terms[0].setting).toBe('strategy.backend.schedulePolicyInterval');
    expect(o.rto.terms.find((t) => t.name === 'fence')?.setting).toBe('fenceGrace');
  });

  test.each<[string, Partial<ObjectivesInput>]>([
    ['database replication with neither streaming nor archiving', { strategy: 'databaseReplication' }],
    ['backup/restore with neither archiving nor dumps', { strategy: 'backupRestore' }],
    ['volume replication with no interval', { strategy: 'volumeReplication' }],
  ])('%s is an invariant error of the caller', (_, over) => {
    expect(() => objectives(over)).toThrow(/^computeObjectives: /);
  });
});

describe('RTO = detection + decision + fence + promotion + replay + redirect', () => {
  test('warm standby: replay 0, it replays continuously', () => {
    const rto = objectives({ streaming: true, archiveTimeoutSeconds: 300 }).rto;
    expect(rto.seconds).toBe(120 + 900 + 30 + 20 + 0 + 60);
    expect(rto.formula).toBe('detection + decision + fence + promotion + replay + redirect');
    expect(terms(rto)).toEqual([DETECT, DECIDE, FENCE, PROMOTE,
      ['replay', 0, 'the warm standby replays the changes as they arrive'], REDIRECT]);
    expect(rto.notes).toEqual(['Replay is 0 because the standby replays continuously: the lag at failover adds to it.']);
  });

  test('warm standby following the archive only: replays up to archive_timeout at promotion', () => {
    const rto = objectives({ archiveTimeoutSeconds: 300 }).rto;
    expect(rto.seconds).toBe(1130);
    expect(rto.notes[1]).toBe('Following the archive only, the standby is up to archive_timeout behind, and replays that WAL when promoted.');
  });

  test('cold site from the WAL archive: startup + restore + WAL replay since the last (daily) base backup', () => {
    const rto = objectives({ strategy: 'backupRestore', archiveTimeoutSeconds: 300 }).rto;
    // 86400 s of WAL at 10 times the write speed.
    expect(rto.seconds).toBe(120 + 900 + 30 + 20 + 180 + 205 + 8640 + 60);
    expect(rto.formula).toBe('detection + decision + fence + promotion + startup + restore + WAL replay + redirect');
    expect(terms(rto)).toEqual([DETECT, DECIDE, FENCE, PROMOTE, STARTUP, RESTORE_20G,
      ['WAL replay', 8640, 'the WAL since the last base backup: setting `strategy.archiving.baseBackupSchedule` runs up to 86400 s apart, replayed at assumption `assumptions.walReplaySpeedup` = 10 times the write speed'],
      REDIRECT]);
  });

  test('cold site with hourly base backups and faster restores', () => {
    const rto = computeObjectives(input({
      strategy: 'backupRestore',
      archiveTimeoutSeconds: 300,
      baseBackupIntervalSeconds: 3600,
      assumptions: resolveAssumptions(pair(), { restoreMebibytesPerSecond: 400, walReplaySpeedup: 4 }),
    })).rto;
    expect(rto.terms.map((t) => [t.name, t.seconds])).toEqual([
      ['detection', 120], ['decision', 900], ['fence', 30], ['promotion', 20],
      ['startup', 180], ['restore', 52], ['WAL replay', 900], ['redirect', 60],
    ]);
    expect(rto.seconds).toBe(2262);
  });

  test('cold site from dumps: startup + restore, no log to replay', () => {
    const rto = objectives({ strategy: 'backupRestore', engine: 'mysql 8.4', dumpIntervalSeconds: 3600 }).rto;
    expect(rto.seconds).toBe(120 + 900 + 30 + 20 + 180 + 205 + 60);
    expect(terms(rto)).toEqual([DETECT, DECIDE, FENCE, PROMOTE, STARTUP, RESTORE_20G, REDIRECT]);
  });

  test('replicated volumes: startup, including crash recovery', () => {
    const rto = objectives({ strategy: 'volumeReplication', replicationIntervalSeconds: 300 }).rto;
    expect(rto.seconds).toBe(120 + 900 + 30 + 20 + 180 + 60);
    expect(rto.formula).toBe('detection + decision + fence + promotion + startup + redirect');
    expect(rto.terms[4].basis).toBe('assumption `assumptions.startup` = 180 s, including crash recovery of the replicated volume');
  });

  test('each assumption given changes its term', () => {
    const rto = computeObjectives(input({
      streaming: true,
      assumptions: resolveAssumptions(pair(), { detection: Duration.seconds(30), decision: Duration.minutes(2), redirect: Duration.seconds(10) }),
    })).rto;
    expect(rto.seconds).toBe(30 + 120 + 30 + 20 + 0 + 10);
  });
});

describe('targets', () => {
  const check = (over: Partial<ObjectivesInput>, targets: { rpo?: Duration; rto?: Duration }) =>
    () => checkObjectiveTargets(pair(), objectives(over), targets);
  /** Refused naming the pair; `message` is the whole message after the path, or (not starting with the prop) a part of it. */
  const refused = (build: () => void, message: string) => {
    expect(build).toThrow(DatabaseConfigError);
    expect(build).toThrow(/^test\/pair: `r[pt]o` /);
    expect(build).toThrow(message.startsWith('`') ? P + message : message);
  };
  const ARCHIVED = { streaming: true, archiveTimeoutSeconds: 300 };

  test('met exactly at the boundary, and no target at all', () => {
    expect(check(ARCHIVED, { rpo: Duration.seconds(360), rto: Duration.seconds(1130) })).not.toThrow();
    expect(check(ARCHIVED, {})).not.toThrow();
    expect(check({ strategy: 'volumeReplication', synchronous: true }, { rpo: Duration.seconds(0) })).not.toThrow();
  });

  test('RPO a second short: archive_timeout to change', () => {
    refused(check(ARCHIVED, { rpo: Duration.seconds(359) }),
      '`rpo` (target 5 min 59 s) cannot be met: the RPO of postgresql 16 (asynchronous streaming, bounded by the WAL archive) is 6 min: '
      + 'min(replication lag, archive_timeout + archive upload), here archive_timeout 5 min + archive upload 1 min; the largest term is '
      + 'archive_timeout (setting `strategy.archiving.archiveTimeout` = 300 s). Fix: set `strategy.archiving.archiveTimeout` to at most 299 s (now 300 s).');
  });

  test('RPO of 4 min from WAL archiving: archive_timeout at most 180 s', () => {
    refused(check({ strategy: 'backupRestore', archiveTimeoutSeconds: 300 }, { rpo: Duration.minutes(4) }),
      '`rpo` (target 4 min) cannot be met: the RPO of postgresql 16 (WAL archiving) is 6 min: archive_timeout + archive upload, '
      + 'here archive_timeout 5 min + archive upload 1 min; the largest term is archive_timeout (setting `strategy.archiving.archiveTimeout` = 300 s). '
      + 'Fix: set `strategy.archiving.archiveTimeout` to at most 180 s (now 300 s).');
  });

  test('RPO below what archive_timeout can reach (its minimum is 60 s): another strategy', () => {
    refused(check({ strategy: 'backupRestore', archiveTimeoutSeconds: 300 }, { rpo: Duration.seconds(90) }),
      '`rpo` (target 1 min 30 s) cannot be met: the RPO of postgresql 16 (WAL archiving) is 6 min: archive_timeout + archive upload, '
      + 'here archive_timeout 5 min + archive upload 1 min; the largest term is archive_timeout (setting `strategy.archiving.archiveTimeout` = 300 s). '
      + 'No single setting takes 4 min 30 s off. A warm standby (`DrStrategy.databaseReplication`) streams the changes within seconds. '
      + 'An RPO of 0 needs synchronous replication between the sites (every write waits for the other site): here, Stork Metro DR (`VolumeReplicationBackend.stork({ synchronous: true })`).');
  });

  test('RPO of 0 from an asynchronous standby: synchronous replication', () => {
    refused(check(ARCHIVED, { rpo: Duration.seconds(0) }),
      '`rpo` (target 0 s) cannot be met: the RPO of postgresql 16 (asynchronous streaming, bounded by the WAL archive) is 6 min: '
      + 'min(replication lag, archive_timeout + archive upload), here archive_timeout 5 min + archive upload 1 min; the largest term is '
      + 'archive_timeout (setting `strategy.archiving.archiveTimeout` = 300 s). No single setting takes 6 min off. '
      + 'An RPO of 0 needs synchronous replication between the sites (every write waits for the other site): here, Stork Metro DR (`VolumeReplicationBackend.stork({ synchronous: true })`).');
  });

  test('RPO unbounded: strategies that bound it, or synchronous replication', () => {
    refused(check({ streaming: true }, { rpo: Duration.hours(1) }),
      '`rpo` (target 1 h) cannot be met: the RPO of postgresql 16 (asynchronous streaming) is unbounded (replication lag: asynchronous '
      + 'streaming: the lag follows the write rate and the link, and no setting bounds it). No setting bounds the lag of a streaming standby '
      + '(one that also restores from the archive is not built): for a bounded RPO use DrStrategy.backupRestore({ archiving }) '
      + '(archive_timeout + upload) or DrStrategy.volumeReplication(...) (interval + one sync), or remove `rpo` and alert on the replication '
      + 'lag. An RPO of 0 needs synchronous replication between the sites (every write waits for the other site): here, Stork Metro DR '
      + '(`VolumeReplicationBackend.stork({ synchronous: true })`).');
  });

  test('RPO of dumps: the schedule to change', () => {
    refused(check({ strategy: 'backupRestore', engine: 'mysql 8.4', dumpIntervalSeconds: 86400 }, { rpo: Duration.hours(12) }),
      '`rpo` (target 12 h) cannot be met: the RPO of mysql 8.4 (logical dumps) is 1 d 3 min 25 s: dump interval + dump duration, '
      + 'here dump interval 1 d + dump duration 3 min 25 s; the largest term is dump interval (setting `strategy.schedule` = 86400 s). '
      + 'Fix: schedule `strategy.schedule` to run at most 42995 s apart (now up to 86400 s).');
  });

  test('RPO of volume replication: the interval, or a synchronous back-end for 0', () => {
    const volume = { strategy: 'volumeReplication' as const, replicationIntervalSeconds: 300 };
    refused(check(volume, { rpo: Duration.minutes(5) }),
      '`rpo` (target 5 min) cannot be met: the RPO of postgresql 16 (asynchronous volume replication) is 7 min: replication interval '
      + '+ volume sync, here replication interval 5 min + volume sync 2 min; the largest term is replication interval (setting '
      + '`strategy.backend.interval` = 300 s). Fix: set `strategy.backend.interval` to at most 180 s (now 300 s).');
    refused(check(volume, { rpo: Duration.seconds(0) }),
      'No single setting takes 7 min off. An RPO of 0 needs a synchronous (metro) back-end; database replication streams the changes within seconds.');
  });

  test('RTO of a warm standby: the decision is the largest term, an assumption', () => {
    refused(check(ARCHIVED, { rto: Duration.minutes(10) }),
      '`rto` (target 10 min) cannot be met: the RTO of postgresql 16 (warm standby) is 18 min 50 s: detection + decision + fence + '
      + 'promotion + replay + redirect, here detection 2 min + decision 15 min + fence 30 s + promotion 20 s + replay 0 s + redirect 1 min; '
      + 'the largest term is decision (assumption `assumptions.decision` = 900 s). Fix: the figure rests on the assumption '
      + '`assumptions.decision` (900 s): shorten that step and set it to at most 370 s.');
  });

  test('RTO below what any single term can give: operations', () => {
    refused(check(ARCHIVED, { rto: Duration.minutes(1) }),
      'No single setting takes 17 min 50 s off. The remaining terms are operations: automate detection and the decision, and state '
      + 'the times measured in a drill in `assumptions`.');
  });

  test('RTO of a cold site: base backups more often', () => {
    refused(check({ strategy: 'backupRestore', archiveTimeoutSeconds: 300 }, { rto: Duration.hours(1) }),
      '`rto` (target 1 h) cannot be met: the RTO of postgresql 16 (cold site restored from backups) is 2 h 49 min 15 s: detection + '
      + 'decision + fence + promotion + startup + restore + WAL replay + redirect, here detection 2 min + decision 15 min + fence 30 s + '
      + 'promotion 20 s + startup 3 min + restore 3 min 25 s + WAL replay 2 h 24 min + redirect 1 min; the largest term is WAL replay '
      + '(the WAL since the last base backup: setting `strategy.archiving.baseBackupSchedule` runs up to 86400 s apart, replayed at '
      + 'assumption `assumptions.walReplaySpeedup` = 10 times the write speed). Fix: schedule `strategy.archiving.baseBackupSchedule` '
      + 'to run at most 20850 s apart (now up to 86400 s).');
  });

  test('RTO of a cold site beyond any single term: a warm standby', () => {
    refused(check({ strategy: 'backupRestore', archiveTimeoutSeconds: 300 }, { rto: Duration.minutes(5) }),
      'No single setting takes 2 h 44 min 15 s off. A warm standby (`DrStrategy.databaseReplication`) has no startup, restore or replay term.');
  });

  test('RTO of a large cold restore: the restore throughput to reach', () => {
    refused(check({ strategy: 'backupRestore', engine: 'mysql 8.4', dumpIntervalSeconds: 3600, storageBytes: 1024 * GIB }, { rto: Duration.hours(2) }),
      'the largest term is restore (the restore of 1048576 MiB (`database.storageSize`, an upper bound of the data) at assumption '
      + '`assumptions.restoreMebibytesPerSecond` = 100 MiB/s). Fix: the figure rests on the assumption `assumptions.restoreMebibytesPerSecond` '
      + '(100 MiB/s): if a drill measures at least 179 MiB/s, set it to that.');
    // 1048576 MiB in 5890 s (10486 s less the 4596 s excess) needs 178.03 MiB/s: 179 meets the target.
    const fixed = computeObjectives(input({
      strategy: 'backupRestore',
      dumpIntervalSeconds: 3600,
      storageBytes: 1024 * GIB,
      assumptions: resolveAssumptions(pair(), { restoreMebibytesPerSecond: 179 }),
    }));
    expect(fixed.rto.seconds).toBeLessThanOrEqual(7200);
    expect(() => checkObjectiveTargets(pair(), fixed, { rto: Duration.hours(2) })).not.toThrow();
  });

  test('the RTO is checked when the RPO is met', () => {
    refused(check(ARCHIVED, { rpo: Duration.minutes(6), rto: Duration.minutes(15) }), '`rto` (target 15 min) cannot be met:');
  });

  test.each<[string, { rpo?: unknown; rto?: unknown }, string]>([
    ['a number for rpo', { rpo: 300 }, '`rpo` must be a cdk8s `Duration` (e.g. `Duration.seconds(30)`), not a number (300).'],
    ['a string for rto', { rto: '1h' }, '`rto` must be a cdk8s `Duration` (e.g. `Duration.seconds(30)`), not a string ("1h").'],
    ['a fraction of a second', { rpo: Duration.millis(500) }, '`rpo` cannot be used:'],
    ['a target past int32 seconds', { rto: Duration.days(30000) }, '`rto` (2592000000) must be a whole number from 0 to 2147483647 seconds.'],
  ])('%s is refused', (_, targets, message) => {
    refused(check(ARCHIVED, targets as { rpo?: Duration; rto?: Duration }), message);
  });

  test('each suggested value meets the target exactly', () => {
    const fixedTimeout = { strategy: 'backupRestore' as const, archiveTimeoutSeconds: 180 };
    expect(check(fixedTimeout, { rpo: Duration.minutes(4) })).not.toThrow();
    expect(check({ ...fixedTimeout, baseBackupIntervalSeconds: 20850 }, { rto: Duration.hours(1) })).not.toThrow();
    expect(check({ ...fixedTimeout, baseBackupIntervalSeconds: 20851 }, { rto: Duration.hours(1) })).toThrow(DatabaseConfigError);
    const decided = (seconds: number) => checkObjectiveTargets(pair(), computeObjectives(input({
      streaming: true, archiveTimeoutSeconds: 300, assumptions: resolveAssumptions(pair(), { decision: Duration.seconds(seconds) }),
    })), { rto: Duration.minutes(10) });
    expect(() => decided(370)).not.toThrow();
    expect(() => decided(371)).toThrow(DatabaseConfigError);
    expect(check({ strategy: 'backupRestore', dumpIntervalSeconds: 42995 }, { rpo: Duration.hours(12) })).not.toThrow();
    expect(check({ strategy: 'backupRestore', dumpIntervalSeconds: 42996 }, { rpo: Duration.hours(12) })).toThrow(DatabaseConfigError);
  });
});
