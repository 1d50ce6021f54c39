import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Cron } from 'cdk8s';
import { BackupMethod, BackupSchedule, Engine, MysqlVersion, PostgresVersion, ReplicatedDatabase, Retention } from '../src';
import { newChart, only, synthValid } from './support/synth';
import { engineBackupFor } from '../src/backup/engine-backup';
import { pruneRunsShell } from '../src/backup/jobs';
import { pvcRetentionScript } from '../src/backup/scripts';

// The shell the backup Jobs run, run here for real with sh: retention arithmetic, and the held
// quiesce session against a stand-in client that answers like psql / mysql would.

function sh(script: string, env: Record<string, string> = {}): string {
  return execFileSync('sh', ['-c', script], { env: { ...process.env, ...env } }).toString();
}

describe('retention', () => {
  const runs = ['20261101t000000z', '20261110t000000z', '20261118t000000z', '20261119t000000z', '20261120t000000z', '20261121t000000z', 'not-a-run'];
  const prune = (keepLast?: number, maxAge?: number) =>
    sh(`${pruneRunsShell(keepLast, maxAge)}\ndelete_run() { echo "$1"; }\nprintf "%s\\n" ${runs.join(' ')} | prune_runs | grep -v retention || true`)
      .trim().split('\n').filter((l) => l);

  test('keepLast deletes the oldest runs beyond the count, and ignores names that are not runs', () => {
    expect(prune(3)).toEqual(['20261101t000000z', '20261110t000000z', '20261118t000000z']);
    expect(prune(10)).toEqual([]);
  });

  test('maxAge deletes runs older than the cutoff, but never the newest', () => {
    const ageOf = (run: string) => Math.floor((Date.now() - Date.UTC(+run.slice(0, 4), +run.slice(4, 6) - 1, +run.slice(6, 8))) / 1000);
    // A cutoff between 2026-11-10 and 2026-11-18.
    const maxAge = Math.floor((ageOf('20261110t000000z') + ageOf('20261118t000000z')) / 2);
    expect(prune(undefined, maxAge)).toEqual(['20261101t000000z', '20261110t000000z']);
    // Everything is older than one second, yet the newest run stays.
    expect(prune(undefined, 1)).toEqual(runs.slice(0, 5));
  });

  test('the PVC folder keeps only this database\'s dump files within retention', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retention-'));
    fs.mkdirSync(path.join(dir, 'orders'));
    const files = ['orders-20261118t000000z.sql.gz', 'orders-20261119t000000z.sql.gz', 'orders-20261120t000000z.sql.gz', 'other-20261101t000000z.sql.gz', 'orders-notes.txt'];
    for (const f of files) {
      fs.writeFileSync(path.join(dir, 'orders', f), 'x');
      fs.writeFileSync(path.join(dir, 'orders', `${f}.sha256`), 'x');
    }
    sh(pvcRetentionScript('orders', 'orders', 'sql.gz', 2).replace(/\/backup\//g, `${dir}/`));
    expect(fs.readdirSync(path.join(dir, 'orders')).sort()).toEqual([
      'orders-20261119t000000z.sql.gz', 'orders-20261119t000000z.sql.gz.sha256',
      'orders-20261120t000000z.sql.gz', 'orders-20261120t000000z.sql.gz.sha256',
      'orders-notes.txt', 'orders-notes.txt.sha256',
      'other-20261101t000000z.sql.gz', 'other-20261101t000000z.sql.gz.sha256',
    ]);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('held quiesce sessions', () => {
  /** Runs the hold script with a fake client on PATH; returns its output once it finished. */
  async function hold(client: string, clientScript: string, script: string,
    env: Record<string, string>): Promise<{ ready: boolean; out: string; log: string }> {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-client-'));
    const log = path.join(bin, 'statements.log');
    fs.writeFileSync(path.join(bin, client), `#!/bin/sh\nwhile IFS= read -r line; do echo "$line" >> ${log}; ${clientScript}; done\n`, { mode: 0o755 });
    const child = spawn('sh', ['-c', script], { env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    for (let i = 0; i < 100 && !out.includes('READY'); i++) await new Promise((r) => setTimeout(r, 50));
    const ready = out.includes('READY');
    // Before the snapshot is cut, the session must still be open: the backup has not been stopped.
    const before = fs.readFileSync(log, 'utf8');
    fs.writeFileSync('/tmp/cdk8s-backup/go', '');
    const code = await done;
    if (code !== 0) throw new Error(`hold script failed (${code}): ${out}`);
    const statements = fs.readFileSync(log, 'utf8');
    fs.rmSync(bin, { recursive: true });
    return { ready, out, log: `${before}---go---\n${statements.slice(before.length)}` };
  }

  test('MySQL: FLUSH TABLES WITH READ LOCK held in one session until the snapshot is cut', async () => {
    const q = engineBackupFor(Engine.mysql({ version: MysqlVersion.V8_4 })._definition, false, false).quiesce;
    if (q.mode !== 'session') throw new Error('expected a session');
    const fake = 'case "$line" in *"FLUSH TABLES WITH READ LOCK"*) echo locked;; esac';
    const { ready, log } = await hold('mysql', fake, q.hold, { RUN: 'r', MYSQL_ROOT_PASSWORD: 'p' });
    expect(ready).toBe(true);
    expect(log).toBe("FLUSH TABLES WITH READ LOCK; SELECT 'locked';\n---go---\nUNLOCK TABLES;\n");
  }, 15000);
});

describe('the snapshot run', () => {
  // A stand-in kubectl that answers as kubectl does: `{.items[0]...}` on an empty list exits 1 ("array
  // index out of bounds"), `{.items[*]...}` prints nothing; a snapshot is cut (creationTime) once applied.
  const kubectl = (dir: string) => [
    '#!/bin/sh',
    `echo "$*" >> ${dir}/calls`,
    'case "$*" in',
    '  "get pods "*"items[0]"*) echo "error: array index out of bounds: index 0, length 0" >&2; exit 1 ;;',
    '  "get pods "*) exit 0 ;;',
    `  "apply -f -") cat > ${dir}/applied; exit 0 ;;`,
    '  "get volumesnapshot "*creationTime*) echo 2026-11-21T00:00:00Z ;;',
    '  *) exit 0 ;;',
    'esac',
  ].join('\n');

  test('with no replica Running, the run falls back to member 0 instead of stopping', () => {
    const chart = newChart('shop');
    const db = new ReplicatedDatabase(chart, 'db', { name: 'db', engine: Engine.postgres({ version: PostgresVersion.V16 }), zones: ['a', 'b', 'c'] });
    new BackupSchedule(chart, 'b', { database: db, methods: [BackupMethod.volumeSnapshot({ snapshotClassName: 'x', schedule: Cron.schedule({ minute: '0' }), retention: Retention.keepLast(2) })] });
    const cj = only(synthValid(chart), 'CronJob');
    const script: string = cj.spec.jobTemplate.spec.template.spec.containers[0].command[2];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapshot-run-'));
    try {
      fs.writeFileSync(path.join(dir, 'kubectl'), kubectl(dir), { mode: 0o755 });
      const out = sh(script, { PATH: `${dir}:${process.env.PATH}`, PREPARE: 'true' });
      expect(out).toMatch(/run \d{8}t\d{6}z: snapshotting db-0/);
      expect(out).toMatch(/run \d{8}t\d{6}z: done/);
      expect(fs.readFileSync(path.join(dir, 'applied'), 'utf8')).toContain('persistentVolumeClaimName: data-db-0');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

