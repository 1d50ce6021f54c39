import { k8s } from 'cdk8s-plus-28';
import { EngineDefinition } from '../engines/engine-definition';
import { scriptContainer } from '../pod/script-container';
import { inDoubleQuotes, shellAssign, shellWord, shellWords } from '../private/shell';

/**
 * Where a Patroni member keeps its data directory inside its volume. Spilo mounts the volume at
 * `/home/postgres/pgdata`, and its Dockerfile sets `PGROOT=$PGHOME/pgdata/pgroot` and `PGDATA=$PGROOT/data`
 * (https://github.com/zalando/spilo/blob/master/postgres-appliance/Dockerfile); our ReplicatedDatabase sets the
 * same PGROOT. The postgres image's data directory is `pgdata/` of its volume (engines/postgres.ts).
 */
export const SPILO_DATA_SUBPATH = 'pgroot/data';
/** Left in the volume once a Spilo data directory became the postgres image's: the credentials step reads it. */
export const SPILO_CONVERTED_MARK = '.cdk8s-restore-converted-from-spilo';
/** Spilo's replication role (PGUSER_STANDBY, as the ReplicatedDatabase sets it). */
export const SPILO_STANDBY_ROLE = 'standby';

/** What the layout step needs of the new database. */
export interface SnapshotLayoutInputs {
  readonly def: EngineDefinition;
  readonly dataPath: string;
  readonly image: string;
  readonly runAsUser: number;
}

/** The major of a PostgreSQL version tag (`16.6` -> `16`). */
export const pgMajor = (version: string) => version.split('.')[0];

/**
 * The first step of a single PostgreSQL restored from a snapshot: put the data where the postgres image looks.
 *
 * The layout is detected in the volume, so it cannot be declared wrong: `pgdata/PG_VERSION` is the postgres image's
 * (nothing to do), `pgroot/data/PG_VERSION` a Patroni member's (Spilo). A Spilo data directory is owned by Spilo's
 * uid 101 with modes 0700/0600, and PostgreSQL refuses a data directory its server uid (999 here) does not own or
 * that is wider than 0750; Pod Security "restricted" forbids root and chown. What makes it readable is the kubelet:
 * for a pod with `fsGroup` (ours: 999) it gives every file of the volume to that group and adds group rw (and x and
 * setgid on directories) before any container runs (kubernetes pkg/volume/volume_linux.go SetVolumeOwnership); with
 * our fsGroupChangePolicy OnRootMismatch it does so when the volume's root is not already the group's, which a Spilo
 * volume's never is (its pods run with fsGroup 103). So, as uid 999 in that group:
 * - checks the major (`PG_VERSION`), that every file is readable, and that the volume has room for a copy;
 * - copies `pgroot/data` to `pgdata.restoring` (the copies are uid 999's; the directory 0700);
 * - in the copy, takes out what would break a standalone start or belongs to Patroni: `postmaster.pid` (the lock of
 *   the server that ran when the snapshot was cut), `standby.signal`/`recovery.signal` (a snapshot of a replica, which
 *   the snapshot CronJob prefers, would otherwise start as a standby with nothing to follow),
 *   `patroni.dynamic.json`, Patroni's `*.backup` copies; Patroni's `postgresql.conf` (its settings, absolute paths and
 *   Spilo's shared_preload_libraries) is kept as `postgresql.patroni.conf` and initdb's original, which Patroni had
 *   renamed `postgresql.base.conf`, comes back as `postgresql.conf` (patroni/postgresql/config.py
 *   `write_postgresql_conf`); Spilo's `pg_hba.conf` (TLS-only for remote clients, md5) is kept as
 *   `pg_hba.patroni.conf` and the postgres image's own is written: initdb's local trust lines and
 *   `host all all all scram-sha-256` (md5 before PostgreSQL 14), as its entrypoint writes them
 *   (docker-entrypoint.sh `pg_setup_hba_conf`);
 * - renames the copy to `pgdata` (the commit point: until then a failed or interrupted attempt starts over, and the
 *   snapshot's original is untouched), then removes the original.
 * The server later replays the WAL from the snapshot's instant (crash recovery) as for any snapshot.
 * @see https://www.postgresql.org/docs/current/creating-cluster.html (data directory ownership and modes)
 */
export function pgSnapshotLayout(i: SnapshotLayoutInputs): k8s.Container {
  const imageMajor = pgMajor(i.def.version);
  const hostAuth = Number(imageMajor) >= 14 ? 'scram-sha-256' : 'md5';
  // initdb's pg_hba.conf (trust on the socket and loopback: the image's initdb is run without --auth) and the line
  // the image's entrypoint appends for every other host.
  const hba = [
    'local all all trust', 'host all all 127.0.0.1/32 trust', 'host all all ::1/128 trust',
    'local replication all trust', 'host replication all 127.0.0.1/32 trust', 'host replication all ::1/128 trust',
    `host all all all ${hostAuth}`,
  ];
  const script = [
    'set -euo pipefail',
    shellAssign('V', i.dataPath),
    'PGD="$V/pgdata"',
    `SPILO="$V/${SPILO_DATA_SUBPATH}"`,
    'WORK="$V/pgdata.restoring"',
    `MARK="$V/${SPILO_CONVERTED_MARK}"`,
    'fail() { echo "restore FAILED: $*"; exit 1; }',
    'if [ -s "$PGD/PG_VERSION" ]; then',
    '  if [ -f "$MARK" ] && [ -e "$SPILO" ]; then rm -rf "$SPILO"; echo "removed what was left of the Spilo data directory"; fi',
    '  echo "the data directory is in the postgres image\'s layout (pgdata/)"',
    '  exit 0',
    'fi',
    '[ -s "$SPILO/PG_VERSION" ] || fail "the volume restored from the snapshot holds no PostgreSQL data directory: neither'
    + ' pgdata/PG_VERSION (a StatefulDatabase\'s) nor pgroot/data/PG_VERSION (a ReplicatedDatabase member\'s, Spilo). Its top level:'
    + ' $(ls -A "$V" | tr \'\\n\' \' \'). Restore from a snapshot of a PostgreSQL data volume."',
    'FOUND=$(cat "$SPILO/PG_VERSION")',
    `[ "$FOUND" = ${shellWord(imageMajor)} ] || fail "the snapshot holds a PostgreSQL $FOUND data directory (a Patroni member's) and this`
    + ` image runs PostgreSQL ${inDoubleQuotes(imageMajor)}, which cannot start it. Use Engine.postgres with a PostgreSQL $FOUND version, or move the`
    + ' data with a logical dump (BackupMethod.logicalDump, Restore.fromDump)."',
    'echo "a Patroni (Spilo) data directory of PostgreSQL $FOUND, owned by uid $(stat -c %u "$SPILO"): copying it to pgdata as uid $(id -u)"',
    'LOCKED=$(find "$SPILO" \\( ! -readable -o \\( -type d ! -executable \\) \\) -print 2>/dev/null | head -n 3 | tr \'\\n\' \' \')',
    '[ -z "$LOCKED" ] || fail "uid $(id -u) (groups $(id -G)) cannot read $LOCKED. The kubelet gives every file of a volume to'
    + ' the pod\'s fsGroup, with group read and write, when it mounts it; the CSI driver of this volume does not (its CSIDriver'
    + ' fsGroupPolicy is None, or File is not supported). Restore on a storage class whose driver applies fsGroup."',
    'rm -rf "$WORK"',
    'NEED=$(du -sk "$SPILO" | cut -f1)',
    'FREE=$(df -Pk "$V" | awk \'NR == 2 { print $4 }\')',
    '[ "$NEED" -lt "$FREE" ] || fail "the copy needs $NEED KiB and the volume has $FREE KiB free: give this database a larger'
    + ' `storage` (a claim restored from a snapshot may be larger than the snapshot), at least twice the data."',
    'mkdir -m 0700 "$WORK"',
    'cp -R "$SPILO/." "$WORK/"',
    'cd "$WORK"',
    'rm -f postmaster.pid postmaster.opts standby.signal recovery.signal patroni.dynamic.json postgresql.conf.backup pg_hba.conf.backup pg_ident.conf.backup',
    'if [ -f postgresql.conf ]; then mv postgresql.conf postgresql.patroni.conf; fi',
    'if [ -f pg_hba.conf ]; then mv pg_hba.conf pg_hba.patroni.conf; fi',
    'if [ -f postgresql.base.conf ]; then mv postgresql.base.conf postgresql.conf; else : > postgresql.conf; fi',
    `printf '%s\\n' ${shellWords(hba)} > pg_hba.conf`,
    'cd /',
    // 00700: a folder made in a setgid folder (the kubelet's fsGroup) inherits setgid, which only a fifth digit clears.
    'chmod 00700 "$WORK"',
    'sync',
    'mv "$WORK" "$PGD"',
    'touch "$MARK"',
    'sync',
    'rm -rf "$SPILO"',
    'echo "the Spilo data directory is now pgdata, owned by uid $(stat -c %u "$PGD") with mode $(stat -c %a "$PGD");'
    + ' Patroni\'s settings are kept as postgresql.patroni.conf and pg_hba.patroni.conf"',
  ].join('\n');
  return scriptContainer({
    name: 'restore-layout',
    image: i.image,
    script,
    runAsUser: i.runAsUser,
    volumeMounts: [{ name: 'data', mountPath: i.dataPath }],
    cpuMillis: 200,
    memoryMebibytes: 256,
    tmpVolume: 'restore-tmp',
    bash: true,
  });
}
