// One-off Jobs (credentials, application user, init, replica-set reconciliation, roles) must survive re-applying
// and upgrades: a Job's pod template is immutable (batch validation, ValidateJobUpdate), so a Job whose content
// changes must be a new object, and a Job that did not change must keep its name.
import { Chart } from 'cdk8s';
import {
  CassandraVersion, Engine, MongoDbVersion, MysqlVersion, PostgresVersion, ReplicatedDatabase, StatefulDatabase,
} from '../src';
import { newChart, synthValid } from './support/synth';
import { FINISHED_JOB_TTL_SECONDS } from '../src/pod/one-off-job';

const ZONES = ['a', 'b', 'c'];
type Build = (chart: Chart, props: Record<string, any>) => void;
const KINDS: Record<string, Build> = {
  postgres: (c, p) => new StatefulDatabase(c, 'db', { name: 'db', engine: Engine.postgres({ version: PostgresVersion.V16 }), ...p }),
  patroni: (c, p) => new ReplicatedDatabase(c, 'db', {
    name: 'db', engine: Engine.postgres({ version: PostgresVersion.V16 }), zones: ZONES, databaseName: 'shop', ...p,
  }),
  mysql: (c, p) => new StatefulDatabase(c, 'db', { name: 'db', engine: Engine.mysql({ version: MysqlVersion.V8_4 }), ...p }),
  mongodb: (c, p) => new ReplicatedDatabase(c, 'db', { name: 'db', engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), zones: ZONES, ...p }),
  cassandra: (c, p) => new StatefulDatabase(c, 'db', { name: 'db', engine: Engine.cassandra({ version: CassandraVersion.V5_0 }), ...p }),
};

/** The next minor version of each engine above. */
const BUMPED: Record<string, Engine> = {
  postgres: Engine.postgres({ version: PostgresVersion.of('16.8') }),
  patroni: Engine.postgres({ version: PostgresVersion.of('16.8') }),
  mysql: Engine.mysql({ version: MysqlVersion.of('8.4.4') }),
  mongodb: Engine.mongodb({ version: MongoDbVersion.of('7.0.16') }),
  cassandra: Engine.cassandra({ version: CassandraVersion.of('5.0.3') }),
};

function jobs(kind: string, props: Record<string, any> = {}): Record<string, any> {
  const chart = newChart('shop');
  KINDS[kind](chart, props);
  const found = synthValid(chart).filter((m) => m.kind === 'Job');
  return Object.fromEntries(found.map((j) => [j.metadata.name.replace(/-[0-9a-f]{6}$/, ''), j]));
}

describe('one-off Jobs can be re-applied and upgraded', () => {
  test.each(Object.keys(KINDS))('%s: every Job is named after its content, has a TTL, and only a changed Job gets a new name', (kind) => {
    const first = jobs(kind);
    expect(Object.keys(first).length).toBeGreaterThan(0);
    for (const job of Object.values(first)) {
      expect(job.metadata.name).toMatch(/^db-[a-z]+-[0-9a-f]{6}$/);
      expect(job.spec.ttlSecondsAfterFinished).toBe(FINISHED_JOB_TTL_SECONDS);
    }
    // Synthesizing again (a re-apply, a CI run) produces the same objects: nothing to replace.
    expect(jobs(kind)).toEqual(first);
    // A new engine version changes the version label and image of the Jobs that carry them: each of those is a new
    // object, never an update; a Job the bump leaves alone (Spilo's image carries the minor) keeps its name.
    const bumped = jobs(kind, { engine: BUMPED[kind] });
    let renamed = 0;
    for (const [base, job] of Object.entries(bumped)) {
      const before = first[base];
      const changed = JSON.stringify([job.metadata.labels, job.spec]) !== JSON.stringify([before.metadata.labels, before.spec]);
      expect(job.metadata.name === before.metadata.name).toBe(!changed);
      if (changed) renamed++;
    }
    if (kind !== 'patroni') expect(renamed).toBeGreaterThan(0);
  });

  test('the scripts a Job mounts are part of its name: new init scripts run as a new Job', () => {
    const before = jobs('patroni', { initScripts: { '01.sql': 'SELECT 1;' } })['db-init'];
    const after = jobs('patroni', { initScripts: { '01.sql': 'SELECT 2;' } })['db-init'];
    expect(before.spec.template).toEqual(after.spec.template);
    expect(after.metadata.name).not.toBe(before.metadata.name);
  });

  test('scaling a replica set runs the reconciliation as a new Job; the credentials Job is unchanged', () => {
    const three = jobs('mongodb');
    const five = jobs('mongodb', { replicas: 5 });
    expect(five['db-rs'].metadata.name).not.toBe(three['db-rs'].metadata.name);
    expect(five['db-creds']).toEqual(three['db-creds']);
  });

  test('the names stay within the 63 characters of the job-name label for the longest database name, each with its whole suffix', () => {
    const name = 'n'.repeat(52);
    const chart = newChart('shop');
    new ReplicatedDatabase(chart, 'db', { name, engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), zones: ZONES });
    const names = synthValid(chart).filter((m) => m.kind === 'Job').map((j) => j.metadata.name);
    expect(names.sort()).toEqual([
      // The database part is shortened, not the suffix (56 - '-creds' leaves 50).
      expect.stringMatching(/^n{50}-creds-[0-9a-f]{6}$/),
      expect.stringMatching(/^n{52}-app-[0-9a-f]{6}$/),
      expect.stringMatching(/^n{52}-rs-[0-9a-f]{6}$/),
    ]);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(63);
  });

  test('the NetworkPolicy admits the Job pods by the name the Job controller gives them', () => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'db', { name: 'db', engine: Engine.postgres({ version: PostgresVersion.V16 }) });
    const manifests = synthValid(chart);
    const appJob = manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith('db-app-'));
    const policy = manifests.find((m) => m.kind === 'NetworkPolicy');
    expect(policy.spec.ingress[0].from).toContainEqual({ podSelector: { matchLabels: { 'job-name': appJob.metadata.name } } });
  });
});
