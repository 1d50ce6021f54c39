// Schema migrations (issue 10, part 6): the user's migration image runs as a Job against the database, as the
// application user, once per version, restricted and Guaranteed like every pod of the library.
import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ApplicationUser, ApplySafety, DatabaseMigrations, Engine, MysqlVersion, PostgresVersion, ReplicatedDatabase, StatefulDatabase,
} from '../src';
import { expectRefused } from './support/refused';
import { newChart, only, synthValid } from './support/synth';
import { FINISHED_JOB_TTL_SECONDS } from '../src/pod/one-off-job';

const IMAGE = 'registry.example.com/orders-migrate:1.4.0';
const VERSION_LABEL = 'cdk8s-databases.io/migrations-version';

function postgres(chart: Chart, props: Record<string, any> = {}): StatefulDatabase {
  return new StatefulDatabase(chart, 'db', {
    name: 'orders', engine: Engine.postgres({ version: PostgresVersion.V16 }), databaseName: 'shop', migrations: { image: IMAGE }, ...props,
  });
}

/** The manifests and the migrations Job of a database built by `build`. */
function synthJob(build: (chart: Chart) => unknown): { manifests: any[]; job: any } {
  const chart = newChart('shop');
  build(chart);
  const manifests = synthValid(chart);
  const jobs = manifests.filter((m) => m.kind === 'Job' && /^orders-migrate-[0-9a-f]{6}$/.test(m.metadata.name));
  expect(jobs).toHaveLength(1);
  return { manifests, job: jobs[0] };
}

/** What `connectionEnv()` hands an application, as the YAML writes it. */
function rendered(env: Record<string, kplus.EnvValue>): any[] {
  return JSON.parse(JSON.stringify(Object.entries(env).map(([name, v]) => ({ name, value: v.value, valueFrom: v.valueFrom }))));
}

describe('the migrations Job', () => {
  test('defaults: Guaranteed, restricted, no token, a TTL, its own ServiceAccount, the image run as given', () => {
    const { manifests, job } = synthJob((c) => postgres(c));
    expect(job.spec).toMatchObject({ backoffLimit: 10, activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: FINISHED_JOB_TTL_SECONDS });
    const pod = job.spec.template.spec;
    expect(pod).toMatchObject({
      restartPolicy: 'OnFailure',
      serviceAccountName: 'orders-migrate',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
    });
    expect(pod.containers).toHaveLength(1);
    const [container] = pod.containers;
    expect(container.image).toBe(IMAGE);
    // No command or args: the image's entrypoint runs, no shell needed (distroless).
    expect(container.command).toBeUndefined();
    expect(container.args).toBeUndefined();
    expect(container.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '250m', memory: '256Mi' } });
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    expect(container.env[0]).toEqual({ name: 'HOME', value: '/tmp' });
    expect(only(manifests, 'ServiceAccount', 'orders-migrate').automountServiceAccountToken).toBe(false);
  });

  test('the Job and its pods carry the migrations version (the image tag), for kubectl wait -l', () => {
    const { job } = synthJob((c) => postgres(c, { migrations: { image: 'registry.example.com/orders-migrate:v2.0.1@sha256:' + 'a'.repeat(64) } }));
    for (const labels of [job.metadata.labels, job.spec.template.metadata.labels]) {
      expect(labels).toMatchObject({
        'app.kubernetes.io/instance': 'orders',
        'app.kubernetes.io/component': 'migrations',
        'app.kubernetes.io/version': 'v2.0.1',
        [VERSION_LABEL]: 'v2.0.1',
      });
    }
  });

  test('it connects as the application user with what connectionEnv() hands the application, never as the superuser', () => {
    let db!: StatefulDatabase;
    const { job } = synthJob((c) => { db = postgres(c); });
    const env = job.spec.template.spec.containers[0].env;
    expect(env.slice(1)).toEqual(rendered(db.connectionEnv()));
    expect(env).toContainEqual({ name: 'DB_HOST', value: 'orders.shop.svc' });
    expect(env).toContainEqual({ name: 'DB_DATABASE', value: 'shop' });
    expect(env).toContainEqual({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'orders-app', key: 'password' } } });
    expect(JSON.stringify(env)).not.toContain('orders-credentials');
  });

  test('with ApplicationUser.superuser() it gets what connectionEnv() gives: the superuser, as the application does', () => {
    let db!: StatefulDatabase;
    const { job } = synthJob((c) => { db = postgres(c, { applicationUser: ApplicationUser.superuser() }); });
    const env = job.spec.template.spec.containers[0].env;
    expect(env.slice(1)).toEqual(rendered(db.connectionEnv()));
    expect(env).toContainEqual({ name: 'DB_USERNAME', valueFrom: { secretKeyRef: { name: 'orders-credentials', key: 'username' } } });
  });

  test('command, args and env as given; env comes after the connection variables, so it can refer to them', () => {
    const migrations: DatabaseMigrations = {
      image: IMAGE,
      command: ['/flyway/flyway'],
      args: ['-locations=filesystem:/sql', 'migrate'],
      env: { FLYWAY_URL: 'jdbc:postgresql://$(DB_HOST):$(DB_PORT)/$(DB_DATABASE)', FLYWAY_USER: '$(DB_USERNAME)', FLYWAY_PASSWORD: '$(DB_PASSWORD)' },
      runAsUser: 1000,
      cpu: kplus.Cpu.millis(500),
      memory: Size.mebibytes(512),
      timeout: Duration.minutes(10),
    };
    const { job } = synthJob((c) => postgres(c, { migrations }));
    const container = job.spec.template.spec.containers[0];
    expect(container.command).toEqual(['/flyway/flyway']);
    expect(container.args).toEqual(['-locations=filesystem:/sql', 'migrate']);
    expect(container.env.slice(-3)).toEqual([
      { name: 'FLYWAY_URL', value: 'jdbc:postgresql://$(DB_HOST):$(DB_PORT)/$(DB_DATABASE)' },
      { name: 'FLYWAY_USER', value: '$(DB_USERNAME)' },
      { name: 'FLYWAY_PASSWORD', value: '$(DB_PASSWORD)' },
    ]);
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(container.securityContext.runAsUser).toBe(1000);
    expect(job.spec.template.spec.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    expect(job.spec.activeDeadlineSeconds).toBe(600);
  });

  test('the NetworkPolicy admits the Job\'s pods to the client port', () => {
    const { manifests, job } = synthJob((c) => postgres(c));
    const rules = only(manifests, 'NetworkPolicy').spec.ingress;
    const admitting = rules.filter((r: any) => r.from.some((f: any) => f.podSelector?.matchLabels?.['job-name'] === job.metadata.name));
    expect(admitting).toEqual([expect.objectContaining({ ports: [{ protocol: 'TCP', port: 5432 }] })]);
  });

  test('the construct exposes the Job (e.g. for a GitOps health check); none without migrations', () => {
    let db!: StatefulDatabase;
    const { job } = synthJob((c) => { db = postgres(c); });
    expect(db.migrationsJob?.name).toBe(job.metadata.name);
    const chart = newChart('shop');
    const plain = postgres(chart, { migrations: undefined });
    expect(plain.migrationsJob).toBeUndefined();
    expect(synthValid(chart).filter((m) => m.metadata.name.startsWith('orders-migrate'))).toEqual([]);
  });
});

describe('once per version', () => {
  const name = (props: Record<string, any>) => synthJob((c) => postgres(c, props)).job.metadata.name;

  test('the same props give the same Job: re-applying creates nothing', () => {
    expect(name({})).toBe(name({}));
  });

  test('a new image tag, or new args, is a new Job', () => {
    const first = name({});
    expect(name({ migrations: { image: 'registry.example.com/orders-migrate:1.5.0' } })).not.toBe(first);
    expect(name({ migrations: { image: IMAGE, args: ['up'] } })).not.toBe(first);
  });

  test('an engine upgrade does not run the migrations again', () => {
    expect(name({ engine: Engine.postgres({ version: PostgresVersion.of('16.8') }) })).toBe(name({}));
  });

  test('adding migrations, and moving to a new version, apply to a running database: nothing the API server refuses', () => {
    const manifests = (props: Record<string, any>) => synthJob((c) => postgres(c, props)).manifests;
    const chart = newChart('shop');
    postgres(chart, { migrations: undefined });
    expect(ApplySafety.check(synthValid(chart), manifests({}))).toEqual([]);
    expect(ApplySafety.check(manifests({}), manifests({ migrations: { image: 'registry.example.com/orders-migrate:1.5.0' } }))).toEqual([]);
  });

  test('a database name of 52 characters keeps the whole suffix: <first 48 characters>-migrate-<hash>, 63 characters', () => {
    const longName = 'n'.repeat(52);
    const chart = newChart('shop');
    postgres(chart, { name: longName });
    const job = synthValid(chart).find((m) => m.kind === 'Job' && m.metadata.labels['app.kubernetes.io/component'] === 'migrations');
    expect(job.metadata.name).toMatch(/^n{48}-migrate-[0-9a-f]{6}$/);
    expect(job.metadata.name).toHaveLength(63);
    // The ServiceAccount is not cut (names of objects may have 253 characters): the full name, as for short names.
    expect(job.spec.template.spec.serviceAccountName).toBe(`${longName}-migrate`);
  });

  test('an annotation added through migrationsJob (an Argo CD sync wave) does not rename the Job', () => {
    const plain = synthJob((c) => postgres(c)).job;
    const annotated = synthJob((c) => postgres(c).migrationsJob!.metadata.addAnnotation('argocd.argoproj.io/sync-wave', '1')).job;
    expect(annotated.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '1' });
    expect(annotated.metadata.name).toBe(plain.metadata.name);
  });
});

describe('ReplicatedDatabase', () => {
  test('PostgreSQL: the Job connects to the primary Service with the client TLS settings connectionEnv() gives', () => {
    let db!: ReplicatedDatabase;
    const { manifests, job } = synthJob((c) => {
      db = new ReplicatedDatabase(c, 'db', {
        name: 'orders',
        engine: Engine.postgres({ version: PostgresVersion.V16 }),
        zones: ['a', 'b', 'c'],
        tls: { issuerName: 'ca-issuer' },
        migrations: { image: IMAGE },
      });
    });
    const env = job.spec.template.spec.containers[0].env;
    expect(env.slice(1)).toEqual(rendered(db.connectionEnv()));
    expect(env).toContainEqual({ name: 'DB_HOST', value: 'orders.shop.svc' });
    expect(env).toContainEqual({ name: 'DB_SSLMODE', value: 'verify-full' });
    expect(env).toContainEqual({ name: 'DB_CA_CERT', valueFrom: { secretKeyRef: { name: 'orders-tls', key: 'ca.crt' } } });
    // The primary Service selects the primary by role: writes, DDL included, go there.
    expect(only(manifests, 'Service', 'orders').spec.selector).toMatchObject({ 'spilo-role': 'master' });
    const rules = only(manifests, 'NetworkPolicy').spec.ingress;
    expect(rules.some((r: any) => r.from.some((f: any) => f.podSelector?.matchLabels?.['job-name'] === job.metadata.name))).toBe(true);
  });

  test('MySQL group replication: the application user, against the primary', () => {
    let db!: ReplicatedDatabase;
    const { job } = synthJob((c) => {
      db = new ReplicatedDatabase(c, 'db', {
        name: 'orders', engine: Engine.mysql({ version: MysqlVersion.V8_4 }), zones: ['a', 'b', 'c'], migrations: { image: IMAGE },
      });
    });
    const env = job.spec.template.spec.containers[0].env;
    expect(env.slice(1)).toEqual(rendered(db.connectionEnv()));
    expect(env).toContainEqual({ name: 'DB_USERNAME', valueFrom: { secretKeyRef: { name: 'orders-app', key: 'username' } } });
  });
});

describe('refusals', () => {
  const build = (migrations: unknown) => () => postgres(newChart('shop'), { migrations });
  const PATH = 'test/db: ';

  test.each([
    ['untagged', 'registry.example.com/orders-migrate'],
    ['latest', 'registry.example.com/orders-migrate:latest'],
  ])('an image that is not pinned to a version (%s)', (_what, image) => {
    expectRefused(build({ image }),
      `${PATH}\`migrations.image\` "${image}" is not pinned to a version: an untagged or "latest" image changes under the same name, so the migrations would not run again when it does. Give a versioned tag, optionally with a digest, e.g. "registry.example.com/orders-migrate:1.4.0" or "...:1.4.0@sha256:<64 hex digits>": the tag labels the Job, and a new tag runs a new Job.`);
  });

  test('a digest without a tag: pinned, but the Job\'s version label needs the tag', () => {
    const image = `registry.example.com/orders-migrate@sha256:${'a'.repeat(64)}`;
    expect(build({ image })).toThrow(
      `${PATH}\`migrations.image\` "${image}" has a digest but no tag: the tag labels the Job (\`cdk8s-databases.io/migrations-version\`, which \`kubectl wait -l\` selects), and a digest cannot be a label value. Put the version's tag before the digest, e.g. "registry.example.com/orders-migrate:1.4.0@sha256:<64 hex digits>".`);
  });

  test('a name that is no image reference', () => {
    const image = 'Registry.Example.com/Orders Migrate:1.0';
    expect(build({ image })).toThrow(
      `${PATH}\`migrations.image\` "${image}" is not an image reference: give an optional registry host, lower-case path components and a tag, optionally with a digest, e.g. "registry.example.com/orders-migrate:1.4.0".`);
  });

  test('no image', () => {
    expectRefused(build({}), `${PATH}\`migrations.image\` must be an image reference such as "registry.example.com/orders-migrate:1.4.0", not nothing.`);
  });

  test('not an object', () => {
    expectRefused(build('registry.example.com/orders-migrate:1.4.0'),
      `${PATH}\`migrations\` must be an object such as \`{ image: 'registry.example.com/orders-migrate:1.4.0' }\`, not a string ("registry.example.com/orders-migrate:...).`);
  });

  test.each([
    ['a command that is no list', { command: 'migrate up' }, '`migrations.command` must be a list of strings such as `[\'migrate\', \'up\']`, not a string ("migrate up").'],
    ['args that are not strings', { args: [1] }, '`migrations.args` must be a list of strings such as `[\'migrate\', \'up\']`, not a list of 1.'],
    ['an empty command', { command: [] }, '`migrations.command` must name a program, e.g. `[\'/app/migrate\']`; leave it out to run the image\'s entrypoint.'],
    ['an env value that is no string', { env: { N: 1 } }, '`migrations.env` "N" must be a string, not a number (1): Kubernetes keeps text only (write numbers and booleans in quotes).'],
    ['an invalid env name', { env: { '1X': 'a' } }, '`migrations.env` name "1X" is not a valid environment variable name: use letters, digits, \'_\', \'-\' and \'.\', not starting with a digit.'],
    ['runAsUser 0', { runAsUser: 0 }, '`migrations.runAsUser` (0) must be a whole number from 1 to 2147483647: restricted pods never run as root.'],
    ['cpu that is no Cpu', { cpu: '250m' }, '`migrations.cpu` must be a cdk8s-plus `Cpu` (e.g. `Cpu.millis(250)`), not a string ("250m").'],
    ['memory of a fraction of a MiB', { memory: Size.kibibytes(1536) }, '`migrations.memory` (1536 KiB) must be a whole number of MiB. Give a whole number of MiB, e.g. `Size.mebibytes(512)` or `Size.gibibytes(20)`.'],
    ['a timeout of a fraction of a second', { timeout: Duration.millis(1500) }, '`migrations.timeout` cannot be used: \'1500 millis\' cannot be converted into a whole number of seconds. Give a whole number of seconds, e.g. `Duration.seconds(30)` or `Duration.minutes(2)`.'],
  ])('%s is refused', (_what, extra, message) => {
    expectRefused(build({ image: IMAGE, ...extra }), `${PATH}${message}`);
  });

  test('every variable the Job sets itself is refused in env', () => {
    const { job } = synthJob((c) => new ReplicatedDatabase(c, 'db', {
      name: 'orders',
      engine: Engine.postgres({ version: PostgresVersion.V16 }),
      zones: ['a', 'b', 'c'],
      tls: { issuerName: 'ca-issuer' },
      migrations: { image: IMAGE },
    }));
    const names: string[] = job.spec.template.spec.containers[0].env.map((e: any) => e.name);
    expect(names).toHaveLength(8);
    for (const name of names) {
      expectRefused(build({ image: IMAGE, env: { [name]: 'x' } }),
        `${PATH}\`migrations.env\` sets "${name}", which the migrations Job sets itself (HOME, DB_HOST, DB_PORT, DB_DATABASE, DB_USERNAME, DB_PASSWORD, DB_SSLMODE, DB_CA_CERT): remove it, or give it another name that refers to it, e.g. \`{ PGHOST: '$(DB_HOST)' }\`.`);
    }
  });

  test('a password-like env name with a literal', () => {
    expect(build({ image: IMAGE, env: { FLYWAY_PASSWORD: 'hunter2' } })).toThrow(
      `${PATH}\`migrations.env\` "FLYWAY_PASSWORD" looks like a password, and a literal value would be stored in plain text in the YAML: refer to the application user's password with \`'$(DB_PASSWORD)'\`, or read other secrets from a Secret in the image.`);
  });

  test('MYSQL_PWD (the mysql client\'s password variable) with a literal', () => {
    expect(build({ image: IMAGE, env: { MYSQL_PWD: 'hunter2' } })).toThrow(
      `${PATH}\`migrations.env\` "MYSQL_PWD" looks like a password, and a literal value would be stored in plain text in the YAML: refer to the application user's password with \`'$(DB_PASSWORD)'\`, or read other secrets from a Secret in the image.`);
  });

  test('a password-like env name referring to a variable the Job does not set: a reference, but to nothing', () => {
    expect(build({ image: IMAGE, env: { LIQUIBASE_COMMAND_PASSWORD: '$(X)' } })).toThrow(
      `${PATH}\`migrations.env\` "LIQUIBASE_COMMAND_PASSWORD" looks like a password and refers to "$(X)", which is not a variable the Job sets (HOME, DB_HOST, DB_PORT, DB_DATABASE, DB_USERNAME, DB_PASSWORD, DB_SSLMODE, DB_CA_CERT): Kubernetes would pass the text "$(X)" unchanged. Refer to the application user's password with \`'$(DB_PASSWORD)'\`, or read other secrets from a Secret in the image.`);
  });

  test.each([
    ['--password, then the password', { args: ['migrate', '--password', 'hunter2'] }, 'migrations.args[2]', '--password'],
    ['-password, then the password', { args: ['-password', 'hunter2', 'migrate'] }, 'migrations.args[1]', '-password'],
    ['-password=, Flyway\'s form', { args: ['-password=hunter2', 'migrate'] }, 'migrations.args[0]', '-password'],
    ['an option in command, its value in args', { command: ['/liquibase/liquibase', '--password'], args: ['hunter2', 'update'] }, 'migrations.args[0]', '--password'],
  ])('an option named like a password given a literal (%s)', (_what, extra, prop, option) => {
    expect(build({ image: IMAGE, ...extra })).toThrow(
      `${PATH}\`${prop}\` gives \`${option}\` a literal value, which would be stored in plain text in the YAML: refer to the application user's password with \`$(DB_PASSWORD)\` (Kubernetes expands it when the container starts).`);
  });

  test.each([
    ['env, a URL', { env: { DATABASE_URL: 'postgres://app:hunter2@orders:5432/shop' } }, 'migrations.env "DATABASE_URL"'],
    ['env, a connection string', { env: { DSN: 'host=orders user=app password=hunter2' } }, 'migrations.env "DSN"'],
    ['args, an option', { args: ['--password=hunter2'] }, 'migrations.args[0]'],
    ['command, a URL', { command: ['migrate', 'postgres://app:hunter2@orders/shop'] }, 'migrations.command[1]'],
  ])('a literal password inside a value (%s)', (_what, extra, prop) => {
    expectRefused(build({ image: IMAGE, ...extra }),
      `${PATH}\`${prop}\` holds a literal password, which would be stored in plain text in the YAML: refer to the application user's password with \`$(DB_PASSWORD)\` (Kubernetes expands it when the container starts).`);
  });

  test('references to the connection variables are accepted wherever a password goes', () => {
    const args = [
      '-database', 'postgres://$(DB_USERNAME):$(DB_PASSWORD)@$(DB_HOST):$(DB_PORT)/$(DB_DATABASE)', 'up',
      '--password=$(DB_PASSWORD)', '-password', '$(DB_PASSWORD)', '-password=$(DB_PASSWORD)',
    ];
    const { job } = synthJob((c) => postgres(c, {
      migrations: { image: IMAGE, args, env: { PGPASSWORD: '$(DB_PASSWORD)', MYSQL_PWD: '$(DB_PASSWORD)', EMPTY_SECRET: '', PWD: '/tmp' } },
    }));
    expect(job.spec.template.spec.containers[0].args).toEqual(args);
    // PWD is the shell's working directory, not a password.
    expect(job.spec.template.spec.containers[0].env).toContainEqual({ name: 'PWD', value: '/tmp' });
  });

  test('options named like a password that take no password: a file\'s path, a switch, psql\'s prompt before another option', () => {
    const args = ['--password-file', '/secrets/pw', '--passfile=/secrets/pgpass', '--no-password', 'up', '--password', '-f', '/sql/up.sql'];
    const { job } = synthJob((c) => postgres(c, { migrations: { image: IMAGE, args } }));
    expect(job.spec.template.spec.containers[0].args).toEqual(args);
  });
});
