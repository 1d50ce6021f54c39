import { Chart, Cron, Size, Testing } from 'cdk8s';
import {
  BackupMethod, BackupSchedule, BackupTarget, Engine, Restore, Retention, StatefulDatabase, ValkeyVersion,
} from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { cli } from './support/valkey';
import { synthValid } from '../test/support/synth';

// Valkey 8.0.1 (the image's version, from Debian bookworm-backports) with the profile's appendonly yes:
// an RDB dump taken by the synthesized CronJob, verified, and restored into a new database.
function synth(): any[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'web' });
  const engine = Engine.valkey({ version: ValkeyVersion.V8_0 });
  const source = new StatefulDatabase(chart, 'db', { name: 'cache', engine, memory: Size.mebibytes(256) });
  new BackupSchedule(chart, 'backups', {
    database: source,
    methods: [BackupMethod.logicalDump({
      schedule: Cron.schedule({ minute: '0', hour: '1' }),
      target: BackupTarget.pvc({ claimName: 'cache-backups' }),
      retention: Retention.keepLast(3),
    })],
    verification: { schedule: Cron.schedule({ minute: '0', hour: '4' }), checkQuery: 'DBSIZE' },
  });
  new StatefulDatabase(chart, 'copy', {
    name: 'cache-copy',
    engine,
    memory: Size.mebibytes(256),
    restoreFrom: Restore.fromDump({ target: BackupTarget.pvc({ claimName: 'cache-backups' }), sourceName: 'cache' }),
  });
  return synthValid(chart);
}

/** Every key and value, sorted: equal on two servers when they hold the same data. */
async function contents(pod: LocalPod): Promise<string> {
  const keys = (await cli(pod, '--scan')).split('\n').filter(Boolean).sort();
  const values: string[] = [];
  for (const k of keys) values.push(`${k}=${await cli(pod, 'get', k)}`);
  return values.join('\n');
}

describe('Valkey: an RDB dump restored into a new database with appendonly yes', () => {
  let cluster: LocalCluster;
  beforeAll(() => {
    cluster = new LocalCluster(synth(), {
      'cache-credentials': { username: 'default', password: 'source-pw' },
      'cache-copy-credentials': { username: 'default', password: 'copy-pw' },
      'cache-app': { username: 'app', password: 'app-pw' },
      'cache-copy-app': { username: 'app', password: 'app-pw' },
    });
  });
  afterAll(async () => cluster?.destroy());

  test('dump, verify, restore: the new database holds every key, and keeps them across a restart', async () => {
    const [source] = await cluster.startStatefulSet('cache', { readyTimeoutSeconds: 60 });
    for (let i = 0; i < 200; i++) await cli(source, 'set', `key:${i}`, `value ${i}`);
    const before = await contents(source);
    expect(before.split('\n')).toHaveLength(200);

    const dump = await cluster.runJob('cache-dumps', 'CronJob');
    expect(dump.code).toBe(0);
    const verify = await cluster.runJob('cache-verify', 'CronJob');
    expect(verify.logs).toContain('restore verified: DBSIZE -> 200');
    expect(verify.code).toBe(0);

    const [copy] = await cluster.startStatefulSet('cache-copy', { readyTimeoutSeconds: 60 });
    expect(await contents(copy)).toBe(before);
    expect(await cli(copy, 'config', 'get', 'appendonly')).toBe('appendonly\nyes');
    // A write after the restore goes to the AOF; a restart keeps the restored keys and the new one,
    // and does not restore again.
    await cli(copy, 'set', 'after-restore', 'kept');
    await copy.stop();
    await copy.start();
    await copy.waitReady(60);
    const byKey = (a: string, b: string) => (a.split('=')[0] < b.split('=')[0] ? -1 : 1);
    expect(await contents(copy)).toBe([...before.split('\n'), 'after-restore=kept'].sort(byKey).join('\n'));
    expect(copy.logs('restore-fetch')).toContain('data already initialised: nothing to restore');
  });
});
