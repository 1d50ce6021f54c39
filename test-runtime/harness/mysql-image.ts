import * as fs from 'fs';
import * as path from 'path';
import type { LocalImage } from './images';

/**
 * The official `mysql` image (8.x, Oracle Linux), stood in for by Debian bookworm's MariaDB 10.11: MySQL 8.4
 * cannot run on this machine. `mysqld`, `mysql`, `mysqldump` and `mysqladmin` are MariaDB's compatibility names
 * (symlinks to mariadbd, mariadb, mariadb-dump, mariadb-admin). What the image does is emulated from its sources:
 *
 * - Dockerfile (https://github.com/docker-library/mysql/blob/master/8.4/Dockerfile.oracle): user `mysql` uid 999;
 *   /etc/my.cnf from the RPM with `socket=/var/run/mysqld/mysqld.sock`, a `[client]` group with the same socket
 *   and `!includedir /etc/mysql/conf.d/` appended; /var/run/mysqld mode 1777; CMD ["mysqld"].
 * - docker-entrypoint.sh (same folder), `_main` on first start (no `$DATADIR/mysql`): checks the config with
 *   `mysqld --verbose --help`, reads datadir and socket from it, `mysqld --initialize-insecure`, a temporary
 *   server (`--daemonize --skip-networking`), time zones, root's password from MYSQL_ROOT_PASSWORD on
 *   root@localhost and a new root@MYSQL_ROOT_HOST ('%'), `DROP DATABASE test`, MYSQL_DATABASE, MYSQL_USER /
 *   MYSQL_PASSWORD, the /docker-entrypoint-initdb.d files (`*.sh` run when executable, sourced otherwise; `*.sql`
 *   and compressed SQL through the client as root), the temporary server stopped; then `exec "$@"`.
 *
 * The machine's own /etc/mysql (Debian's MariaDB settings: bind-address=127.0.0.1, character sets, a
 * [mysqldump] group) is hidden: the container sees the image's files instead (`overlays`). The image's
 * /etc/my.cnf is served as /etc/mysql/my.cnf, which MariaDB reads in the same place of its search order
 * (creating /etc/my.cnf would change the machine). Its RPM lines (host-cache-size=0, skip-name-resolve, datadir,
 * secure-file-priv=/var/lib/mysql-files, user, pid-file) are those of mysql-community-server-minimal 8.x.
 *
 * Where MySQL 8.4 and MariaDB 10.11 disagree, `mysqld` and `mysqldump` are small wrappers that translate
 * exactly these, each announced on stderr as "mysql stand-in: ..." so the tests can list them
 * (docs/runtime-tier.md, "MySQL (MariaDB 10.11 standing in)"):
 *
 * | MySQL 8.4 | MariaDB 10.11 | here |
 * |---|---|---|
 * | `mysqlx=0` (X Protocol off) | no X plugin: "unknown variable 'mysqlx=0'", the server aborts | dropped: nothing listens on 33060 in either |
 * | `secure-file-priv=NULL`: LOAD DATA / SELECT INTO OUTFILE disabled | no NULL value: "Failed to normalize the argument", aborts | an empty folder the server cannot write (nothing to load, nowhere to write) |
 * | `mysqld --initialize-insecure`: datadir with root@localhost, no password | no --initialize | `mariadb-install-db --auth-root-authentication-method=normal --skip-test-db`, then the root@127.0.0.1, root@::1 and root@<host> accounts it adds are removed: root@localhost alone, as MySQL leaves it |
 * | `mysqld --daemonize` returns once the server accepts connections | no --daemonize | started in the background, returns once `mysqladmin ping` answers on its socket |
 * | the image's /var/lib/mysql-files (secure-file-priv of its my.cnf) | this machine has no such folder | a folder of the stand-in's, same owner and mode (a path, not a behaviour) |
 * | `mysqldump --set-gtid-purged=OFF` | no such option ("unknown variable"); dumps carry no GTID_PURGED without --gtid | dropped |
 *
 * Everything else runs as MariaDB: every SQL statement, mysqldump's other options and its output, the client's
 * options, authentication (mysql_native_password here, caching_sha2_password in MySQL 8.4).
 */

/** Where the stand-in's files are written: readable by the container's user (the checkout may be 0700). */
const ROOT = '/var/lib/cdkdb-runtime/images/mysql';
const BIN = `${ROOT}/bin`;
const ETC = `${ROOT}/etc-mysql`;
/** secure-file-priv=NULL stands in as this empty folder, not writable by the server's user. */
const NO_FILE_IO = `${ROOT}/no-file-io`;
/** The image's /var/lib/mysql-files (the RPM's secure-file-priv folder, mysql:mysql 0750), which this machine lacks. */
const MYSQL_FILES = `${ROOT}/mysql-files`;

const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The image's /etc/my.cnf (RPM defaults with the Dockerfile's edits). */
const MY_CNF = [
  '[mysqld]',
  'host-cache-size=0',
  'skip-name-resolve',
  'datadir=/var/lib/mysql',
  'socket=/var/run/mysqld/mysqld.sock',
  'secure-file-priv=/var/lib/mysql-files',
  'user=mysql',
  'pid-file=/var/run/mysqld/mysqld.pid',
  '[client]',
  'socket=/var/run/mysqld/mysqld.sock',
  '',
  '!includedir /etc/mysql/conf.d/',
  '',
].join('\n');

/** mysqld: the options of the option files and the command line, translated where MariaDB differs. */
const MYSQLD = String.raw`#!/bin/bash
# mysqld of the mysql image on MariaDB 10.11: see test-runtime/harness/mysql-image.ts for each translation.
set -eo pipefail
note() { echo "mysql stand-in: $*" >&2; }
files=(--mysqld)
case "${'$'}{1:-}" in
  --no-defaults) files=(); shift ;;
  --defaults-file=*|--defaults-extra-file=*) files=("$1" --mysqld); shift ;;
esac
opts=()
if [ ${'$'}{#files[@]} -gt 0 ]; then mapfile -t opts < <(my_print_defaults "${'$'}{files[@]}"); fi
args=()
init=
daemonize=
for a in "${'$'}{opts[@]}" "$@"; do
  case "$a" in
    --initialize-insecure) init=1 ;;
    --initialize) note "--initialize (random root password) is not emulated"; exit 1 ;;
    --daemonize) daemonize=1 ;;
    --mysqlx=*|--mysqlx|--skip-mysqlx) note "dropped $a: MariaDB has no X Protocol" ;;
    --secure-file-priv=NULL|--secure_file_priv=NULL) args+=("--secure-file-priv=${NO_FILE_IO}"); note "$a as --secure-file-priv=${NO_FILE_IO} (an empty folder the server cannot write): MariaDB has no NULL value" ;;
    --secure-file-priv=/var/lib/mysql-files) args+=("--secure-file-priv=${MYSQL_FILES}") ;;
    *) args+=("$a") ;;
  esac
done
if [ -n "$init" ]; then
  note "--initialize-insecure as mariadb-install-db: root@localhost without a password, nothing else"
  printf "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host <> 'localhost';\nDELETE FROM mysql.proxies_priv WHERE User = 'root' AND Host <> 'localhost';\n" > /tmp/.stand-in-init.sql
  # user= (the image's my.cnf) only applies to a server started as root, in both; install-db would chown with it.
  init_args=()
  for a in "${'$'}{args[@]}"; do case "$a" in --user=*) [ "$(id -u)" != 0 ] || init_args+=("$a") ;; *) init_args+=("$a") ;; esac; done
  mariadb-install-db --no-defaults --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve --extra-file=/tmp/.stand-in-init.sql "${'$'}{init_args[@]}" >/tmp/.stand-in-init.log 2>&1 \
    || { cat /tmp/.stand-in-init.log >&2; rm -f /tmp/.stand-in-init.sql; exit 1; }
  rm -f /tmp/.stand-in-init.sql /tmp/.stand-in-init.log
  exit 0
fi
if [ -n "$daemonize" ]; then
  socket=
  for a in "${'$'}{args[@]}"; do case "$a" in --socket=*) socket="${'$'}{a#--socket=}" ;; esac; done
  note "--daemonize as a background server, ready once it answers on $socket"
  mariadbd --no-defaults "${'$'}{args[@]}" &
  pid=$!
  n=0
  until mariadb-admin --no-defaults --socket="$socket" --user=root ping >/dev/null 2>&1; do
    n=$((n+1)); if [ $n -gt 300 ] || ! kill -0 $pid 2>/dev/null; then exit 1; fi; sleep 0.2
  done
  exit 0
fi
exec mariadbd --no-defaults "${'$'}{args[@]}"
`;

/** mysqldump: MariaDB's, without the MySQL-only GTID option. */
const MYSQLDUMP = String.raw`#!/bin/bash
# mysqldump of the mysql image on MariaDB 10.11: see test-runtime/harness/mysql-image.ts.
args=()
for a in "$@"; do
  case "$a" in
    --set-gtid-purged=*) echo "mysql stand-in: dropped $a: MariaDB's mysqldump has no such option (its dumps carry no GTID_PURGED)" >&2 ;;
    *) args+=("$a") ;;
  esac
done
exec mariadb-dump "${'$'}{args[@]}"
`;

/** First start of the image's docker-entrypoint.sh, in the image's terms (mysqld, mysql, mysqladmin). */
const PRELUDE = String.raw`set -eo pipefail
shopt -s nullglob
if [ "$1" = mysqld ] && ! printf '%s\n' "$@" | grep -qxE -- '-\?|--help|--print-defaults|-V|--version'; then
  echo "[Entrypoint] MySQL image stand-in (MariaDB $(mysqld --version | awk '{print $3}')) started"
  helpArgs=(--verbose --help --log-bin-index="$(mktemp -u)")
  if ! errors=$("$@" "${'$'}{helpArgs[@]}" 2>&1 >/dev/null); then
    echo "[Entrypoint] mysqld failed while attempting to check config: $errors" >&2; exit 1
  fi
  config() { "${'$'}{@:2}" "${'$'}{helpArgs[@]}" 2>/dev/null | awk -v c="$1" '$1 == c && /^[^ \t]/ { sub(/^[^ \t]+[ \t]+/, ""); print; exit }'; }
  DATADIR=$(config datadir "$@"); SOCKET=$(config socket "$@")
  : "${'$'}{MYSQL_ROOT_HOST:=%}"
  mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
  if [ ! -d "$DATADIR/mysql" ]; then
    if [ -z "$MYSQL_ROOT_PASSWORD$MYSQL_ALLOW_EMPTY_PASSWORD$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
      echo "[Entrypoint] Database is uninitialized and password option is not specified" >&2; exit 1
    fi
    echo "[Entrypoint] Initializing database files"
    "$@" --initialize-insecure --default-time-zone=SYSTEM
    echo "[Entrypoint] Starting temporary server"
    "$@" --daemonize --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET"
    passfile() { if [ "$1" != --no-password ] && [ -n "$MYSQL_ROOT_PASSWORD" ]; then printf '[client]\npassword="%s"\n' "$MYSQL_ROOT_PASSWORD"; fi; }
    process_sql() {
      local pw=; if [ "$1" = --no-password ]; then pw=$1; shift; fi
      if [ -n "$MYSQL_DATABASE" ]; then set -- --database="$MYSQL_DATABASE" "$@"; fi
      mysql --defaults-extra-file=<(passfile $pw) --protocol=socket -uroot -hlocalhost --socket="$SOCKET" --comments "$@"
    }
    if [ -z "$MYSQL_INITDB_SKIP_TZINFO" ]; then
      mysql_tzinfo_to_sql /usr/share/zoneinfo 2>/dev/null | process_sql --no-password --database=mysql
    fi
    if [ -n "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then MYSQL_ROOT_PASSWORD=$(openssl rand -base64 24); export MYSQL_ROOT_PASSWORD; fi
    rootCreate=
    if [ -n "$MYSQL_ROOT_HOST" ] && [ "$MYSQL_ROOT_HOST" != localhost ]; then
      rootCreate="CREATE USER 'root'@'$MYSQL_ROOT_HOST' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD'; GRANT ALL ON *.* TO 'root'@'$MYSQL_ROOT_HOST' WITH GRANT OPTION;"
    fi
    process_sql --no-password --database=mysql <<EOSQL
SET autocommit = 1;
SET @@SESSION.SQL_LOG_BIN=0;
ALTER USER 'root'@'localhost' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';
GRANT ALL ON *.* TO 'root'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
$rootCreate
DROP DATABASE IF EXISTS test;
EOSQL
    if [ -n "$MYSQL_DATABASE" ]; then process_sql --database=mysql <<<"CREATE DATABASE IF NOT EXISTS `+'\\`$MYSQL_DATABASE\\`'+String.raw`;"; fi
    if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
      process_sql --database=mysql <<<"CREATE USER '$MYSQL_USER'@'%' IDENTIFIED BY '$MYSQL_PASSWORD';"
      if [ -n "$MYSQL_DATABASE" ]; then process_sql --database=mysql <<<"GRANT ALL ON `+'\\`${MYSQL_DATABASE//_/\\\\_}\\`'+String.raw`.* TO '$MYSQL_USER'@'%';"; fi
    fi
    for f in /docker-entrypoint-initdb.d/*; do
      case "$f" in
        *.sh) echo "[Entrypoint] running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
        *.sql) echo "[Entrypoint] running $f"; process_sql < "$f" ;;
        *.sql.gz) echo "[Entrypoint] running $f"; gunzip -c "$f" | process_sql ;;
        *.sql.bz2) echo "[Entrypoint] running $f"; bunzip2 -c "$f" | process_sql ;;
        *.sql.xz) echo "[Entrypoint] running $f"; xzcat "$f" | process_sql ;;
        *.sql.zst) echo "[Entrypoint] running $f"; zstd -dc "$f" | process_sql ;;
        *) echo "[Entrypoint] ignoring $f" >&2 ;;
      esac
    done
    echo "[Entrypoint] Stopping temporary server"
    mysqladmin --defaults-extra-file=<(passfile) shutdown -uroot --socket="$SOCKET"
    echo "[Entrypoint] MySQL init process done. Ready for start up."
  fi
fi`;

function writeIfChanged(file: string, content: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content) {
    // Written aside and renamed: a container starting at the same moment never runs half a file.
    fs.writeFileSync(`${file}.tmp${process.pid}`, content, { mode });
    fs.renameSync(`${file}.tmp${process.pid}`, file);
  }
  fs.chmodSync(file, mode);
}

/** Writes the stand-in's files (wrappers, the image's /etc/mysql) and returns the image. */
export function mysqlImage(): LocalImage {
  writeIfChanged(`${BIN}/mysqld`, MYSQLD, 0o755);
  writeIfChanged(`${BIN}/mysqldump`, MYSQLDUMP, 0o755);
  writeIfChanged(`${ETC}/my.cnf`, MY_CNF, 0o644);
  fs.mkdirSync(`${ETC}/conf.d`, { recursive: true });
  fs.mkdirSync(NO_FILE_IO, { recursive: true });
  for (const d of [ROOT, BIN, ETC, `${ETC}/conf.d`, NO_FILE_IO]) fs.chmodSync(d, 0o755);
  fs.mkdirSync(MYSQL_FILES, { recursive: true });
  fs.chownSync(MYSQL_FILES, 999, 999);
  fs.chmodSync(MYSQL_FILES, 0o750);
  return {
    // The wrappers first, where the image has mysqld (/usr/sbin) and the clients (/usr/bin).
    path: `${BIN}:${BASE_PATH}`,
    user: 'mysql',
    // Dockerfile: no WORKDIR.
    workdir: '/',
    // Dockerfile: mkdir -p /var/lib/mysql /var/run/mysqld; chmod 1777 (emptyDir in our pods, tmpfs otherwise).
    writableDirs: ['/var/run/mysqld'],
    overlays: [{ source: ETC, target: '/etc/mysql' }],
    shell: 'bash',
    // ENTRYPOINT docker-entrypoint.sh, CMD mysqld; a first argument that is a flag gets mysqld in front.
    entrypoint: (args) => (args.length === 0 ? ['mysqld'] : args[0].startsWith('-') ? ['mysqld', ...args] : args),
    prelude: PRELUDE,
  };
}
