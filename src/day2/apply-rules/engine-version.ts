import { ANNOTATION_FEATURE_COMPATIBILITY_VERSION, MONGODB_RELEASES } from '../../engines/mongodb-feature-compatibility';
import { ANNOTATION_ENGINE, LABEL_NAME, LABEL_VERSION } from '../../private/labels';
import { ApplyVerdict } from '../apply-finding';
import { ApplyRule, Manifest, finding, show } from './manifests';

const FIELD = `metadata.annotations[${ANNOTATION_ENGINE}]`;
const FCV_FIELD = `metadata.annotations[${ANNOTATION_FEATURE_COMPATIBILITY_VERSION}]`;
const UPGRADES_DOC = 'docs/upgrades.md';

/** One engine release, as the annotation `<family> <version>` gives it. */
interface Release {
  readonly family: string;
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  /** Read from the labels of an output older than the engine annotation: exact to the series only. */
  readonly inferred?: boolean;
}

function parseRelease(annotation: unknown): Release | undefined {
  if (typeof annotation !== 'string') return undefined;
  const [family, version] = annotation.trim().split(/\s+/);
  const match = /^(\d+)(?:\.(\d+))?/.exec(version ?? '');
  return match ? { family, version, major: Number(match[1]), minor: Number(match[2] ?? 0) } : undefined;
}

/**
 * The PostgreSQL major a Patroni member runs: the PGVERSION env of its Spilo container, which the assembly writes
 * whatever registry the image is pulled from (a mirror may flatten the image path, so the image says nothing).
 */
function patroniMajor(statefulSet: Manifest): string | undefined {
  const env = (statefulSet.spec?.template?.spec?.containers ?? []).flatMap((c: Manifest) => c.env ?? []);
  const value = env.find((e: Manifest) => e.name === 'PGVERSION')?.value;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The engine release of a StatefulSet: its annotation, else (output of a library release before the annotation) its
 * `app.kubernetes.io/name` and `app.kubernetes.io/version` labels. The version label is the image tag, which for
 * Patroni is Spilo's own release: its PostgreSQL major is PGVERSION.
 */
function releaseOf(statefulSet: Manifest): Release | undefined {
  const annotated = parseRelease(statefulSet.metadata?.annotations?.[ANNOTATION_ENGINE]);
  if (annotated) return annotated;
  const family = statefulSet.metadata?.labels?.[LABEL_NAME];
  const version = patroniMajor(statefulSet) ?? statefulSet.metadata?.labels?.[LABEL_VERSION];
  if (typeof family !== 'string' || typeof version !== 'string') return undefined;
  const release = parseRelease(`${family} ${version}`);
  return release && { ...release, inferred: true };
}

/** The series an upgrade path counts in: PostgreSQL's first number (since 10); the first two for the other engines. */
const series = (r: Release) => (r.family === 'postgresql' ? r.major * 1000 : r.major * 1000 + r.minor);
const seriesName = (r: Release) => (r.family === 'postgresql' ? `${r.major}` : `${r.major}.${r.minor}`);

/** A refusal: what the engine does with the data it finds, and the way through. */
interface Refusal {
  readonly finding: string;
  readonly fix: string;
}

/**
 * MySQL LTS (and bugfix) series. An upgrade may not pass over the next one: 8.0 goes to 8.4 before any 9.x.
 * @see https://dev.mysql.com/doc/refman/8.4/en/upgrade-paths.html
 */
const MYSQL_LTS = ['5.7', '8.0', '8.4', '9.7'].map((v) => series(parseRelease(`mysql ${v}`)!));

/**
 * MongoDB major releases in order: each upgrade goes to the next, with featureCompatibilityVersion set to the old
 * release first ("to upgrade from a version earlier than the 7.0-series, you must successively upgrade major releases").
 * @see https://www.mongodb.com/docs/manual/release-notes/8.0-upgrade-replica-set/
 */
const MONGODB_MAJORS = MONGODB_RELEASES;

function upgradeRefusal(from: Release, to: Release): Refusal | undefined {
  switch (from.family) {
    case 'postgresql':
      // "The data directory was initialized by PostgreSQL version 16, which is not compatible with this version 17".
      return {
        finding: `PostgreSQL ${from.major} → ${to.major} in place: a data directory of one major version cannot be started by another, so the new pods crash-loop`,
        fix: `keep the version at ${from.version}; upgrade with a new database of the new major that restores this one's newest dump `
          + `(\`restoreFrom: Restore.fromDump(...)\`) (${UPGRADES_DOC}; https://www.postgresql.org/docs/current/upgrading.html)`,
      };
    case 'mysql': {
      const nextLts = MYSQL_LTS.find((lts) => lts > series(from));
      if (nextLts === undefined || series(to) <= nextLts) return undefined;
      const lts = `${Math.floor(nextLts / 1000)}.${nextLts % 1000}`;
      return {
        finding: `MySQL ${seriesName(from)} → ${seriesName(to)} skips the ${lts} LTS series, which every upgrade must pass (MySQL upgrade paths)`,
        fix: `upgrade to ${lts} first, apply and wait until every member runs it, then to ${seriesName(to)} (${UPGRADES_DOC}; https://dev.mysql.com/doc/refman/8.4/en/upgrade-paths.html)`,
      };
    }
    case 'mongodb': {
      const [a, b] = [MONGODB_MAJORS.indexOf(seriesName(from)), MONGODB_MAJORS.indexOf(seriesName(to))];
      const skips = a >= 0 && b >= 0 ? b - a > 1 : to.major > from.major + 1;
      if (!skips) return undefined;
      return {
        finding: `MongoDB ${seriesName(from)} → ${seriesName(to)} skips a major release: mongod refuses data whose featureCompatibilityVersion is more than one release older`,
        fix: `go one major release at a time, each after \`db.adminCommand({ setFeatureCompatibilityVersion: "<running release>" })\`: ${seriesName(from)} → `
          + `${MONGODB_MAJORS.slice(a + 1, b + 1).join(' → ') || seriesName(to)} (${UPGRADES_DOC}; https://www.mongodb.com/docs/manual/release-notes/8.0-upgrade-replica-set/)`,
      };
    }
    case 'cassandra':
      // NEWS.txt of 5.0: upgrades are supported from 4.0 and 4.1; from 3.x the SSTables must be upgraded on 4.x first.
      if (to.major <= from.major + 1) return undefined;
      return {
        finding: `Cassandra ${seriesName(from)} → ${seriesName(to)} skips a major version: ${to.major}.x reads SSTables and joins rings of ${to.major - 1}.x only`,
        fix: `upgrade to ${from.major + 1}.x first, run \`nodetool upgradesstables\` on every node, then to ${seriesName(to)} (${UPGRADES_DOC}; https://cassandra.apache.org/doc/latest/cassandra/managing/operating/upgrading.html)`,
      };
    default:
      return undefined;
  }
}

/**
 * Whether MongoDB may go from `from` to `to` binaries: before 7.0, one major release back once featureCompatibilityVersion
 * is lowered to it; from 7.0 on, a binary downgrade needs MongoDB support.
 * @see https://www.mongodb.com/docs/v6.0/release-notes/6.0-downgrade-replica-set/
 * @see https://www.mongodb.com/docs/manual/release-notes/7.0-downgrade/
 */
function mongodbStepBack(from: Release, to: Release): boolean {
  const [a, b] = [MONGODB_MAJORS.indexOf(seriesName(from)), MONGODB_MAJORS.indexOf(seriesName(to))];
  return series(from) < 7000 && a > 0 && b === a - 1;
}

/** Going back a series: no engine here reads files a newer release wrote (but MongoDB before 7.0, one major back). */
function downgradeRefusal(from: Release, to: Release, previousFcv: unknown): Refusal | undefined {
  if (from.family === 'mongodb' && mongodbStepBack(from, to)) {
    if (previousFcv === seriesName(to)) return undefined;
    return {
      finding: `MongoDB ${seriesName(from)} → ${seriesName(to)} while the previous output declares ${previousFcv === undefined ? 'no featureCompatibilityVersion' : `featureCompatibilityVersion ${show(previousFcv)}`}: `
        + `a MongoDB ${seriesName(to)} binary starts only on data at featureCompatibilityVersion ${seriesName(to)}`,
      fix: `keep ${from.version} and set featureCompatibilityVersion: '${seriesName(to)}' first, apply (its Job lowers it on the primary), then downgrade `
        + `(${UPGRADES_DOC}; https://www.mongodb.com/docs/v6.0/release-notes/6.0-downgrade-replica-set/)`,
    };
  }
  const what: Record<string, string> = {
    postgresql: 'a data directory of a newer major version cannot be started by an older one',
    mysql: 'MySQL does not downgrade a data directory in place across series (its data dictionary was upgraded)',
    mongodb: series(from) >= 7000
      ? 'from MongoDB 7.0 on, a binary downgrade is possible only with MongoDB support (7.0-downgrade), and mongod refuses data whose featureCompatibilityVersion is newer than it knows'
      : 'mongod refuses data whose featureCompatibilityVersion is newer than it knows, and binaries go back one major release only',
    // rdb.c refuses a newer format ("Can't handle RDB format version"); older RDB files always load in newer servers.
    redis: 'an older server cannot load the RDB/AOF files a newer one wrote (RDB is read backwards only)',
    valkey: 'an older server cannot load the RDB/AOF files a newer one wrote (RDB is read backwards only)',
    cassandra: 'an older version cannot read SSTables or system tables a newer one wrote',
  };
  return {
    finding: `${from.family} ${from.version} → ${to.version} is a downgrade: ${what[from.family] ?? 'an engine does not start on data a newer major version wrote'}`,
    fix: `keep ${from.version}; to go back, create a new database of the older version restored from a logical dump taken on this one (${UPGRADES_DOC})`,
  };
}

/**
 * A family change on the same StatefulSet: only Valkey starts on Redis data, up to Redis 7.2 (Valkey forked from 7.2.4;
 * Redis 7.4 writes RDB 12, which Valkey does not load: https://github.com/valkey-io/valkey/issues/645).
 */
function familyRefusal(from: Release, to: Release): Refusal | undefined {
  if (from.family === 'redis' && to.family === 'valkey' && series(from) <= 7002) return undefined;
  return {
    finding: `the engine changes from ${from.family} ${from.version} to ${to.family} ${to.version} on the same volumes: ${to.family} cannot start on ${from.family}'s files`,
    fix: `create a new database with the new engine under another \`name\` and move the data with the engines' own export and import (${UPGRADES_DOC})`,
  };
}

/**
 * Patroni members run Spilo, which carries its own PostgreSQL releases: a new minor of `PostgresVersion` changes no
 * binary (NO_EFFECT), and a new major changes PGVERSION, which Spilo ignores once a data directory exists
 * (configure_spilo.py: "if PG_VERSION file exists stick to it"): every member restarts and keeps the old major while
 * the construct reports the new one (ENGINE_REFUSES). The way to a new major is a clone: clone_with_wale.py calls
 * maybe_pg_upgrade.py, which runs pg_upgrade after the point-in-time recovery when its binaries are newer. A lower
 * major is a downgrade like any other.
 */
function patroniVersionChange(from: Release, to: Release): { verdict: ApplyVerdict; refusal: Refusal } | undefined {
  if (from.family !== 'postgresql' || to.family !== 'postgresql' || from.version === to.version) return undefined;
  if (from.major === to.major) {
    // A release read from an older output's labels is only the major (PGVERSION): no minor to compare.
    if (from.inferred || to.inferred) return undefined;
    return {
      verdict: ApplyVerdict.NO_EFFECT,
      refusal: {
        finding: `PostgreSQL ${from.version} → ${to.version} on Patroni changes nothing running: the Spilo image carries its own PostgreSQL ${to.major} minor release`,
        fix: 'a newer Spilo image is the minor upgrade; leave the version as it is, or accept that only the annotation changes',
      },
    };
  }
  if (to.major < from.major) return undefined;
  return {
    verdict: ApplyVerdict.ENGINE_REFUSES,
    refusal: {
      finding: `PostgreSQL ${from.major} → ${to.major} on Patroni: every member restarts and keeps running PostgreSQL ${from.major} (Spilo keeps the major of an existing data directory), `
        + `while the database reports ${to.major}`,
      fix: `keep the version at ${from.version}; create a new ReplicatedDatabase on PostgreSQL ${to.major} cloned from this one with \`Restore.pointInTime(...)\`: `
        + `Spilo runs pg_upgrade after the clone (${UPGRADES_DOC})`,
    },
  };
}

/**
 * MongoDB's featureCompatibilityVersion across a binary upgrade X → next, as the StatefulSets declare it
 * (`featureCompatibilityVersion`, annotation `cdk8s-databases.io/feature-compatibility-version`):
 * - the previous output must declare FCV X: a next-release binary does not start on data at an older FCV, and a
 *   deployment that was itself upgraded to X keeps the older FCV until it is raised, so an undeclared FCV is unknown
 *   ("the 7.0 deployment must have featureCompatibilityVersion set to 7.0": 8.0-upgrade-replica-set);
 * - the FCV is not raised in the same apply: a server refuses an FCV above its own release (setFeatureCompatibilityVersion
 *   lists each value's releases), a primary at the raised FCV no longer connects with members of the older binary
 *   (mongodb/mongo jstests/multiVersion/feature_compatibility_version_lagging_secondary.js), the manual raises it only
 *   after every member runs the new binary, and from 7.0 on a raised FCV rules out the older binaries without support.
 * @see https://www.mongodb.com/docs/manual/reference/command/setFeatureCompatibilityVersion/
 */
function featureCompatibilityRefusal(from: Release, to: Release, previous: unknown, current: unknown): Refusal | undefined {
  if (from.family !== 'mongodb' || to.family !== 'mongodb' || series(to) <= series(from)) return undefined;
  const running = seriesName(from);
  const next = seriesName(to);
  const docs = `${UPGRADES_DOC}; https://www.mongodb.com/docs/manual/reference/command/setFeatureCompatibilityVersion/`;
  if (previous !== running) {
    return {
      finding: `MongoDB ${running} → ${next} while the previous output declares ${previous === undefined ? 'no featureCompatibilityVersion' : `featureCompatibilityVersion ${show(previous)}`}: `
        + `a MongoDB ${next} binary starts only on data at featureCompatibilityVersion ${running} (a deployment upgraded to ${running} keeps the older one until it is raised), so the new members may not start`,
      fix: `set featureCompatibilityVersion: '${running}' first, apply (its Job sets it on the primary), then upgrade (${docs})`,
    };
  }
  if (typeof current === 'string' && current !== running && series(parseRelease(`mongodb ${current}`) ?? from) > series(from)) {
    return {
      finding: `featureCompatibilityVersion ${show(current)} is raised in the same apply as the binaries ${running} → ${next}: a MongoDB ${running} server refuses it and a primary at ${show(current)} `
        + `no longer connects with ${running} members, so its Job can only wait for the roll (and fails when the roll does not finish); once raised, the binaries cannot go back to ${running}`,
      fix: `keep featureCompatibilityVersion: '${running}' for the upgrade; once every member runs ${next}, set '${current}' and apply again (${docs})`,
    };
  }
  return undefined;
}

/**
 * Engine version changes the engine will not perform in place: annotation `cdk8s-databases.io/engine` on StatefulSets,
 * or their name and version labels in an output that predates it.
 */
export const engineVersion: ApplyRule = (previous, current) => {
  if (previous?.kind !== 'StatefulSet' || current?.kind !== 'StatefulSet') return [];
  const from = releaseOf(previous);
  const to = releaseOf(current);
  if (!from || !to) return [];
  const patroni = patroniMajor(previous) !== undefined && patroniMajor(current) !== undefined ? patroniVersionChange(from, to) : undefined;
  if (patroni) return [finding(current, FIELD, patroni.verdict, patroni.refusal.finding, patroni.refusal.fix)];
  const previousFcv = previous.metadata?.annotations?.[ANNOTATION_FEATURE_COMPATIBILITY_VERSION];
  let refusal: Refusal | undefined;
  if (from.family !== to.family) refusal = familyRefusal(from, to);
  else if (series(to) < series(from)) refusal = downgradeRefusal(from, to, previousFcv);
  else if (series(to) > series(from)) refusal = upgradeRefusal(from, to);
  if (refusal) return [finding(current, FIELD, ApplyVerdict.ENGINE_REFUSES, refusal.finding, refusal.fix)];
  const fcv = featureCompatibilityRefusal(from, to, previousFcv, current.metadata?.annotations?.[ANNOTATION_FEATURE_COMPATIBILITY_VERSION]);
  return fcv ? [finding(current, FCV_FIELD, ApplyVerdict.ENGINE_REFUSES, fcv.finding, fcv.fix)] : [];
};
