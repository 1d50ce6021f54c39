import { Chart, Testing } from 'cdk8s';
import { Engine, MysqlVersion, StatefulDatabase } from '../src';
import { LocalCluster } from './harness/cluster';
import { LocalPod } from './harness/pod';
import { synthValid } from '../test/support/synth';

// The application user of a single MySQL instance, from the synthesized YAML: the server (MariaDB 10.11 standing in
// for the mysql image, test-runtime/harness/mysql-image.ts) started by the harness, then the application-user Job.
// Where MariaDB and MySQL 8.4 differ for what this Job does:
// - MariaDB has no super_read_only: the Job's wait asks for it with SHOW GLOBAL VARIABLES, which answers no row on
//   MariaDB, as on a writable MySQL (test/mysql-application-user.test.ts runs the wait against a MySQL-like stand-in).
// - CREATE USER uses mysql_native_password here (an unsalted hash: the same password gives the same hash), and
//   caching_sha2_password on MySQL 8.4, whose ALTER USER ... IDENTIFIED BY stores a new salt on every run.
// - The statements themselves (CREATE USER IF NOT EXISTS, ALTER USER ... IDENTIFIED BY, GRANT ALL ON `db`.*, the
//   `\_` escape, SET SESSION sql_log_off / sql_mode) are the same in both.
const ROOT_PASSWORD = 'root-password-1';
const FIRST_PASSWORD = 'generated-Xy7pQ2rT9';
// What a Secret may hold: quotes, backslashes, SQL and shell syntax, a newline at the end.
const NEW_PASSWORD = "it's a \\' \"pass\"; DROP DATABASE shop_orders; -- `x` $(id) \\\n";

function synth(): any[] {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
  // `_` in the name: the grant must not match `shopxorders` (GRANT treats `_` as a wildcard unless escaped).
  new StatefulDatabase(chart, 'db', { name: 'orders-db', engine: Engine.mysql({ version: MysqlVersion.V8_4 }), databaseName: 'shop_orders' });
  return synthValid(chart);
}

/** Runs SQL (stdin) in the database container: as root over the socket, or over TCP as `user` with `password`. */
async function sql(pod: LocalPod, query: string, as?: { user: string; password: string }): Promise<string> {
  const argv = as
    ? ['env', `MYSQL_PWD=${as.password}`, 'mysql', `-u${as.user}`, '-h', pod.ip, '-N', '-B']
    : ['sh', '-c', 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot --socket=/var/run/mysqld/mysqld.sock -N -B'];
  const r = await pod.exec('mysql', argv, 30, query);
  if (r.code !== 0) throw new Error(`${query}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('MySQL application user (MariaDB 10.11 standing in), from the synthesized YAML', () => {
  const manifests = synth();
  const job = manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith('orders-db-app-'));
  // The generated Secret, as the credentials Job leaves it in the cluster; changed below like a rotated Secret.
  const appSecret = { username: 'app', password: FIRST_PASSWORD };
  let cluster: LocalCluster;
  let db: LocalPod;

  beforeAll(async () => {
    cluster = new LocalCluster(manifests, {
      'orders-db-credentials': { username: 'root', password: ROOT_PASSWORD },
      'orders-db-app': appSecret,
    });
    [db] = await cluster.startStatefulSet('orders-db', { readyTimeoutSeconds: 180 });
    // A database the application user must not reach, whose name the unescaped grant pattern would match.
    await sql(db, 'CREATE DATABASE shopxorders; CREATE TABLE shopxorders.t (id INT PRIMARY KEY)');
  });
  afterAll(async () => cluster?.destroy());

  const app = (password = appSecret.password) => ({ user: 'app', password });

  test('the Job creates the user: it logs in with the Secret\'s password, owns its database and nothing else', async () => {
    expect(job).toBeDefined();
    const run = await cluster.runJob(job.metadata.name);
    expect(run.code).toBe(0);
    expect(run.logs).toContain('application user app ready: ALL on database shop_orders only');

    expect(await sql(db, 'SELECT CURRENT_USER()', app())).toBe('app@%');
    await sql(db, 'CREATE TABLE shop_orders.items (id INT PRIMARY KEY, name VARCHAR(50)); INSERT INTO shop_orders.items VALUES (1, \'one\')', app());
    expect(await sql(db, 'SELECT name FROM shop_orders.items', app())).toBe('one');
    // Exactly these grants: USAGE (login) and ALL on its database (`\_`: this name, not a pattern), no GRANT
    // OPTION. Batch output (-B) prints a backslash as `\\`.
    expect((await sql(db, "SHOW GRANTS FOR 'app'@'%'")).split('\n').map((l) => l.replace(/ IDENTIFIED BY PASSWORD '[^']*'/, ''))).toEqual([
      'GRANT USAGE ON *.* TO `app`@`%`',
      'GRANT ALL PRIVILEGES ON `shop\\\\_orders`.* TO `app`@`%`',
    ]);

    await expect(sql(db, 'SELECT * FROM shopxorders.t', app())).rejects.toThrow(/denied/i);
    await expect(sql(db, 'CREATE TABLE shopxorders.u (id INT PRIMARY KEY)', app())).rejects.toThrow(/denied/i);
    await expect(sql(db, 'CREATE DATABASE other', app())).rejects.toThrow(/denied/i);
    await expect(sql(db, 'SELECT COUNT(*) FROM mysql.user', app())).rejects.toThrow(/denied/i);
    await expect(sql(db, "GRANT SELECT ON shop_orders.* TO 'app'@'%'", app())).rejects.toThrow(/denied/i);
    await expect(sql(db, "CREATE USER 'other'@'%' IDENTIFIED BY 'x'", app())).rejects.toThrow(/denied/i);
    // Root is unchanged.
    expect(await sql(db, 'SELECT 1', { user: 'root', password: ROOT_PASSWORD })).toBe('1');
  });

  test('a second run changes nothing', async () => {
    const state = () => sql(db, "SELECT CONCAT_WS('|', (SELECT COUNT(*) FROM mysql.user WHERE User = 'app'), "
      + "(SELECT authentication_string FROM mysql.user WHERE User = 'app' AND Host = '%'), "
      + "(SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'shop%'), "
      + '(SELECT GROUP_CONCAT(name) FROM shop_orders.items))');
    const grants = () => sql(db, "SHOW GRANTS FOR 'app'@'%'");
    const before = [await state(), await grants()];
    const run = await cluster.runJob(job.metadata.name);
    expect(run.code).toBe(0);
    // mysql_native_password: same password, same hash (MySQL 8.4's caching_sha2_password would store a new salt).
    expect([await state(), await grants()]).toEqual(before);
    expect(before[0]).toMatch(/^1\|\*[0-9A-F]{40}\|2\|one$/);
    expect(await sql(db, 'SELECT COUNT(*) FROM shop_orders.items', app())).toBe('1');
  });

  test('a changed password in the Secret is applied by the next run: the new one works, the old one is refused', async () => {
    appSecret.password = NEW_PASSWORD;
    const run = await cluster.runJob(job.metadata.name);
    expect(run.code).toBe(0);
    expect(run.logs).not.toContain('DROP DATABASE');
    expect(await sql(db, 'SELECT CURRENT_USER()', app(NEW_PASSWORD))).toBe('app@%');
    await expect(sql(db, 'SELECT 1', app(FIRST_PASSWORD))).rejects.toThrow(/Access denied/);
    // Nothing of the password ran as SQL.
    expect(await sql(db, 'SELECT GROUP_CONCAT(name) FROM shop_orders.items', app(NEW_PASSWORD))).toBe('one');
    expect(await sql(db, "SELECT COUNT(*) FROM mysql.user WHERE User = 'app'")).toBe('1');
  });

  test('a Secret naming root (even with trailing spaces, which MySQL ignores in account names) is refused', async () => {
    appSecret.username = 'root  ';
    try {
      const run = await cluster.runJob(job.metadata.name);
      expect(run.code).not.toBe(0);
      expect(run.logs).toContain('the application user is the superuser (root): give it a name of its own');
      expect(await sql(db, 'SELECT 1', { user: 'root', password: ROOT_PASSWORD })).toBe('1');
      await expect(sql(db, 'SELECT 1', { user: 'root', password: NEW_PASSWORD })).rejects.toThrow(/Access denied/);
    } finally {
      appSecret.username = 'app';
    }
  });
});
