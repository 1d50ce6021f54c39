import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as kplus33 from 'cdk8s-plus-33';
import {
  ApplicationUser, BackupSchedule, CassandraVersion, Credentials, DatabaseConfigError, DatabasePriorityClass, DatabaseStorageClass, Engine,
  MongoDbVersion, MysqlVersion, PostgresVersion, ReplicatedDatabase, ReplicatedDatabaseProps, StatefulDatabase,
  StatefulDatabaseProps,
} from '../src';
import { customEngine } from './support/engines';
import { allContainers, newChart, only, synthValid } from './support/synth';
import { manifestProblems } from './support/validate';
import { literalPasswordIn } from '../src/private/literal-passwords';

// What JavaScript callers (and casts) can pass where TypeScript would have refused: each is our error with the
// construct path, the prop, what was given and what to give, never a TypeError from deep inside.

const postgres = () => Engine.postgres({ version: PostgresVersion.V16 });

function single(props: Record<string, unknown>): () => void {
  return () => new StatefulDatabase(newChart(), 'orders', { engine: postgres(), name: 'orders', ...props } as StatefulDatabaseProps);
}

function replicated(props: Record<string, unknown>): () => void {
  return () => new ReplicatedDatabase(newChart(), 'orders', { engine: postgres(), name: 'orders', ...props } as ReplicatedDatabaseProps);
}

const CREDENTIALS_EXAMPLE = "`Credentials.fromSecret(secret)` for a cdk8s-plus Secret, `Credentials.fromSecretName('orders-credentials')` or `Credentials.generate()`";

describe('props typed as a cdk8s or library class refuse anything else, naming what was given', () => {
  test.each<[string, Record<string, unknown>, string]>([
    ['storageSize as a string', { storageSize: '50Gi' }, '`storageSize` must be a cdk8s `Size` (e.g. `Size.gibibytes(20)`), not a string ("50Gi").'],
    ['storageSize as a number', { storageSize: 50 }, '`storageSize` must be a cdk8s `Size` (e.g. `Size.gibibytes(20)`), not a number (50).'],
    ['memory as a string', { memory: '2Gi' }, '`memory` must be a cdk8s `Size` (e.g. `Size.gibibytes(20)`), not a string ("2Gi").'],
    ['cpu as a string', { cpu: '500m' }, '`cpu` must be a cdk8s-plus `Cpu` (e.g. `Cpu.millis(500)`), not a string ("500m").'],
    ['cpu as a plain object', { cpu: { amount: '500m' } }, '`cpu` must be a cdk8s-plus `Cpu` (e.g. `Cpu.millis(500)`), not a plain object ({"amount":"500m"}).'],
    ['minReady as seconds', { minReady: 30 }, '`minReady` must be a cdk8s `Duration` (e.g. `Duration.seconds(30)`), not a number (30).'],
    ['terminationGracePeriod as a string', { terminationGracePeriod: '30s' },
      '`terminationGracePeriod` must be a cdk8s `Duration` (e.g. `Duration.seconds(30)`), not a string ("30s").'],
    ['tls.duration as hours', { tls: { issuerName: 'ca', duration: 2160 } }, '`tls.duration` must be a cdk8s `Duration` (e.g. `Duration.hours(24)`), not a number (2160).'],
    ['tls.renewBefore as a string', { tls: { issuerName: 'ca', renewBefore: '720h' } },
      '`tls.renewBefore` must be a cdk8s `Duration` (e.g. `Duration.hours(24)`), not a string ("720h").'],
    ['credentials as a Secret name', { credentials: 'orders-secret' }, `\`credentials\` must be a \`Credentials\` (e.g. ${CREDENTIALS_EXAMPLE}), not a string ("orders-secret").`],
    ['credentials as a plain object', { credentials: { secretName: 'orders-secret' } },
      `\`credentials\` must be a \`Credentials\` (e.g. ${CREDENTIALS_EXAMPLE}), not a plain object ({"secretName":"orders-secret"}).`],
    ['credentials as an ApplicationUser', { credentials: ApplicationUser.fromSecretName('orders-app') },
      `\`credentials\` must be a \`Credentials\` (e.g. ${CREDENTIALS_EXAMPLE}), not an ApplicationUser.`],
    ['applicationUser as a user name', { applicationUser: 'app' },
      "`applicationUser` must be an `ApplicationUser` (e.g. `ApplicationUser.fromSecretName('orders-app')` or `ApplicationUser.generate()`), not a string (\"app\")."],
    ['applicationUser as Credentials', { applicationUser: Credentials.fromSecretName('orders-app') },
      "`applicationUser` must be an `ApplicationUser` (e.g. `ApplicationUser.fromSecretName('orders-app')` or `ApplicationUser.generate()`), not a Credentials."],
    ['restoreFrom as a snapshot name', { restoreFrom: 'orders-snap' },
      "`restoreFrom` must be a `Restore` (e.g. `Restore.fromVolumeSnapshot('orders-snap')` or `Restore.fromDump({ ... })`), not a string (\"orders-snap\")."],
    ['engine as a name', { engine: 'postgres' }, '`engine` must be an `Engine` (e.g. `Engine.postgres({ version: PostgresVersion.V16 })`), not a string ("postgres").'],
    ['engine as a plain object', { engine: { family: 'postgresql', version: '16.6' } },
      '`engine` must be an `Engine` (e.g. `Engine.postgres({ version: PostgresVersion.V16 })`), not a plain object ({"family":"postgresql","version":"16.6"}).'],
    ['engine as the uncalled factory', { engine: Engine.postgres },
      '`engine` must be an `Engine` (e.g. `Engine.postgres({ version: PostgresVersion.V16 })`), not the function postgres (call it).'],
    ['engine as the class', { engine: Engine },
      '`engine` must be an `Engine` (e.g. `Engine.postgres({ version: PostgresVersion.V16 })`), not the class Engine (call one of its factories).'],
    ['engine null', { engine: null }, '`engine` is missing: choose one, e.g. `Engine.postgres({ version: PostgresVersion.V16 })`.'],
    ['updateStrategy as a string', { updateStrategy: 'RollingUpdate' },
      '`updateStrategy` must be an `UpdateStrategy` (e.g. `UpdateStrategy.rollingUpdate({ partition: 1 })`), not a string ("RollingUpdate").'],
    ['updateStrategy as a plain object', { updateStrategy: { partition: 1 } },
      '`updateStrategy` must be an `UpdateStrategy` (e.g. `UpdateStrategy.rollingUpdate({ partition: 1 })`), not a plain object ({"partition":1}).'],
  ])('%s', (_, props, message) => {
    expect(single(props)).toThrow(DatabaseConfigError);
    expect(single(props)).toThrow(`test/orders: ${message}`);
  });

  test('a cdk8s-plus Secret (28 or 33) given as `credentials` is refused, never rendered as a secretKeyRef without a key', () => {
    for (const Secret of [kplus.Secret, kplus33.Secret]) {
      const chart = newChart();
      const secret = new Secret(chart, 'orders-secret');
      expect(() => new StatefulDatabase(chart, 'orders', { engine: postgres(), name: 'orders', credentials: secret as unknown as Credentials }))
        .toThrow(`test/orders: \`credentials\` must be a \`Credentials\` (e.g. ${CREDENTIALS_EXAMPLE}), not the Secret construct "test/orders-secret".`);
    }
  });

  test('Credentials.fromSecret() takes a Secret of cdk8s-plus-28 or 33, and every key reference has its name and key', () => {
    for (const Secret of [kplus.Secret, kplus33.Secret]) {
      const chart = newChart();
      const secret = new Secret(chart, 'admin', { metadata: { name: 'orders-admin' } });
      new StatefulDatabase(chart, 'orders', { engine: postgres(), name: 'orders', credentials: Credentials.fromSecret(secret as kplus.ISecret) });
      const pod = only(synthValid(chart), 'StatefulSet', 'orders').spec.template.spec;
      const refs = allContainers(pod).flatMap((c) => (c.env ?? []).map((e: any) => e.valueFrom?.secretKeyRef).filter((r: unknown) => r));
      expect(refs).toContainEqual({ name: 'orders-admin', key: 'password' });
      for (const ref of refs) expect(ref.key).toEqual(expect.any(String));
    }
  });

  test.each<[string, () => Credentials | ApplicationUser, string, string]>([
    ['Credentials.fromSecret(undefined)', () => Credentials.fromSecret(undefined as any), 'credentials',
      '`credentials` names no Secret: give `Credentials.fromSecretName()` the name of an existing Secret or `Credentials.fromSecret()` a cdk8s-plus Secret, or use `Credentials.generate()`.'],
    ['Credentials.fromSecret(a name)', () => Credentials.fromSecret('orders-secret' as any), 'credentials',
      '`credentials` names no Secret: give `Credentials.fromSecretName()` the name of an existing Secret or `Credentials.fromSecret()` a cdk8s-plus Secret, or use `Credentials.generate()`.'],
    ['Credentials.fromSecretName(42)', () => Credentials.fromSecretName(42 as any), 'credentials',
      '`credentials` names no Secret (a number (42)): give `Credentials.fromSecretName()` the name of an existing Secret or `Credentials.fromSecret()` a cdk8s-plus Secret, or use `Credentials.generate()`.'],
    ['ApplicationUser.fromSecretName(undefined)', () => ApplicationUser.fromSecretName(undefined as any), 'applicationUser',
      '`applicationUser` names no Secret: give `ApplicationUser.fromSecretName()` the name of an existing Secret, or use `ApplicationUser.generate()`.'],
  ])('%s: the factory does not throw, the database refuses it', (_, make, prop, message) => {
    let made: Credentials | ApplicationUser | undefined;
    expect(() => { made = make(); }).not.toThrow();
    expect(single({ [prop]: made })).toThrow(`test/orders: ${message}`);
  });

  test('a cdk8s-plus-33 Cpu is taken where cdk8s-plus-28\'s is typed', () => {
    const chart = newChart();
    new StatefulDatabase(chart, 'orders', { engine: postgres(), name: 'orders', cpu: kplus33.Cpu.millis(750) as unknown as kplus.Cpu });
    const engine = only(synthValid(chart), 'StatefulSet', 'orders').spec.template.spec.containers[0];
    expect(engine.resources.requests.cpu).toBe('750m');
  });

  test('Size.gibibytes(-5) throws inside cdk8s at the caller\'s own line, before any construct exists', () => {
    expect(() => Size.gibibytes(-5)).toThrow('Storage amounts cannot be negative. Received: -5');
    expect(() => Duration.seconds(-5)).toThrow('Duration amounts cannot be negative. Received: -5');
  });
});

describe('a construct called without its props, or with something else', () => {
  test.each<[string, () => unknown, string]>([
    ['StatefulDatabase without props', () => new (StatefulDatabase as any)(newChart(), 'orders'),
      'test/orders: the props (third argument) must be an object such as `{ engine: Engine.postgres({ version: PostgresVersion.V16 }) }`, not nothing.'],
    ['ReplicatedDatabase with a string', () => new (ReplicatedDatabase as any)(newChart(), 'orders', 'postgres'),
      'test/orders: the props (third argument) must be an object such as `{ engine: Engine.postgres({ version: PostgresVersion.V16 }), zones: [\'a\', \'b\', \'c\'] }`, not a string ("postgres").'],
    ['BackupSchedule without props', () => new (BackupSchedule as any)(newChart(), 'backups'),
      'test/backups: the props (third argument) must be an object such as `{ database: db, methods: [BackupMethod.logicalDump({ ... })] }`, not nothing.'],
  ])('%s', (_, make, message) => {
    expect(make).toThrow(DatabaseConfigError);
    expect(make).toThrow(message);
  });
});

describe('struct, map and list props refuse other shapes instead of misreading them', () => {
  test.each<[string, Record<string, unknown>, string]>([
    ['initScripts as one script', { initScripts: 'CREATE TABLE t (id int);' },
      "`initScripts` must be an object of strings such as `{ '01-schema.sql': 'CREATE TABLE ...' }`, not a string (\"CREATE TABLE t (id int);\")."],
    ['an init script as a number', { initScripts: { '01.sql': 5 } },
      '`initScripts` "01.sql" must be a string, not a number (5): Kubernetes keeps text only (write numbers and booleans in quotes).'],
    ['config value as a number', { config: { max_connections: 200 } },
      '`config` "max_connections" must be a string, not a number (200): Kubernetes keeps text only (write numbers and booleans in quotes).'],
    ['env value as a number', { env: { WORKERS: 4 } },
      '`env` "WORKERS" must be a string, not a number (4): Kubernetes keeps text only (write numbers and booleans in quotes).'],
    ['labels as a string', { labels: 'orders' }, "`labels` must be an object of strings such as `{ team: 'orders' }`, not a string (\"orders\")."],
    ['nodeSelector as a list', { nodeSelector: ['ssd'] }, "`nodeSelector` must be an object of strings such as `{ 'disktype': 'ssd' }`, not a list of 1."],
    ['imagePullSecrets as one name', { imagePullSecrets: 'regcred' }, "`imagePullSecrets` must be a list of strings such as `['regcred']`, not a string (\"regcred\")."],
    ['tls as an issuer name', { tls: 'ca-issuer' }, "`tls` must be an object such as `{ issuerName: 'ca-issuer' }`, not a string (\"ca-issuer\")."],
    ['dedicatedNodes as a label value', { dedicatedNodes: 'db' }, "`dedicatedNodes` must be an object such as `{ labelKey: 'pool', labelValue: 'db' }`, not a string (\"db\")."],
    ['dedicatedNodes without labelKey', { dedicatedNodes: { labelValue: 'db' } },
      "`dedicatedNodes` labelKey must be a string, not nothing: e.g. `{ labelKey: 'pool', labelValue: 'db' }`."],
    ['tolerations as one toleration', { tolerations: { key: 'dedicated' } },
      "`tolerations` must be a list such as `[{ key: 'dedicated', value: 'db' }]`, not a plain object ({\"key\":\"dedicated\"})."],
    ['a toleration as a string', { tolerations: ['dedicated'] }, "`tolerations[0]` must be an object such as `{ key: 'dedicated', value: 'db' }`, not a string (\"dedicated\")."],
    ['a node requirement as a string', { requiredNodeAffinity: ['disktype'] },
      "`requiredNodeAffinity[0]` must be an object such as `{ key: 'disktype', matchOperator: NodeSelectorOperator.IN, values: ['ssd'] }`, not a string (\"disktype\")."],
    ['node requirement values as one string', { requiredNodeAffinity: [{ key: 'disktype', matchOperator: 'In', values: 'ssd' }] },
      "`requiredNodeAffinity[0].values` must be a list of strings such as `['ssd']`, not a string (\"ssd\")."],
  ])('%s', (_, props, message) => {
    expect(single(props)).toThrow(`test/orders: ${message}`);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['zoneSpread as a string', { zoneSpread: 'required' }, '`zoneSpread` must be a `Spread` (e.g. `Spread.required()`), not a string ("required").'],
    ['hostSpread as a plain object', { hostSpread: {} }, '`hostSpread` must be a `Spread` (e.g. `Spread.preferred()`), not a plain object ({}).'],
    ['zones as one string', { zones: 'a,b,c' }, "`zones` must be a list of strings such as `['eu-west-1a', 'eu-west-1b', 'eu-west-1c']`, not a string (\"a,b,c\")."],
    ['replicas as a string', { replicas: '3' }, '`replicas` must be a number, not a string ("3"): give a whole number of at least 2.'],
    ['memberPriorities as a string', { memberPriorities: '2,1,1' }, '`memberPriorities` must be a list of numbers such as `[2, 1, 1]`, not a string ("2,1,1").'],
    ['racks as one name', { engine: Engine.cassandra({ version: CassandraVersion.V5_0 }), racks: 'rack1' },
      "`racks` must be a list such as `[{ name: 'rack1', zone: 'eu-west-1a' }]`, not a string (\"rack1\")."],
    ['storageSize as a string, before the layout is read', { storageSize: '50Gi' }, '`storageSize` must be a cdk8s `Size` (e.g. `Size.gibibytes(20)`), not a string ("50Gi").'],
  ])('ReplicatedDatabase: %s', (_, props, message) => {
    expect(replicated(props)).toThrow(`test/orders: ${message}`);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['minimumMemory as a string', { minimumMemory: '1Gi' }, '`engine.minimumMemory` must be a cdk8s `Size` (e.g. `Size.gibibytes(20)`), not a string ("1Gi").'],
    ['terminationGracePeriod as seconds', { terminationGracePeriod: 30 },
      '`engine.terminationGracePeriod` must be a cdk8s `Duration` (e.g. `Duration.seconds(30)`), not a number (30).'],
  ])('Engine.custom(): %s does not throw in the factory; the database refuses it', (_, overrides, message) => {
    let engine: Engine | undefined;
    expect(() => { engine = customEngine(overrides); }).not.toThrow();
    expect(single({ engine })).toThrow(`test/orders: ${message}`);
  });

  test.each<[string, () => unknown, string]>([
    ['DatabaseStorageClass parameters as a string', () => new DatabaseStorageClass(newChart(), 'sc', { provisioner: 'ebs.csi.aws.com', parameters: 'type=gp3' as any }),
      "test/sc: `parameters` must be an object of strings such as `{ type: 'gp3', encrypted: 'true' }`, not a string (\"type=gp3\")."],
    ['DatabaseStorageClass parameter as a number', () => new DatabaseStorageClass(newChart(), 'sc', { provisioner: 'ebs.csi.aws.com', parameters: { iops: 3000 as any } }),
      'test/sc: `parameters` "iops" must be a string, not a number (3000): Kubernetes keeps text only (write numbers and booleans in quotes).'],
    ['DatabaseStorageClass mountOptions as a string', () => new DatabaseStorageClass(newChart(), 'sc', { provisioner: 'ebs.csi.aws.com', mountOptions: 'noatime' as any }),
      "test/sc: `mountOptions` must be a list of strings such as `['noatime']`, not a string (\"noatime\")."],
    ['DatabaseStorageClass without props', () => new (DatabaseStorageClass as any)(newChart(), 'sc'),
      "test/sc: `props` must be an object such as `{ provisioner: 'ebs.csi.aws.com' }`, not nothing."],
    ['DatabasePriorityClass value as a string', () => new DatabasePriorityClass(newChart(), 'pc', { value: '1000' as any }),
      'test/pc: `value` must be a number, not a string ("1000"): give a whole number from -2147483648 to 1000000000: higher values are reserved for system-critical pods.'],
    ['DatabasePriorityClass description as a number', () => new DatabasePriorityClass(newChart(), 'pc', { description: 5 as any }),
      'test/pc: `description` must be a string, not a number (5).'],
  ])('%s', (_, build, message) => {
    expect(build).toThrow(message);
  });
});

describe('literal passwords in initScripts are refused, as in env and config', () => {
  const sqlFix = "let the library create the application's account from a Secret (`applicationUser`), or have the script read the password from an environment variable set from a Secret";
  test.each<[string, () => Engine, string, string, string]>([
    ['PostgreSQL CREATE ROLE', postgres, '01-roles.sql', "CREATE ROLE reporting LOGIN PASSWORD 'hunter2';",
      "`initScripts` \"01-roles.sql\" sets a literal password (`CREATE ROLE reporting LOGIN PASSWORD '***'`), which would be stored in plain text in a ConfigMap, readable by anyone who can read ConfigMaps: "
      + `${sqlFix} (in a .sql file \`\\getenv pw APP_PASSWORD\`, then \`PASSWORD :'pw'\`, which psql quotes).`],
    ['PostgreSQL ALTER USER in a shell script', postgres, '02.sh', 'psql -c "ALTER USER reporting WITH PASSWORD \'hunter2\'"',
      "`initScripts` \"02.sh\" sets a literal password (`ALTER USER reporting WITH PASSWORD '***'`)"],
    ['MySQL CREATE USER ... IDENTIFIED BY', () => Engine.mysql({ version: MysqlVersion.V8_4 }), '01.sql', "CREATE USER 'reporting'@'%' IDENTIFIED BY 'hunter2';",
      "`initScripts` \"01.sql\" sets a literal password (`IDENTIFIED BY '***'`), which would be stored in plain text in a ConfigMap, readable by anyone who can read ConfigMaps: "
      + `${sqlFix} (\`'$APP_PASSWORD'\` in a statement a .sh file runs; .sql files cannot read the environment).`],
    ['MongoDB createUser with pwd', () => Engine.mongodb({ version: MongoDbVersion.V8_0 }), '01.js', "db.createUser({ user: 'reporting', pwd: 'hunter2', roles: ['read'] });",
      "`initScripts` \"01.js\" sets a literal password (`pwd: '***'`), which would be stored in plain text in a ConfigMap, readable by anyone who can read ConfigMaps: "
      + `${sqlFix} (\`pwd: process.env.APP_PASSWORD\` in a .js file, which mongosh runs).`],
    ['Redis requirepass through a custom engine', () => customEngine({ initScriptsPath: '/init' }), 'init.sh', 'redis-cli CONFIG SET requirepass hunter2',
      '`initScripts` "init.sh" sets a literal password (`requirepass ***`), which would be stored in plain text in a ConfigMap, readable by anyone who can read ConfigMaps: '
      + `${sqlFix} (\`'$APP_PASSWORD'\` in a .sh file).`],
    ['a Redis ACL password', () => customEngine({ initScriptsPath: '/init' }), 'acl.sh', 'redis-cli ACL SETUSER reporting on >hunter2 ~* +@read',
      '`initScripts` "acl.sh" sets a literal password (`ACL SETUSER reporting on >***`)'],
    ['CQL WITH PASSWORD', () => customEngine({ initScriptsPath: '/init' }), 'roles.cql', "CREATE ROLE reporting WITH PASSWORD = 'hunter2' AND LOGIN = true;",
      "`initScripts` \"roles.cql\" sets a literal password (`CREATE ROLE reporting WITH PASSWORD = '***'`)"],
  ])('%s', (_, engine, file, script, message) => {
    let error: unknown;
    try {
      single({ engine: engine(), initScripts: { [file]: script } })();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatabaseConfigError);
    expect((error as Error).message).toContain(`test/orders: ${message}`);
    expect((error as Error).message).not.toContain('hunter2');
  });

  test.each<[string, () => Engine, string, string]>([
    ['psql variable from the environment', postgres, '01.sql', "\\getenv pw REPORTING_PASSWORD\nCREATE ROLE reporting LOGIN PASSWORD :'pw';"],
    ['shell expansion in a heredoc', postgres, '01.sh', "psql -v ON_ERROR_STOP=1 <<-EOSQL\n  CREATE ROLE reporting LOGIN PASSWORD '$REPORTING_PASSWORD';\nEOSQL"],
    ['psql -v from the environment', postgres, '01.sh', "psql -v pw=\"$REPORTING_PASSWORD\" <<'EOSQL'\nCREATE ROLE reporting LOGIN PASSWORD :'pw';\nEOSQL"],
    ['a role without a password', postgres, '01.sql', 'CREATE ROLE reporting NOLOGIN;\nUPDATE accounts SET password = crypt(\'x\', gen_salt(\'bf\'));'],
    ['MySQL from a shell variable', () => Engine.mysql({ version: MysqlVersion.V8_4 }), '01.sh', 'mysql -e "CREATE USER \'reporting\'@\'%\' IDENTIFIED BY \'${REPORTING_PASSWORD}\'"'],
    ['mongosh from process.env', () => Engine.mongodb({ version: MongoDbVersion.V8_0 }), '01.js', "db.createUser({ user: 'reporting', pwd: process.env.REPORTING_PASSWORD, roles: ['read'] });"],
  ])('not refused: %s', (_, engine, file, script) => {
    const chart = newChart();
    new StatefulDatabase(chart, 'orders', { engine: engine(), name: 'orders', initScripts: { [file]: script } });
    expect(only(synthValid(chart), 'ConfigMap', 'orders-init').data).toEqual({ [file]: script });
  });
});

describe('the forms a literal password takes, and the references that are left alone', () => {
  test.each<[string, string, string]>([
    ['01.sql', "create role app with login encrypted password 'md5abc';", "create role app with login encrypted password '***'"],
    ['01.sql', "ALTER ROLE app PASSWORD E'it''s';", "ALTER ROLE app PASSWORD '***'"],
    ['01.sql', "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'u', password 'p');", "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'u', password '***'"],
    ['01.sql', "\\set app_pw 'secret'\nCREATE ROLE app PASSWORD :'app_pw';", "\\set app_pw '***'"],
    ['01.sql', "SELECT dblink_connect('host=db user=u password=secret dbname=x');", 'host=db user=u password=***'],
    ['01.sql', "SELECT 1; -- CREATE ROLE old PASSWORD 'kept-in-a-comment'", "CREATE ROLE old PASSWORD '***'"],
    ['01.sql', 'CREATE USER x IDENTIFIED WITH caching_sha2_password BY "secret";', 'IDENTIFIED WITH caching_sha2_password BY "***"'],
    ['01.sql', "SET PASSWORD FOR 'x'@'%' = 'secret';", "SET PASSWORD FOR 'x'@'%' = '***'"],
    ['01.sql', "CHANGE REPLICATION SOURCE TO SOURCE_USER='r', SOURCE_PASSWORD='s';", "SOURCE_PASSWORD='***'"],
    ['01.js', 'db.getSiblingDB("admin").createUser({ "user": "app", "pwd": "secret", roles: [] });', '"pwd": "***"'],
    ['01.js', "db.changeUserPassword('app', 'secret');", "changeUserPassword('app', '***'"],
    ['01.js', "db.auth('app', 'secret');", ".auth('app', '***'"],
    ['redis.conf', 'requirepass foobared', 'requirepass ***'],
    ['users.acl', 'user app on >s3cret ~* +@all', 'user app on >***'],
    ['01.sh', 'redis-cli -a s3cret ping', 'redis-cli -a ***'],
    ['01.cql', "CREATE USER app WITH PASSWORD 'secret' NOSUPERUSER;", "CREATE USER app WITH PASSWORD '***'"],
    ['01.sh', 'export PGPASSWORD=secret\npsql -c "select 1"', 'export PGPASSWORD=***'],
    ['01.sh', 'MYSQL_PWD=secret mysql -e "select 1"', 'MYSQL_PWD=***'],
    ['01.sh', 'mysql --password=secret -e "select 1"', '--password=***'],
    ['01.sh', 'psql -v app_pw=secret -f /init/roles.sql', '-v app_pw=***'],
  ])('%s: %s', (file, script, found) => {
    expect(literalPasswordIn(file, script)).toBe(found);
  });

  test.each<[string, string]>([
    ['01.sql', 'CREATE ROLE app LOGIN PASSWORD :pw;'],
    ['01.sql', 'CREATE ROLE app LOGIN PASSWORD NULL;'],
    ['01.sql', "CREATE ROLE app LOGIN PASSWORD '';"],
    ['01.sql', 'ALTER USER x PASSWORD EXPIRE INTERVAL 90 DAY;'],
    ['01.sql', 'CREATE USER x IDENTIFIED BY RANDOM PASSWORD;'],
    ['01.sql', "INSERT INTO users (name, password_hash) VALUES ('a', 'b');"],
    ['01.sql', "SELECT 'the password is managed elsewhere';"],
    ['01.sh', 'redis-cli ACL SETUSER app on ">$APP_PASSWORD" ~* +@all'],
    ['01.sh', 'redis-cli -a "$REDIS_PASSWORD" ping'],
    ['01.sh', 'export PGPASSWORD="$POSTGRES_PASSWORD"'],
    ['01.sh', 'mysql --password="$MYSQL_ROOT_PASSWORD" -e "select 1"'],
    ['01.sh', 'docker_process_sql <<<"ALTER USER app IDENTIFIED BY \'$(cat /secrets/pw)\'"'],
    ['01.sh', 'grep -v passwd /etc/group > /tmp/groups\nuser=$(whoami)'],
    ['01.js', "db.createUser({ user: 'app', pwd: passwordPrompt(), roles: [] });"],
    ['01.js', "db.createUser({ user: 'app', pwd: `${process.env.APP_PASSWORD}`, roles: [] });"],
  ])('left alone, %s: %s', (file, script) => {
    expect(literalPasswordIn(file, script)).toBeUndefined();
  });

  test('in a .sql file a `$` is part of the literal: only the shell expands it', () => {
    expect(literalPasswordIn('01.sql', "CREATE ROLE app PASSWORD '$APP_PASSWORD';")).toBe("CREATE ROLE app PASSWORD '***'");
    expect(literalPasswordIn('01.sh', "psql <<EOSQL\nCREATE ROLE app PASSWORD '$APP_PASSWORD';\nEOSQL")).toBeUndefined();
  });
});

describe('cluster-scoped objects never carry a namespace', () => {
  test('a StorageClass and a PriorityClass in a namespaced chart have none; the database keeps its own', () => {
    const chart = newChart('orders-ns');
    const sc = new DatabaseStorageClass(chart, 'fast', { provisioner: 'ebs.csi.aws.com' });
    const pc = new DatabasePriorityClass(chart, 'critical');
    new StatefulDatabase(chart, 'orders', { engine: postgres(), name: 'orders', storageClassName: sc.name, priorityClassName: pc.name });
    const manifests = synthValid(chart);
    expect(only(manifests, 'StorageClass').metadata).not.toHaveProperty('namespace');
    expect(only(manifests, 'PriorityClass').metadata).not.toHaveProperty('namespace');
    expect(only(manifests, 'StatefulSet', 'orders').metadata.namespace).toBe('orders-ns');
  });

  test('in a chart without a namespace nothing changes', () => {
    const chart = newChart(null);
    new DatabaseStorageClass(chart, 'fast', { provisioner: 'ebs.csi.aws.com' });
    new DatabasePriorityClass(chart, 'critical');
    const manifests = synthValid(chart);
    expect(only(manifests, 'StorageClass').metadata).not.toHaveProperty('namespace');
    expect(only(manifests, 'PriorityClass').metadata).not.toHaveProperty('namespace');
  });

  test('the test validation refuses a cluster-scoped object with a namespace', () => {
    const storageClass = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast', namespace: 'db' }, provisioner: 'ebs.csi.aws.com' };
    expect(manifestProblems(storageClass)).toEqual(['StorageClass/fast: cluster-scoped kind with metadata.namespace "db"']);
    expect(manifestProblems({ ...storageClass, metadata: { name: 'fast' } })).toEqual([]);
  });
});
