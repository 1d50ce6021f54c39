import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApplicationUser, Engine, MysqlVersion, ReplicatedDatabase, StatefulDatabase } from '../src';
import { newChart, synthValid } from './support/synth';

// The application-user Job's script, as synthesized, run with sh and bash against a stand-in `mysql` client (MySQL
// cannot run here; test-runtime/mysql-application-user.runtime.test.ts runs it against MariaDB). The stand-in answers
// `SHOW GLOBAL VARIABLES WHERE Variable_name = 'super_read_only' AND Value <> 'OFF'` as MySQL 8.4 does: one row
// `super_read_only\tON` on a Group Replication secondary (single-primary mode keeps secondaries super read-only),
// no row on the primary, ERROR 2005 when the Service's name does not resolve (no Ready primary).
// https://dev.mysql.com/doc/refman/8.4/en/group-replication-single-primary-mode.html
// https://dev.mysql.com/doc/refman/8.4/en/show-variables.html

const NASTY = "it's a \\' \"pass\"; DROP DATABASE app; -- `x` $(id) \\\n";

function single(props: Record<string, any> = {}) {
  const chart = newChart('data');
  new StatefulDatabase(chart, 'db', { name: 'db', engine: Engine.mysql({ version: MysqlVersion.V8_4 }), ...props });
  return synthValid(chart);
}

function group(props: Record<string, any> = {}) {
  const chart = newChart('data');
  new ReplicatedDatabase(chart, 'db', {
    name: 'db', zones: ['a', 'b', 'c'], engine: Engine.mysql({ version: MysqlVersion.V8_4 }), databaseName: 'billing', ...props,
  });
  return synthValid(chart);
}

const appJobs = (manifests: any[]) => manifests.filter((m) => m.kind === 'Job' && /^db-app-[0-9a-f]{6}$/.test(m.metadata.name));
const container = (job: any) => job.spec.template.spec.containers[0];
const envOf = (job: any) => Object.fromEntries(container(job).env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));

describe('MySQL application user: the Job', () => {
  test('single instance: one Job against the client Service, root from the credentials Secret, the user from db-app', () => {
    const manifests = single();
    const [job] = appJobs(manifests);
    expect(appJobs(manifests)).toHaveLength(1);
    expect(container(job).image).toBe('docker.io/library/mysql:8.4.3');
    expect(container(job).command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(job.spec.template.spec.securityContext.runAsUser).toBe(999);
    expect(envOf(job)).toEqual({
      MYSQL_HOST: 'db',
      MYSQL_PWD: { name: 'db-credentials', key: 'password' },
      APP_USERNAME: { name: 'db-app', key: 'username' },
      APP_PASSWORD: { name: 'db-app', key: 'password' },
      APP_DATABASE: 'app',
      HOME: '/tmp',
    });
    const script: string = container(job).command[2];
    // Nothing secret on the command line: root's password from MYSQL_PWD, the SQL on stdin.
    expect(script).not.toMatch(/-p|--password/);
    expect(script).toContain('} | sql');
  });

  test('the database is `databaseName` when given; no Job with ApplicationUser.superuser()', () => {
    expect(envOf(appJobs(single({ databaseName: 'orders' }))[0]).APP_DATABASE).toBe('orders');
    expect(appJobs(single({ applicationUser: ApplicationUser.superuser() }))).toEqual([]);
    expect(appJobs(group({ applicationUser: ApplicationUser.superuser() }))).toEqual([]);
    const custom = envOf(appJobs(single({ applicationUser: ApplicationUser.fromSecretName('shop-app', { usernameKey: 'user', passwordKey: 'pw' }) }))[0]);
    expect([custom.APP_USERNAME, custom.APP_PASSWORD]).toEqual([{ name: 'shop-app', key: 'user' }, { name: 'shop-app', key: 'pw' }]);
  });

  test('tls: the Job never falls back to a plain connection', () => {
    expect(container(appJobs(single({ tls: { issuerName: 'ca' } }))[0]).command[2]).toContain(' --ssl-mode=REQUIRED');
    expect(container(appJobs(single())[0]).command[2]).not.toContain('--ssl-mode');
  });

  test('Group Replication: one Job, against the client Service that selects the primary', () => {
    const manifests = group();
    expect(appJobs(manifests)).toHaveLength(1);
    const env = envOf(appJobs(manifests)[0]);
    expect([env.MYSQL_HOST, env.APP_DATABASE]).toEqual(['db', 'billing']);
    const client = manifests.find((m) => m.kind === 'Service' && m.metadata.name === 'db');
    expect(Object.values(client.spec.selector)).toContain('primary');
  });
});

interface Run {
  code: number;
  out: string;
  /** The statements the client got on stdin. */
  sql: string;
  /** Every call's argv. */
  argv: string[];
  /** The stand-in's answer to each wait query, in order. */
  answers: string[];
}

/**
 * The stand-in `mysql`: `-e` queries answer from the states given (one per call: `secondary`, `primary` or `down`;
 * the last repeats); a statement batch on stdin is recorded. `sleep` returns at once.
 */
function runScript(shell: 'sh' | 'bash', script: string, env: Record<string, string>, states: string[]): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysql-app-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'states'), states.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'bin', 'sleep'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'bin', 'mysql'), [
    '#!/bin/sh',
    'printf "%s\\n" "$*" >> "$STUB/argv"',
    'e=; prev=; for a in "$@"; do [ "$prev" = -e ] && e=$a; prev=$a; done',
    '[ "$MYSQL_PWD" = root-pw ] || { echo "ERROR 1045 (28000): Access denied for user \'root\'" >&2; exit 1; }',
    'if [ -n "$e" ]; then',
    '  s=$(head -n 1 "$STUB/states"); [ "$(wc -l < "$STUB/states")" -gt 1 ] && sed -i 1d "$STUB/states"',
    '  echo "$s" >> "$STUB/answers"',
    '  case "$s" in',
    '    down) echo "ERROR 2005 (HY000): Unknown MySQL server host \'$MYSQL_HOST\' (-2)" >&2; exit 1 ;;',
    '    secondary) printf "super_read_only\\tON\\n" ;;',
    '  esac',
    '  exit 0',
    'fi',
    '[ "$(wc -l < "$STUB/states")" -gt 1 ] || [ "$(cat "$STUB/states")" != secondary ] || { echo "ERROR 1290 (HY000): The MySQL server is running with the --super-read-only option so it cannot execute this statement" >&2; exit 1; }',
    'cat >> "$STUB/sql"',
  ].join('\n') + '\n', { mode: 0o755 });
  let code = 0;
  let out = '';
  try {
    out = execFileSync(shell, ['-c', script], {
      env: { PATH: `${dir}/bin:${process.env.PATH}`, STUB: dir, MYSQL_HOST: 'db', MYSQL_PWD: 'root-pw', APP_DATABASE: 'shop_orders', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
  } catch (e: any) {
    code = e.status ?? -1;
    out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
  const run = { code, out, sql: read('sql'), argv: read('argv').split('\n').filter((l) => l), answers: read('answers').split('\n').filter((l) => l) };
  fs.rmSync(dir, { recursive: true, force: true });
  return run;
}

const SCRIPT: string = container(appJobs(group())[0]).command[2];

describe.each(['sh', 'bash'] as const)('MySQL application user: the script, with %s, against a stand-in mysql', (shell) => {
  test('Group Replication: waits while the Service answers like a secondary (or not at all), then creates on the primary', () => {
    const r = runScript(shell, SCRIPT, { APP_USERNAME: 'app', APP_PASSWORD: 'pw-1' }, ['down', 'secondary', 'secondary', 'primary']);
    expect(r.out).toBe('application user app ready: ALL on database shop_orders only\n');
    expect(r.code).toBe(0);
    expect(r.answers).toEqual(['down', 'secondary', 'secondary', 'primary']);
    expect(r.sql).toBe([
      'SET SESSION sql_log_off = ON;',
      "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION';",
      "CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY 'pw-1';",
      "ALTER USER 'app'@'%' IDENTIFIED BY 'pw-1';",
      'CREATE DATABASE IF NOT EXISTS `shop_orders`;',
      "GRANT ALL ON `shop\\_orders`.* TO 'app'@'%';",
      '',
    ].join('\n'));
    // Every call as root to the Service; no password on any command line.
    expect(r.argv.every((a) => a.startsWith('-uroot -hdb -P3306 --connect-timeout=5 --default-character-set=utf8mb4 -N -B'))).toBe(true);
    expect(r.argv.join('\n')).not.toContain('pw-1');
  });

  test('username and password reach SQL only as string literals (quotes and backslashes doubled), never as code', () => {
    const r = runScript(shell, SCRIPT, { APP_USERNAME: "o'brien\\", APP_PASSWORD: NASTY }, ['primary']);
    expect(r.code).toBe(0);
    const lit = "'it''s a \\\\'' \"pass\"; DROP DATABASE app; -- `x` $(id) \\\\\n'";
    expect(r.sql).toContain(`CREATE USER IF NOT EXISTS 'o''brien\\\\'@'%' IDENTIFIED BY ${lit};\n`);
    expect(r.sql).toContain(`ALTER USER 'o''brien\\\\'@'%' IDENTIFIED BY ${lit};\n`);
    expect(r.argv.join('\n')).not.toContain('pass');
    expect(r.out).toBe("application user o'brien\\ ready: ALL on database shop_orders only\n");
  });

  test('a statement refused by a member that became a secondary after the check fails the run (the Job retries)', () => {
    const r = runScript(shell, SCRIPT, { APP_USERNAME: 'app', APP_PASSWORD: 'pw' }, ['primary', 'secondary']);
    // The wait saw a primary; the stand-in then refuses the batch as a super read-only member would.
    expect(r.answers).toEqual(['primary']);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('ERROR 1290');
    expect(r.out).not.toContain('ready');
  });

  test.each([
    ['root', 'the application user is the superuser (root): give it a name of its own'],
    ['root   ', 'the application user is the superuser (root): give it a name of its own'],
    ['', "the application user's Secret holds an empty username or password: give both a value"],
  ])('refuses the username %j before connecting', (username, message) => {
    const r = runScript(shell, SCRIPT, { APP_USERNAME: username, APP_PASSWORD: 'pw' }, ['primary']);
    expect({ code: r.code, out: r.out, calls: r.argv }).toEqual({ code: 1, out: `${message}\n`, calls: [] });
  });

  test('refuses an empty password, and a database name that is not a plain identifier', () => {
    expect(runScript(shell, SCRIPT, { APP_USERNAME: 'app', APP_PASSWORD: '' }, ['primary']).out)
      .toBe("the application user's Secret holds an empty username or password: give both a value\n");
    const r = runScript(shell, SCRIPT, { APP_USERNAME: 'app', APP_PASSWORD: 'pw', APP_DATABASE: 'a`b' }, ['primary']);
    expect({ code: r.code, out: r.out, calls: r.argv }).toEqual({ code: 1, out: 'APP_DATABASE (a`b) is not a plain identifier\n', calls: [] });
  });

  test('gives up after 300 tries (25 minutes of 5 s) without a writable server, and creates nothing', () => {
    const r = runScript(shell, SCRIPT, { APP_USERNAME: 'app', APP_PASSWORD: 'pw' }, ['secondary']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('no writable server at db after 25 minutes (super_read_only ON or no answer)\n');
    expect(r.answers).toHaveLength(301);
    expect(r.sql).toBe('');
  });
});
