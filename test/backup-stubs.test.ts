import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Cron } from 'cdk8s';
import {
  BackupMethod, BackupSchedule, BackupTarget, CassandraVersion, Engine, MongoDbVersion, ReplicatedDatabase, Restore, Retention, StatefulDatabase,
} from '../src';
import { StubRun, runWithStubs, writeStub } from './support/stubs';
import { newChart, only, synthValid } from './support/synth';

// The MongoDB and Cassandra backup shell, as synthesized, run with sh/bash against stand-ins of the engines'
// tools (MongoDB and Cassandra cannot run here). The stand-ins answer as the tools' documentation says:
// - mongosh: a failing command in --eval is thrown (MongoServerError) and mongosh exits 1; a refused login prints
//   "MongoServerError: Authentication failed." and exits 1. db.fsyncLock() answers { info, lockCount, ok: 1 }.
//   https://www.mongodb.com/docs/manual/reference/method/db.fsyncLock/ ,
//   https://www.mongodb.com/docs/mongodb-shell/reference/options/ (--eval), https://www.mongodb.com/docs/manual/reference/command/fsync/
//   (fsync lock is refused, e.g. while another operation holds it or on an unsupported storage engine).
// - mongodump --archive (no file) writes the archive to stdout; --gzip compresses it; it exits non-zero when it
//   cannot connect or authenticate ("Failed: ... (AuthenticationFailed) Authentication failed.").
//   https://www.mongodb.com/docs/database-tools/mongodump/#std-option-mongodump.--archive
// - mongorestore --archive=<file> --gzip reads a gzipped archive and exits non-zero with "Failed: ..." when the
//   stream is not gzip or ends early. https://www.mongodb.com/docs/database-tools/mongorestore/#std-option-mongorestore.--archive
// - nodetool snapshot -t <tag> / clearsnapshot -t <tag>: https://cassandra.apache.org/doc/latest/cassandra/managing/tools/nodetool/snapshot.html ;
//   nodetool exits 1 with "nodetool: Failed to connect to '127.0.0.1:7199'" when JMX is unreachable.
// - kubectl exec POD -c C -- CMD...: runs CMD in the container; its exit status is kubectl's.

const MONGO = () => Engine.mongodb({ version: MongoDbVersion.V7_0 });

/** Runs `script` with `shell`, the stand-ins in `bin` first on PATH; the calls they logged, in order. */
function run(shell: 'sh' | 'bash', script: string, dir: string, env: Record<string, string> = {}): StubRun {
  return runWithStubs(shell, script, dir, { ...process.env, ...env });
}

function stub(dir: string, name: string, body: string[]): void {
  writeStub(dir, name, ['#!/bin/sh', ...body].join('\n') + '\n');
}

/** kubectl: exec runs the command here with POD set; apply/get answer as a cluster with a cut snapshot. */
function kubectlStub(dir: string): void {
  stub(dir, 'kubectl', [
    'case "$1" in',
    '  exec) POD=$2; shift 2; while [ "$1" != "--" ]; do shift; done; shift; export POD',
    '        echo "exec $POD: $*" | cut -c1-60 >> "$STUB_CALLS"; exec "$@" ;;',
    '  apply) echo "apply $(grep -o "persistentVolumeClaimName: .*")" >> "$STUB_CALLS" ;;',
    '  get) case "$*" in *creationTime*) echo 2026-11-21T00:00:00Z ;; esac ;;',
    '  *) echo "kubectl $1" >> "$STUB_CALLS" ;;',
    'esac',
  ]);
}

/**
 * mongosh: checks the login against $GOOD_PASSWORD when one is given; answers hello (db-1 is the secondary),
 * fsyncLock (refused when $REFUSE_LOCK is set), fsyncUnlock and changeUserPassword.
 */
function mongoshStub(dir: string): void {
  stub(dir, 'mongosh', [
    'ARGS=$*; EVAL=; PW=; while [ $# -gt 0 ]; do case "$1" in --eval) EVAL=$2; shift ;; -p) PW=$2; shift ;; esac; shift; done',
    'if [ -n "$PW" ] && [ "$PW" != "$GOOD_PASSWORD" ]; then echo "MongoServerError: Authentication failed." >&2; exit 1; fi',
    'case "$EVAL" in',
    '  *hello*) echo "${POD:-local} mongosh hello" >> "$STUB_CALLS"; [ "$POD" = db-1 ] && echo replica || echo primary ;;',
    '  *fsyncLock*) echo "$POD mongosh fsyncLock" >> "$STUB_CALLS"',
    '    if [ -n "${REFUSE_LOCK:-}" ]; then echo "MongoServerError[CommandFailed]: fsyncLock refused: another fsync lock operation is in progress" >&2; exit 1; fi',
    '    echo "{ info: \'now locked against writes, use db.fsyncUnlock() to unlock\', lockCount: Long(\'1\'), ok: 1 }" ;;',
    '  *fsyncUnlock*) echo "$POD mongosh fsyncUnlock" >> "$STUB_CALLS"; echo "{ info: \'fsyncUnlock completed\', lockCount: Long(\'0\'), ok: 1 }" ;;',
    '  *changeUserPassword*) echo "mongosh changeUserPassword $MONGO_INITDB_ROOT_USERNAME $MONGO_INITDB_ROOT_PASSWORD $ARGS" >> "$STUB_CALLS" ;;',
    '  *) echo "mongosh $EVAL" >> "$STUB_CALLS"; echo 3 ;;',
    'esac',
  ]);
}

/** mongorestore: fails as the tool does on an archive that is not gzip or is cut off. */
function mongorestoreStub(dir: string): void {
  stub(dir, 'mongorestore', [
    'echo "mongorestore $*" >> "$STUB_CALLS"',
    'for a in "$@"; do case "$a" in --archive=*) F=${a#--archive=} ;; esac; done',
    'gzip -t "$F" 2>/dev/null || { echo "Failed: stream or file does not appear to be a mongodump archive: gzip: invalid header or unexpected EOF" >&2; exit 1; }',
    'echo "1 document(s) restored successfully. 0 document(s) failed to restore."',
  ]);
}

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('MongoDB volume snapshot: fsyncLock on the secondary, snapshot, fsyncUnlock', () => {
  function snapshotRun(env: Record<string, string>): StubRun {
    const chart = newChart('shop');
    const db = new ReplicatedDatabase(chart, 'db', { name: 'db', engine: MONGO(), zones: ['a', 'b', 'c'] });
    new BackupSchedule(chart, 'b', { database: db, methods: [BackupMethod.volumeSnapshot({ snapshotClassName: 'x', schedule: Cron.schedule({ minute: '0' }), retention: Retention.keepLast(2) })] });
    const c = only(synthValid(chart), 'CronJob').spec.jobTemplate.spec.template.spec.containers[0];
    const jobEnv: Record<string, string> = Object.fromEntries(c.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    const dir = tmp('mongo-snap-');
    try {
      kubectlStub(dir);
      mongoshStub(dir);
      // The container's env, as the MongoDB image has it.
      return run('sh', c.command[2], dir, { ...jobEnv, MONGO_INITDB_ROOT_USERNAME: 'root', MONGO_INITDB_ROOT_PASSWORD: 's3cret', GOOD_PASSWORD: 's3cret', ...env });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('the lock is taken on the secondary found by hello, released only after the snapshot is cut', () => {
    const r = snapshotRun({});
    expect(r.code).toBe(0);
    const mongo = r.calls.filter((l) => !l.startsWith('exec') && !l.startsWith('kubectl'));
    expect(mongo).toEqual([
      'db-0 mongosh hello', 'db-1 mongosh hello',
      'db-1 mongosh fsyncLock',
      'apply persistentVolumeClaimName: data-db-1',
      'db-1 mongosh fsyncUnlock',
    ]);
    expect(r.out).toMatch(/run \d{8}t\d{6}z: done/);
  });

  test('a refused fsyncLock fails the run before any snapshot, with the server\'s message', () => {
    const r = snapshotRun({ REFUSE_LOCK: '1' });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('fsyncLock refused');
    expect(r.calls.some((l) => l.startsWith('apply'))).toBe(false);
  });

  test('an authentication failure fails the run before any snapshot', () => {
    const r = snapshotRun({ GOOD_PASSWORD: 'rotated' });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('MongoServerError: Authentication failed.');
    expect(r.calls.some((l) => l.startsWith('apply'))).toBe(false);
  });
});

describe('MongoDB logical dump', () => {
  function dumpRun(env: Record<string, string>) {
    const chart = newChart('shop');
    const db = new ReplicatedDatabase(chart, 'db', { name: 'catalog', engine: MONGO(), zones: ['a', 'b', 'c'] });
    new BackupSchedule(chart, 'b', { database: db, methods: [BackupMethod.logicalDump({ schedule: Cron.schedule({ minute: '0' }), target: BackupTarget.pvc({ claimName: 'backups' }), retention: Retention.keepLast(2) })] });
    const c = only(synthValid(chart), 'CronJob', 'catalog-dumps').spec.jobTemplate.spec.template.spec.initContainers[0];
    const dir = tmp('mongo-dump-');
    stub(dir, 'mongodump', [
      'echo "mongodump $*" >> "$STUB_CALLS"',
      'PW=; while [ $# -gt 0 ]; do case "$1" in --password) PW=$2; shift ;; esac; shift; done',
      '[ "$PW" = "$GOOD_PASSWORD" ] || { echo "Failed: can\'t create session: failed to connect: auth error: sasl conversation error: unable to authenticate using mechanism \\"SCRAM-SHA-256\\": (AuthenticationFailed) Authentication failed." >&2; exit 1; }',
      'printf "mongodump archive\\n" | gzip',
    ]);
    const script = c.command[2].replace(/\/backup\//g, `${dir}/backup/`).replace(/\/backup /g, `${dir}/backup `).replace(/\/tmp\/work/g, `${dir}/work`);
    const jobEnv = Object.fromEntries(c.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    const r = run('bash', script, dir, { ...jobEnv, DB_USER: 'root', DB_PASSWORD: 's3cret', GOOD_PASSWORD: 's3cret', ...env });
    const files = fs.existsSync(path.join(dir, 'backup', 'catalog')) ? fs.readdirSync(path.join(dir, 'backup', 'catalog')).sort() : [];
    return { r, files, dir };
  }

  test('mongodump writes a gzipped archive with the oplog from the replica set URI; its sha256 beside it', () => {
    const { r, files, dir } = dumpRun({});
    try {
      expect(r.code).toBe(0);
      expect(r.calls).toEqual([expect.stringMatching(/^mongodump --uri mongodb:\/\/catalog-0\..*replicaSet=catalog.* --username root --password s3cret --authenticationDatabase admin --archive --gzip --oplog$/)]);
      expect(files).toEqual([expect.stringMatching(/^catalog-\d{8}t\d{6}z\.archive\.gz$/), expect.stringMatching(/\.archive\.gz\.sha256$/)]);
      expect(execFileSync('gunzip', ['-c', path.join(dir, 'backup', 'catalog', files[0])]).toString()).toBe('mongodump archive\n');
      execFileSync('sha256sum', ['-c', files[1]], { cwd: path.join(dir, 'backup', 'catalog') });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an authentication failure fails the run with mongodump\'s message and leaves no file', () => {
    const { r, files, dir } = dumpRun({ GOOD_PASSWORD: 'rotated' });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('(AuthenticationFailed) Authentication failed.');
    expect(files).toEqual([]);
  });
});

describe('MongoDB restore from a dump (first-start script)', () => {
  function restoreRun(archive: Buffer, replicated: boolean) {
    const chart = newChart('shop');
    const target = BackupTarget.pvc({ claimName: 'backups' });
    if (replicated) {
      new ReplicatedDatabase(chart, 'db', { engine: MONGO(), name: 'copy', zones: ['a', 'b', 'c'], restoreFrom: Restore.fromDump({ target, sourceName: 'catalog' }) });
    } else {
      new StatefulDatabase(chart, 'db', { engine: MONGO(), name: 'copy', restoreFrom: Restore.fromDump({ target, sourceName: 'catalog' }) });
    }
    const script: string = only(synthValid(chart), 'ConfigMap', 'copy-restore').data['00-restore.sh'];
    const dir = tmp('mongo-restore-');
    fs.mkdirSync(path.join(dir, 'restore'));
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'WiredTiger'), 'x');
    fs.writeFileSync(path.join(dir, 'restore', 'dump'), archive);
    mongoshStub(dir);
    mongorestoreStub(dir);
    stub(dir, 'mongod', ['echo "mongod $*" >> "$STUB_CALLS"']);
    // The image's entrypoint sources first-start *.sh scripts under `set -Eeuo pipefail` (docker-library/mongo docker-entrypoint.sh).
    const local = script.replace(/\/restore\//g, `${dir}/restore/`).replace(/\/data\/db/g, `${dir}/data`);
    fs.writeFileSync(path.join(dir, '00-restore.sh'), local);
    const r = run('bash', `set -Eeuo pipefail; . ${dir}/00-restore.sh; echo ENTRYPOINT-CONTINUES`, dir,
      { MONGO_INITDB_ROOT_USERNAME: 'root', MONGO_INITDB_ROOT_PASSWORD: 'new-secret' });
    const data = fs.readdirSync(path.join(dir, 'data'));
    fs.rmSync(dir, { recursive: true, force: true });
    return { r, data };
  }

  test.each([[false, ''], [true, ' --oplogReplay']])('replicated %s: mongorestore, then root takes the new Secret\'s password', (replicated, oplog) => {
    const { r } = restoreRun(execFileSync('gzip', { input: 'archive' }), replicated);
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([
      expect.stringMatching(new RegExp(`^mongorestore --host 127.0.0.1 --archive=.*/restore/dump --gzip${oplog}$`)),
      'mongosh changeUserPassword root new-secret --host 127.0.0.1 --quiet admin --eval db.changeUserPassword(process.env.MONGO_INITDB_ROOT_USERNAME, process.env.MONGO_INITDB_ROOT_PASSWORD)',
    ]);
    expect(r.out).toContain('ENTRYPOINT-CONTINUES');
  });

  test('a dump that does not load stops the first start with a message, no password reset, and empties the data directory', () => {
    const { r, data } = restoreRun(Buffer.from('not gzip'), false);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('restore FAILED');
    expect(r.calls.some((l) => l.includes('changeUserPassword'))).toBe(false);
    // Left initialised, the next start would skip the restore and serve a partial database.
    expect(data).toEqual([]);
  });
});

describe('MongoDB restore verification', () => {
  function verifyRun(archive: Buffer) {
    const chart = newChart('shop');
    const db = new StatefulDatabase(chart, 'db', { engine: MONGO(), name: 'db' });
    new BackupSchedule(chart, 'b', {
      database: db,
      methods: [BackupMethod.logicalDump({ schedule: Cron.schedule({ minute: '0' }), target: BackupTarget.pvc({ claimName: 'backups' }), retention: Retention.keepLast(2) })],
      verification: { schedule: Cron.schedule({ minute: '30' }) },
    });
    const c = only(synthValid(chart), 'CronJob', 'db-verify').spec.jobTemplate.spec.template.spec.containers[0];
    const dir = tmp('mongo-verify-');
    fs.mkdirSync(path.join(dir, 'restore'));
    fs.writeFileSync(path.join(dir, 'restore', 'dump'), archive);
    mongoshStub(dir);
    mongorestoreStub(dir);
    stub(dir, 'mongod', ['echo "mongod $*" >> "$STUB_CALLS"']);
    const script = c.command[2].replace(/\/restore\//g, `${dir}/restore/`).replace(/\/tmp\/verify/g, `${dir}/verify`);
    const r = run('bash', script, dir, { CHECK: c.env.find((e: any) => e.name === 'CHECK').value });
    fs.rmSync(dir, { recursive: true, force: true });
    return r;
  }

  test('a complete archive loads into a throwaway mongod and the check runs', () => {
    const r = verifyRun(execFileSync('gzip', { input: 'archive' }));
    expect(r.code).toBe(0);
    expect(r.calls.map((l) => l.split(' ')[0])).toEqual(['mongod', 'mongorestore', 'mongosh', 'mongod']);
    expect(r.calls[3]).toContain('--shutdown');
    expect(r.out).toContain('restore verified: db.adminCommand({ listDatabases: 1 }).databases.length -> 3');
  });

  test.each([
    ['not gzip', Buffer.from('plain text, not an archive')],
    ['cut off', execFileSync('gzip', { input: Buffer.alloc(100000, 'a') }).subarray(0, 60)],
  ])('an archive that is %s fails verification with a message', (_n, archive) => {
    const r = verifyRun(archive);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('restore verification FAILED');
    expect(r.out).toContain('does not appear to be a mongodump archive');
    expect(r.calls.some((l) => l.startsWith('mongosh'))).toBe(false);
  });
});

describe('Cassandra: nodetool flush, then a snapshot per node bundled and cleared', () => {
  function cassandraDump(failOn?: string) {
    const chart = newChart('shop');
    const db = new ReplicatedDatabase(chart, 'db', { engine: Engine.cassandra({ version: CassandraVersion.V4_1 }), name: 'events', zones: ['a', 'b', 'c'] });
    new BackupSchedule(chart, 'b', { database: db, methods: [BackupMethod.logicalDump({ schedule: Cron.schedule({ minute: '0' }), target: BackupTarget.pvc({ claimName: 'backups' }), retention: Retention.keepLast(2) })] });
    const c = only(synthValid(chart), 'CronJob', 'events-dumps').spec.jobTemplate.spec.template.spec.initContainers[0];
    const dir = tmp('cassandra-dump-');
    kubectlStub(dir);
    // A snapshot hard-links the node's SSTables under <table>/snapshots/<tag>/ with schema.cql.
    stub(dir, 'nodetool', [
      'echo "$POD nodetool $*" >> "$STUB_CALLS"',
      `if [ "$POD" = "${failOn ?? 'none'}" ]; then echo "nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: 'Connection refused'." >&2; exit 1; fi`,
      `D=${dir}/nodes/$POD/ks/t-1`,
      'case "$1" in',
      '  snapshot) mkdir -p "$D/snapshots/$3"; echo "sstable of $POD" > "$D/snapshots/$3/nb-1-big-Data.db"; echo "CREATE TABLE ks.t" > "$D/snapshots/$3/schema.cql" ;;',
      '  clearsnapshot) rm -rf "$D/snapshots/$3" ;;',
      'esac',
    ]);
    const script = c.command[2]
      .replace(/\/var\/lib\/cassandra\/data/g, `${dir}/nodes/$P`)
      .replace(/\/backup\//g, `${dir}/backup/`).replace(/\/backup /g, `${dir}/backup `)
      .replace(/\/tmp\/work/g, `${dir}/work`);
    const r = run('sh', script, dir);
    const out = path.join(dir, 'backup', 'events');
    const files = fs.existsSync(out) ? fs.readdirSync(out).sort() : [];
    const leftSnapshots = execFileSync('sh', ['-c', `find ${dir}/nodes -path '*/snapshots/*' -type f 2>/dev/null | wc -l`]).toString().trim();
    return { r, files, dir, out, leftSnapshots };
  }

  test('the flush runs on every node before the snapshot (PREPARE)', () => {
    const chart = newChart('shop');
    const db = new ReplicatedDatabase(chart, 'db', { engine: Engine.cassandra({ version: CassandraVersion.V4_1 }), name: 'events', zones: ['a', 'b', 'c'] });
    new BackupSchedule(chart, 'b', { database: db, methods: [BackupMethod.volumeSnapshot({ snapshotClassName: 'x', schedule: Cron.schedule({ minute: '0' }), retention: Retention.keepLast(2) })] });
    const c = only(synthValid(chart), 'CronJob').spec.jobTemplate.spec.template.spec.containers[0];
    const dir = tmp('cassandra-snap-');
    try {
      kubectlStub(dir);
      stub(dir, 'nodetool', ['echo "$POD nodetool $*" >> "$STUB_CALLS"']);
      const r = run('sh', c.command[2], dir, { PREPARE: c.env.find((e: any) => e.name === 'PREPARE').value });
      expect(r.code).toBe(0);
      expect(r.calls.filter((l) => !l.startsWith('exec') && !l.startsWith('kubectl'))).toEqual([
        'events-a-0 nodetool flush', 'events-b-0 nodetool flush', 'events-c-0 nodetool flush',
        'apply persistentVolumeClaimName: data-events-a-0', 'apply persistentVolumeClaimName: data-events-b-0', 'apply persistentVolumeClaimName: data-events-c-0',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every node is snapshotted, streamed out, bundled with its sha256, and its snapshot cleared', () => {
    const { r, files, dir, out, leftSnapshots } = cassandraDump();
    try {
      expect(r.code).toBe(0);
      const nodetool = r.calls.filter((l) => !l.startsWith('exec') && l.includes(' nodetool ')).map((l) => l.replace(/\d{8}t\d{6}z/, 'RUN'));
      expect(nodetool).toEqual([
        'events-a-0 nodetool snapshot -t RUN', 'events-b-0 nodetool snapshot -t RUN', 'events-c-0 nodetool snapshot -t RUN',
        'events-a-0 nodetool clearsnapshot -t RUN', 'events-b-0 nodetool clearsnapshot -t RUN', 'events-c-0 nodetool clearsnapshot -t RUN',
      ]);
      expect(files).toEqual([expect.stringMatching(/^events-\d{8}t\d{6}z\.tar\.gz$/), expect.stringMatching(/\.tar\.gz\.sha256$/)]);
      const listing = execFileSync('sh', ['-c', `tar -xzf ${out}/${files[0]} -O ./events-b-0.tar.gz | tar -tzf -`]).toString();
      expect(listing).toMatch(/ks\/t-1\/snapshots\/\d{8}t\d{6}z\/nb-1-big-Data\.db/);
      expect(listing).toMatch(/schema\.cql/);
      expect(leftSnapshots).toBe('0');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a node that cannot be reached fails the run with nodetool\'s message; snapshots already taken are cleared, no dump is left', () => {
    const { r, files, dir, leftSnapshots } = cassandraDump('events-b-0');
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("nodetool: Failed to connect to '127.0.0.1:7199'");
    expect(r.calls.filter((l) => !l.startsWith('exec') && l.includes('clearsnapshot')).length).toBe(3);
    expect(leftSnapshots).toBe('0');
    expect(files).toEqual([]);
  });
});
