import { EngineDefinition } from '../engines/engine-definition';
import { TLS_PATH } from '../private/mount-paths';
import { inDoubleQuotes as dq, shellWord, shellWords } from '../private/shell';

/**
 * How each engine is quiesced around a volume snapshot, dumped, loaded and checked, with its own
 * tools. Scripts that run inside the database container use the env the profile gives it.
 */
export type Quiesce =
  /** One client session holds the engine consistent; it must stay open across the snapshot. */
  | { readonly mode: 'session'; readonly hold: string }
  /** Lock and unlock are separate calls (the lock outlives the session). */
  | { readonly mode: 'lock'; readonly lock: string; readonly unlock: string }
  /** One command makes the files on disk complete; nothing to resume. */
  | { readonly mode: 'prepare'; readonly prepare: string };

export interface EngineBackup {
  readonly quiesce: Quiesce;
  /** Prints `replica` when run in a replica's database container (where roles are not labels). */
  readonly roleProbe?: string;
  /** Every member holds different data (Cassandra): snapshot all of them. */
  readonly snapshotAllMembers: boolean;
  /** Dump file extension (after the name and run). */
  readonly dumpExtension: string;
  /** Writes a compressed dump of the database at $DB_HOST to $OUT (bash, database image); undefined: not supported. */
  readonly dump?: string;
  /**
   * Engines whose dump is taken inside each member (Cassandra snapshots): writes $OUT from `kubectl exec`
   * into the members (sh, tools image). Gets the member pods and the container name.
   */
  readonly dumpThroughExec?: (members: string[], container: string) => string;
  /** Loads the dump file $DUMP into a server started by the image's entrypoint (a /docker-entrypoint-initdb.d script). */
  readonly initdbRestore?: string;
  /** Starts a throwaway server in the Job pod, loads $DUMP, runs $CHECK and prints its result (bash, official image). */
  readonly verify?: string;
  readonly defaultCheck?: string;
  /** Why logical dumps, restores or verification are not offered, when they are not. */
  readonly notes: string;
}

// The session waits for a file the snapshot Job creates once the snapshot is cut, then ends the
// backup in the same session. 15 minutes at most: a forgotten lock must not stall the database.
const SESSION_DIR = '/tmp/cdk8s-backup';
const waitForGo = (onTimeout: string) => [
  'echo READY',
  `n=0; until [ -f ${SESSION_DIR}/go ]; do n=$((n+1)); if [ $n -gt 900 ]; then ${onTimeout}; exit 1; fi; sleep 1; done`,
];
const openSession = (client: string) => [
  'set -eu',
  `rm -rf ${SESSION_DIR}; mkdir -p ${SESSION_DIR}; mkfifo ${SESSION_DIR}/in`,
  `${client} < ${SESSION_DIR}/in > ${SESSION_DIR}/out 2>&1 &`,
  'CLIENT=$!',
  `exec 3> ${SESSION_DIR}/in`,
];
const waitFor = (pattern: string) =>
  `n=0; until grep -q '${pattern}' ${SESSION_DIR}/out; do n=$((n+1)); if [ $n -gt 300 ] || ! kill -0 $CLIENT; then cat ${SESSION_DIR}/out; exit 1; fi; sleep 1; done`;

/**
 * Defines `load_dump`: loads $DUMP (a gzipped pg_dumpall) with psql as `superuser` and fails on anything
 * but a complete, clean load. pg_dumpall ends every dump with "PostgreSQL database cluster dump complete"
 * (src/bin/pg_dump/pg_dumpall.c): a truncated or cut-off dump lacks it. It creates the roles of the source,
 * so the one error that is expected is `role "<superuser>" already exists`; any other ERROR fails.
 */
function pgLoadDump(superuser: string, conn: string): string {
  return [
    'load_dump() {',
    '  gunzip -c "$DUMP" | tail -n 5 | grep -q "PostgreSQL database cluster dump complete" \\',
    '    || { echo "$DUMP is not a complete pg_dumpall dump (unreadable gzip, truncated or cut off)"; return 1; }',
    `  gunzip -c "$DUMP" | psql -X -q ${conn ? `${conn} ` : ''}-U ${superuser} -d postgres >/tmp/load.log 2>&1 || { cat /tmp/load.log; return 1; }`,
    `  if grep "ERROR:" /tmp/load.log | grep -v "role \\"${superuser.replace(/"/g, '')}\\" already exists" | grep -q .; then`,
    '    grep "ERROR:" /tmp/load.log | head -n 20; return 1',
    '  fi',
    '}',
  ].join('\n');
}

/** Sets the superuser's password from the Secret, through psql variables (no quoting of the value in SQL). */
function pgResetSuperuserPassword(superuser: string, password: string): string {
  return `printf '%s\\n' "ALTER ROLE :\\"su\\" PASSWORD :'pw';" | psql -X -q -v ON_ERROR_STOP=1 -v su=${superuser} -v pw=${password} -U ${superuser} -d postgres`;
}

/**
 * Redis/Valkey before a volume snapshot. What a restored volume starts from depends on `appendonly`:
 * - yes (the profile's default): the multi-part AOF in `appendonlydir/` (manifest, base, incr files);
 *   dump.rdb is ignored. Every step of an AOF rewrite is crash-safe (temp files renamed, the manifest
 *   fsynced and renamed), so an atomic snapshot of the volume loads like a crash would, a torn last command
 *   cut off by `aof-load-truncated yes`. What a snapshot can miss are acknowledged writes still in the page
 *   cache (`appendfsync everysec`) or, while a slow fsync runs, still in the server's AOF buffer. BGREWRITEAOF
 *   writes that buffer out (flushAppendOnlyFile(1)), fsyncs and closes the old incr file and leaves a fresh
 *   fsynced base; `sync -f` on the data volume then flushes the new incr file's pages.
 *   (Valkey 8.0.1 src/aof.c: rewriteAppendOnlyFileBackground, openNewIncrAofForAppend, flushAppendOnlyFile;
 *   https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/)
 * - no: dump.rdb. BGSAVE SCHEDULE (queued behind an AOF rewrite instead of refused) writes it, fsynced and
 *   renamed; it holds what was acknowledged before the save forked.
 * Completion is read from INFO persistence counters (`aof_rewrites`, `rdb_saves`, counted when the child
 * starts; Redis 7.0+ and Valkey) and the in-progress flags, not from LASTSAVE (one-second resolution: a save
 * in the same second as the last is never seen). A save or rewrite already running is refused
 * ("already in progress") and retried: it may have forked before writes the snapshot must hold. Any failed
 * call fails the run at once (valkey-cli exits 1 when it cannot connect; error replies are caught by
 * their text, since the CLI exits 0 on them).
 */
function keyValueQuiesce(cli: string, dataPath: string): string {
  return [
    'set -u',
    `info() { I=$(${cli} INFO persistence | tr -d '\\r') && printf '%s\\n' "$I" | grep -q '^aof_enabled:' || { echo "quiesce: INFO persistence failed: $I"; exit 1; }; }`,
    'field() { printf \'%s\\n\' "$I" | sed -n "s/^$1://p"; }',
    'info',
    'if [ "$(field aof_enabled)" = 1 ]; then',
    '  CMD=BGREWRITEAOF; COUNT=aof_rewrites; RUNNING=aof_rewrite_in_progress; STATUS=aof_last_bgrewrite_status',
    'else',
    '  CMD="BGSAVE SCHEDULE"; COUNT=rdb_saves; RUNNING=rdb_bgsave_in_progress; STATUS=rdb_last_bgsave_status',
    'fi',
    'n=0',
    'while :; do',
    '  info; B=$(field $COUNT)',
    `  R=$(${cli} $CMD 2>&1) || { echo "quiesce: $CMD: $R"; exit 1; }`,
    '  case "$R" in',
    '    *started*|*scheduled*) break ;;',
    '    *"already in progress"*) ;;',
    '    *) echo "quiesce: $CMD: $R"; exit 1 ;;',
    '  esac',
    '  n=$((n+1)); [ $n -le 600 ] || { echo "quiesce: $CMD could not start within 10 minutes"; exit 1; }; sleep 1',
    'done',
    'until info; [ "$(field $COUNT)" -gt "$B" ] && [ "$(field $RUNNING)" = 0 ]; do',
    '  n=$((n+1)); [ $n -le 3600 ] || { echo "quiesce: $CMD did not finish within an hour"; exit 1; }; sleep 1',
    'done',
    '[ "$(field $STATUS)" = ok ] || { echo "quiesce: $CMD failed ($STATUS:$(field $STATUS))"; exit 1; }',
    `sync -f ${shellWord(dataPath)}`,
    'echo "quiesce: $CMD done"',
  ].join('\n');
}

/**
 * `restore_failed <reason>`, for a first-start restore that the image's entrypoint sources with its temporary
 * server up: stops that server, empties the data directory the entrypoint initialised and says so. Left as it
 * is, that directory would make the next start skip the restore and serve a partial or empty database as if it
 * were whole; emptied, the next start initialises and loads again.
 */
/** `dataDir` is one shell word, quoted by the caller (`"$PGDATA"`). */
function restoreFailedFunction(stopServer: string, dataDir: string): string[] {
  return [
    'restore_failed() {',
    `  ${stopServer} >/dev/null 2>&1 || true`,
    `  find ${dataDir} -mindepth 1 -delete`,
    '  echo "restore FAILED: $1; the data directory was emptied, the next start loads the dump again"; exit 1',
    '}',
  ];
}

const MYSQL_SOCKET = '/var/run/mysqld/mysqld.sock';
/** The MySQL client as root, with the password the image's env holds (MYSQL_PWD: never on a command line). */
const mysqlAsRoot = 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql';

/**
 * Calls `fail <reason>` unless $DUMP is a complete mysqldump: readable gzip whose last lines hold the end
 * marker mysqldump writes last ("-- Dump completed", client/mysqldump.cc write_footer; also with
 * --skip-dump-date). A truncated, cut-off or foreign file lacks it; valid SQL up to a cut would load.
 */
function mysqlDumpComplete(fail: string): string {
  return `gunzip -c "$DUMP" | tail -n 3 | grep -q "^-- Dump completed" || ${fail} "$DUMP is not a complete mysqldump (unreadable gzip, truncated or cut off)"`;
}

export function engineBackupFor(def: EngineDefinition, replicated: boolean, tls: boolean): EngineBackup {
  const family = def.family;
  const tlsMongo = tls ? ' --tls --tlsAllowInvalidCertificates' : '';
  switch (family) {
    case 'postgresql': {
      // The data directory and its WAL live on one volume, and a CSI snapshot of one volume is atomic: the
      // snapshot is exactly what a crash leaves, and PostgreSQL restores it by crash recovery, no backup
      // label needed. A CHECKPOINT first keeps that recovery short. (pg_backup_start/stop with a label would
      // need the WAL written after the snapshot, up to the end-of-backup record, which only an archive has:
      // such a restore stops with "WAL ends before end of online backup".)
      // https://www.postgresql.org/docs/current/backup-file.html (consistent snapshot),
      // https://www.postgresql.org/docs/current/continuous-archiving.html#BACKUP-LOWLEVEL-BASE-BACKUP
      const user = '"${POSTGRES_USER:-${PGUSER_SUPERUSER:-postgres}}"';
      return {
        // With the server down psql fails at once (no socket); PGCONNECT_TIMEOUT bounds a server that accepts
        // but does not answer. https://www.postgresql.org/docs/current/libpq-envars.html
        quiesce: { mode: 'prepare', prepare: `PGCONNECT_TIMEOUT=10 psql -X -q -v ON_ERROR_STOP=1 -U ${user} -d postgres -c CHECKPOINT` },
        snapshotAllMembers: false,
        dumpExtension: 'sql.gz',
        dump: 'PGPASSWORD="$DB_PASSWORD" pg_dumpall -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" | gzip > "$OUT"',
        // The first-start script of the image (sourced by its bash entrypoint, with the temporary server up).
        initdbRestore: [
          ...restoreFailedFunction('pg_ctl -D "$PGDATA" -m immediate -w stop', '"$PGDATA"'),
          pgLoadDump('"$POSTGRES_USER"', ''),
          // The entrypoint created POSTGRES_DB empty; the dump recreates it as the source had it (encoding,
          // locale, owner). Should the dump not hold it, it is created again afterwards.
          'DB="${POSTGRES_DB:-$POSTGRES_USER}"',
          'if [ "$DB" != postgres ]; then',
          '  printf \'%s\\n\' \'DROP DATABASE :"db";\' | psql -X -q -v ON_ERROR_STOP=1 -v db="$DB" -U "$POSTGRES_USER" -d postgres',
          'fi',
          'load_dump || restore_failed "$DUMP does not load"',
          'if [ "$DB" != postgres ] && [ -z "$(printf \'%s\\n\' "SELECT 1 FROM pg_database WHERE datname = :\'db\'" | psql -X -A -t -v db="$DB" -U "$POSTGRES_USER" -d postgres)" ]; then',
          '  printf \'%s\\n\' \'CREATE DATABASE :"db";\' | psql -X -q -v ON_ERROR_STOP=1 -v db="$DB" -U "$POSTGRES_USER" -d postgres',
          'fi',
          // pg_dumpall carries the source's superuser password: the new database's Secret must work.
          pgResetSuperuserPassword('"$POSTGRES_USER"', '"$POSTGRES_PASSWORD"'),
        ].join('\n'),
        verify: [
          'initdb -D /tmp/verify/pg -U postgres --auth=trust >/dev/null',
          'pg_ctl -D /tmp/verify/pg -o "-c listen_addresses= -k /tmp/verify" -w start >/dev/null',
          pgLoadDump('postgres', '-h /tmp/verify'),
          'load_dump || { pg_ctl -D /tmp/verify/pg -m immediate stop >/dev/null; echo "restore verification FAILED: the dump does not load"; exit 1; }',
          'RESULT=$(psql -X -A -t -h /tmp/verify -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$CHECK")',
          'pg_ctl -D /tmp/verify/pg -m fast stop >/dev/null',
        ].join('\n'),
        defaultCheck: 'SELECT count(*) FROM pg_database WHERE NOT datistemplate',
        notes: 'pg_dumpall of every database and role; point-in-time recovery through WAL archiving (replicated PostgreSQL).',
      };
    }
    case 'mysql': {
      const root = 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot --socket=/var/run/mysqld/mysqld.sock';
      return {
        // FLUSH TABLES WITH READ LOCK holds only while its session lives.
        // https://dev.mysql.com/doc/refman/8.4/en/flush.html#flush-tables-with-read-lock
        quiesce: {
          mode: 'session',
          hold: [
            ...openSession(`${root} -N --unbuffered`),
            "echo \"FLUSH TABLES WITH READ LOCK; SELECT 'locked';\" >&3",
            waitFor('^locked'),
            ...waitForGo('echo "UNLOCK TABLES;" >&3'),
            'echo "UNLOCK TABLES;" >&3; exec 3>&-; wait $CLIENT',
          ].join('\n'),
        },
        roleProbe: `${root} -N -e "SELECT MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID=@@server_uuid" | grep -q SECONDARY && echo replica || echo primary`,
        snapshotAllMembers: false,
        dumpExtension: 'sql.gz',
        // --single-transaction: a consistent InnoDB snapshot without locking the tables.
        // https://dev.mysql.com/doc/refman/8.4/en/mysqldump.html#option_mysqldump_single-transaction
        dump: 'MYSQL_PWD="$DB_PASSWORD" mysqldump -h "$DB_HOST" -P "$DB_PORT" -uroot --single-transaction --routines --events --triggers '
          + '--all-databases --set-gtid-purged=OFF | gzip > "$OUT"',
        // A full dump carries the source's mysql.user rows (root's password among them): after loading,
        // root takes the new database's Secret again. The password is escaped for a SQL string literal.
        // https://dev.mysql.com/doc/refman/8.4/en/alter-user.html
        // The image sources this script with its temporary server up, after it initialised $DATADIR
        // (docker-entrypoint.sh: docker_setup_env, docker_process_init_files).
        initdbRestore: [
          ...restoreFailedFunction(`${mysqlAsRoot}admin -uroot --socket=${MYSQL_SOCKET} shutdown`, '"${DATADIR:?}"'),
          mysqlDumpComplete('restore_failed'),
          `gunzip -c "$DUMP" | ${mysqlAsRoot} -uroot --socket=${MYSQL_SOCKET} >/tmp/restore.log 2>&1 || { cat /tmp/restore.log; restore_failed "$DUMP does not load"; }`,
          String.raw`PW=$(printf '%s' "$MYSQL_ROOT_PASSWORD" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")`,
          // Until FLUSH PRIVILEGES the server still holds the new root password in memory: use it once more.
          String.raw`printf "ALTER USER IF EXISTS 'root'@'localhost', 'root'@'%%' IDENTIFIED BY '%s';\nFLUSH PRIVILEGES;\n" "$PW"` + ' \\',
          `  | ${mysqlAsRoot} -uroot --socket=${MYSQL_SOCKET}`,
        ].join('\n'),
        // A dump that does not load, or loads only in part, fails with the reason in the Job's log.
        verify: [
          'mysqld --initialize-insecure --datadir=/tmp/verify/my >/tmp/verify/init.log 2>&1 || { cat /tmp/verify/init.log; exit 1; }',
          'mysqld --datadir=/tmp/verify/my --socket=/tmp/verify/my.sock --pid-file=/tmp/verify/my.pid --skip-networking --mysqlx=0 --secure-file-priv=NULL >/tmp/verify/mysqld.log 2>&1 &',
          'n=0; until mysqladmin --socket=/tmp/verify/my.sock -uroot ping >/dev/null 2>&1; do n=$((n+1)); [ $n -gt 120 ] && { cat /tmp/verify/mysqld.log; exit 1; }; sleep 1; done',
          'verify_failed() { mysqladmin --socket=/tmp/verify/my.sock -uroot shutdown >/dev/null 2>&1 || true; echo "restore verification FAILED: $1"; exit 1; }',
          mysqlDumpComplete('verify_failed'),
          'gunzip -c "$DUMP" | mysql --socket=/tmp/verify/my.sock -uroot >/tmp/verify/load.log 2>&1 || { cat /tmp/verify/load.log; verify_failed "the dump does not load"; }',
          'RESULT=$(mysql --socket=/tmp/verify/my.sock -uroot -N -e "$CHECK")',
          'mysqladmin --socket=/tmp/verify/my.sock -uroot shutdown',
        ].join('\n'),
        defaultCheck: 'SELECT COUNT(*) FROM information_schema.schemata',
        notes: 'mysqldump --single-transaction of all databases.',
      };
    }
    case 'mongodb': {
      const shell = `mongosh --quiet${tlsMongo} -u "$MONGO_INITDB_ROOT_USERNAME" -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin`;
      return {
        // The fsync lock outlives the connection that took it.
        // https://www.mongodb.com/docs/manual/reference/method/db.fsyncLock/
        quiesce: { mode: 'lock', lock: `${shell} --eval 'db.fsyncLock()'`, unlock: `${shell} --eval 'db.fsyncUnlock()'` },
        roleProbe: `${shell} --eval 'print(db.hello().secondary ? "replica" : "primary")'`,
        snapshotAllMembers: false,
        dumpExtension: 'archive.gz',
        // --oplog gives a point-in-time consistent dump of a replica set member.
        // https://www.mongodb.com/docs/database-tools/mongodump/#std-option-mongodump.--oplog
        dump: `mongodump --uri "$DB_URI" --username "$DB_USER" --password "$DB_PASSWORD" --authenticationDatabase admin${tlsMongo} --archive --gzip ${replicated ? '--oplog ' : ''}> "$OUT"`,
        // A full dump holds admin.system.users: mongorestore merges the source's users in, root's credentials
        // among them. The image runs its first-start scripts against a temporary mongod without --auth
        // (docker-entrypoint.sh removes it for the init phase), so root's password is then set from the new
        // Secret without logging in. https://www.mongodb.com/docs/database-tools/mongorestore/#restore-users
        // On failure the temporary server stops with `mongod --shutdown` (Linux:
        // https://www.mongodb.com/docs/manual/reference/program/mongod/#std-option-mongod.--shutdown).
        initdbRestore: [
          ...restoreFailedFunction(`mongod --dbpath ${shellWord(def.dataPath)} --shutdown`, `"${dq(def.dataPath)}"`),
          `mongorestore --host 127.0.0.1 --archive="$DUMP" --gzip${replicated ? ' --oplogReplay' : ''} || restore_failed "$DUMP does not load"`,
          'mongosh --host 127.0.0.1 --quiet admin --eval \'db.changeUserPassword(process.env.MONGO_INITDB_ROOT_USERNAME, process.env.MONGO_INITDB_ROOT_PASSWORD)\''
            + ' || restore_failed "root\'s password could not be set from the Secret"',
        ].join('\n'),
        verify: [
          'mkdir -p /tmp/verify/db',
          'mongod --dbpath /tmp/verify/db --bind_ip 127.0.0.1 --port 27018 --fork --logpath /tmp/verify/mongod.log >/dev/null',
          // mongorestore exits non-zero on an archive that is not gzip or is cut off; its log says why.
          `mongorestore --port 27018 --archive="$DUMP" --gzip${replicated ? ' --oplogReplay' : ''} >/tmp/verify/restore.log 2>&1 \\`,
          '  || { cat /tmp/verify/restore.log; mongod --dbpath /tmp/verify/db --shutdown >/dev/null 2>&1 || true; echo "restore verification FAILED: the dump does not load"; exit 1; }',
          'RESULT=$(mongosh --quiet --port 27018 --eval "$CHECK")',
          'mongod --dbpath /tmp/verify/db --shutdown >/dev/null',
        ].join('\n'),
        defaultCheck: 'db.adminCommand({ listDatabases: 1 }).databases.length',
        notes: `mongodump --archive --gzip${replicated ? ' --oplog' : ''}.`,
      };
    }
    case 'redis':
    case 'valkey': {
      const cli = `${family}-cli -h 127.0.0.1 -p 6379${tls ? ` --tls --cacert ${TLS_PATH}/ca.crt --insecure` : ''}`;
      return {
        quiesce: { mode: 'prepare', prepare: keyValueQuiesce(cli, def.dataPath) },
        roleProbe: `${cli} ROLE | head -n 1 | grep -q slave && echo replica || echo primary`,
        snapshotAllMembers: false,
        dumpExtension: 'rdb.gz',
        // --rdb asks the server for a full RDB over the replication protocol.
        dump: `REDISCLI_AUTH="$DB_PASSWORD" ${family}-cli -h "$DB_HOST" -p "$DB_PORT"${tls ? ' --tls --insecure' : ''} --rdb /tmp/work/dump.rdb >/dev/null && gzip -c /tmp/work/dump.rdb > "$OUT"`,
        verify: [
          'mkdir -p /tmp/verify/r && gunzip -c "$DUMP" > /tmp/verify/r/dump.rdb',
          `${family}-server --dir /tmp/verify/r --dbfilename dump.rdb --port 6390 --bind 127.0.0.1 --appendonly no --save "" --daemonize yes --logfile /tmp/verify/r.log`,
          `n=0; until [ "$(${family}-cli -p 6390 ping 2>/dev/null)" = PONG ]; do n=$((n+1)); [ $n -gt 120 ] && exit 1; sleep 1; done`,
          // The check is words of one command: split, never globbed (`KEYS *`) nor run as code.
          `set -f; RESULT=$(${family}-cli -p 6390 $CHECK); set +f`,
          `${family}-cli -p 6390 shutdown nosave >/dev/null 2>&1 || true`,
        ].join('\n'),
        defaultCheck: 'DBSIZE',
        notes: 'RDB through --rdb; restore by placing the RDB in the data volume before first start.',
      };
    }
    case 'cassandra':
      return {
        // Memtables to SSTables on every node; each node's volume holds different ranges.
        // https://cassandra.apache.org/doc/latest/cassandra/managing/tools/nodetool/flush.html
        quiesce: { mode: 'prepare', prepare: 'nodetool flush' },
        snapshotAllMembers: true,
        dumpExtension: 'tar.gz',
        // A Cassandra snapshot (hard links to the node's SSTables, with each table's schema.cql) per node,
        // streamed out of the node as a tar and bundled with the others, then cleared.
        // https://cassandra.apache.org/doc/latest/cassandra/managing/operating/backups.html#snapshots
        dumpThroughExec: (members, container) => [
          'mkdir -p /tmp/work/nodes',
          `clear() { for P in ${shellWords(members)}; do kubectl exec "$P" -c ${shellWord(container)} -- nodetool clearsnapshot -t "$RUN" >/dev/null 2>&1 || true; done; }`,
          'trap clear EXIT',
          `for P in ${shellWords(members)}; do`,
          `  kubectl exec "$P" -c ${shellWord(container)} -- nodetool snapshot -t "$RUN" >/dev/null`,
          `  kubectl exec "$P" -c ${shellWord(container)} -- sh -c "cd /var/lib/cassandra/data && find . -path '*/snapshots/$RUN/*' -type f | tar -czf - -T -" > "/tmp/work/nodes/$P.tar.gz"`,
          'done',
          'clear; trap - EXIT',
          'tar -czf "$OUT" -C /tmp/work/nodes .',
        ].join('\n'),
        notes: 'Cassandra dumps are per-node snapshots (SSTables and schema.cql) bundled in one tar; loading them back is an sstableloader operation, so dump restores and verification are not offered.',
      };
    default:
      return {
        quiesce: { mode: 'prepare', prepare: 'sync' },
        snapshotAllMembers: true,
        dumpExtension: 'dump',
        notes: `Engine '${family}' is custom: snapshots are crash-consistent (sync only); no logical dumps.`,
      };
  }
}
