import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApplicationUser, Engine, RedisVersion, ReplicatedDatabase, StatefulDatabase, ValkeyVersion } from '../src';
import { newChart, jobNamed, only, synthValid } from './support/synth';

// The Redis/Valkey application user: an ACL user every member defines at start, from the application user's
// Secret, before it serves a client. The start scripts are run with sh against a stand-in server that prints its
// argv and the config it reads from stdin.

const valkey = () => Engine.valkey({ version: ValkeyVersion.V8_0 });
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

function single(props: Record<string, unknown> = {}, engine = valkey()): any[] {
  const chart = newChart('data');
  new StatefulDatabase(chart, 'db', { name: 'db', engine, ...props });
  return synthValid(chart);
}

function replicated(props: Record<string, unknown> = {}): any[] {
  const chart = newChart('data');
  new ReplicatedDatabase(chart, 'db', { name: 'db', engine: valkey(), zones: ['a', 'b', 'c'], ...props });
  return synthValid(chart);
}

const containers = (manifests: any[]) => only(manifests, 'StatefulSet').spec.template.spec.containers;
const envNames = (c: any) => (c.env ?? []).map((e: any) => e.name);
const secretOf = (c: any, name: string) => c.env.find((e: any) => e.name === name)?.valueFrom?.secretKeyRef;

interface StartResult { readonly code: number; readonly argv: string; readonly stdin: string; readonly stderr: string }

/** Runs a start script with a stand-in server (argv and stdin to files) and stand-ins for the Sentinel discovery. */
function runStart(script: string, server: string, env: Record<string, string>): StartResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-app-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  try {
    fs.writeFileSync(path.join(bin, server), `#!/bin/sh\necho "$*" > ${dir}/argv\ncat > ${dir}/stdin\n`, { mode: 0o755 });
    // No Sentinel answers (connection refused); no waiting: `sleep` returns at once, the clock jumps 10 s a reading.
    fs.writeFileSync(path.join(bin, 'valkey-cli'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'sleep'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'date'), `#!/bin/sh\nn=$(cat ${dir}/clock 2>/dev/null || echo 1000); echo $((n + 10)) > ${dir}/clock; echo $n\n`, { mode: 0o755 });
    const r = spawnSync('sh', ['-c', script.split('/data/sentinel').join(path.join(dir, 'sentinel'))], {
      env: { PATH: `${bin}:/usr/bin:/bin`, HOSTNAME: 'db-1', DB_PASSWORD: 'super pw', ...env }, encoding: 'utf8',
    });
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
    return { code: r.status ?? 1, argv: read('argv').trim(), stdin: read('stdin'), stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('Redis/Valkey application user, single instance', () => {
  test('defaults to a generated application user: Secret <name>-app, wired into the server container only', () => {
    const manifests = single();
    const [server, exporter] = containers(manifests);
    expect(server.name).toBe('valkey');
    expect(secretOf(server, 'APP_USERNAME')).toEqual({ name: 'db-app', key: 'username' });
    expect(secretOf(server, 'APP_PASSWORD')).toEqual({ name: 'db-app', key: 'password' });
    expect(envNames(server)).not.toContain('APP_DATABASE');
    // The superuser stays for probes, the preStop SHUTDOWN and the exporter.
    for (const name of ['DB_PASSWORD', 'REDISCLI_AUTH', 'VALKEYCLI_AUTH']) expect(secretOf(server, name)).toEqual({ name: 'db-credentials', key: 'password' });
    expect(server.readinessProbe.exec.command.join(' ')).not.toMatch(/--user|APP_/);
    expect(exporter.name).toBe('metrics-exporter');
    expect(envNames(exporter)).not.toContain('APP_USERNAME');
    expect(secretOf(exporter, 'REDIS_PASSWORD')).toEqual({ name: 'db-credentials', key: 'password' });
    // No application-user Job (the members define the user themselves): only the generator of both Secrets.
    expect(manifests.filter((m) => m.kind === 'Job').map((m) => m.metadata.name)).toEqual([jobNamed(manifests, 'db-creds').metadata.name]);
    // No password and no hash in the YAML.
    expect(JSON.stringify(manifests)).not.toMatch(/#[0-9a-f]{64}/);
  });

  test('the rendered start script: checks, hashes, umask as the image\'s entrypoint, the ACL line on stdin', () => {
    expect(containers(single())[0].command).toEqual(['sh', '-c', [
      'set -eu',
      'case "$APP_USERNAME" in',
      '  \'\'|*[![:alnum:]._@-]*) echo "application user: the name in Secret db-app key username must be letters, digits, \'.\', \'_\', \'-\' or \'@\' (an ACL rule cannot hold it otherwise): fix the Secret" >&2; exit 1 ;;',
      '  default) echo "application user: the name in Secret db-app is \'default\', the superuser\'s: give the application a name of its own" >&2; exit 1 ;;',
      'esac',
      '[ -n "$APP_PASSWORD" ] || { echo "application user: the password in Secret db-app key password is empty: set one" >&2; exit 1; }',
      'app_hash=$(printf \'%s\' "$APP_PASSWORD" | sha256sum | cut -d \' \' -f 1)',
      'echo "application user $APP_USERNAME: ~* &* +@all -@admin"',
      'if [ "$(umask)" = 0022 ]; then umask 0077; fi',
      'exec valkey-server /etc/valkey/valkey.conf --requirepass "$DB_PASSWORD" - <<EOF',
      'user $APP_USERNAME on #$app_hash ~* &* +@all -@admin',
      'EOF',
    ].join('\n')]);
  });

  test.each([
    ['a plain password', 'app', 'secret'],
    ['a password the shell or an ACL line would parse', 'orders.svc@shop', 'p w "q" \'s\' $HOME `id` \\n #x >y <z ~* &* +@all'],
    ['a password with a trailing newline (kept, as the client sends it)', 'app_1', 'pw\n'],
  ])('runs: %s gives the server its SHA-256 on stdin, never the password', (_what, username, password) => {
    const script = containers(single())[0].command[2];
    const r = runStart(script, 'valkey-server', { APP_USERNAME: username, APP_PASSWORD: password });
    expect(r.code).toBe(0);
    expect(r.argv).toBe('/etc/valkey/valkey.conf --requirepass super pw -');
    expect(r.stdin).toBe(`user ${username} on #${sha256(password)} ~* &* +@all -@admin\n`);
  });

  test.each([
    ['a name with a space', 'my app', 'pw', 'the name in Secret db-app key username must be letters, digits'],
    ['a name with a quote', 'a"b', 'pw', 'the name in Secret db-app key username must be letters, digits'],
    ['a name with a newline', 'a\nuser x on nopass', 'pw', 'the name in Secret db-app key username must be letters, digits'],
    ['an empty name', '', 'pw', 'the name in Secret db-app key username must be letters, digits'],
    ['the superuser\'s name', 'default', 'pw', 'the name in Secret db-app is \'default\', the superuser\'s'],
    ['an empty password', 'app', '', 'the password in Secret db-app key password is empty'],
  ])('refuses at start: %s', (_what, username, password, message) => {
    const r = runStart(containers(single())[0].command[2], 'valkey-server', { APP_USERNAME: username, APP_PASSWORD: password });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`application user: ${message}`);
    expect(r.argv).toBe('');
  });

  test('Redis: the same, with redis-server', () => {
    const [server] = containers(single({}, Engine.redis({ version: RedisVersion.V7_4 })));
    expect(server.command[2]).toContain('exec redis-server /etc/redis/redis.conf --requirepass "$DB_PASSWORD" - <<EOF');
    const r = runStart(server.command[2], 'redis-server', { APP_USERNAME: 'app', APP_PASSWORD: 'pw' });
    expect(r.stdin).toBe(`user app on #${sha256('pw')} ~* &* +@all -@admin\n`);
  });

  test('a Secret of the user\'s own: its keys are read', () => {
    const [server] = containers(single({ applicationUser: ApplicationUser.fromSecretName('orders-redis', { usernameKey: 'user', passwordKey: 'pass' }) }));
    expect(secretOf(server, 'APP_USERNAME')).toEqual({ name: 'orders-redis', key: 'user' });
    expect(secretOf(server, 'APP_PASSWORD')).toEqual({ name: 'orders-redis', key: 'pass' });
  });

  test('ApplicationUser.superuser(): the container is what it was (the image\'s entrypoint, no ACL user)', () => {
    const [server] = containers(single({ applicationUser: ApplicationUser.superuser() }));
    expect(server.command).toBeUndefined();
    expect(server.args).toEqual(['/etc/valkey/valkey.conf', '--requirepass', '$(DB_PASSWORD)']);
    expect(envNames(server)).toEqual(['DB_PASSWORD', 'REDISCLI_AUTH', 'VALKEYCLI_AUTH']);
  });
});

describe('Redis/Valkey application user, Sentinel', () => {
  test('every member\'s server defines it; the Sentinel and the role reporter hold no application credentials', () => {
    const manifests = replicated();
    const byName = Object.fromEntries(containers(manifests).map((c: any) => [c.name, c]));
    expect(secretOf(byName.valkey, 'APP_USERNAME')).toEqual({ name: 'db-app', key: 'username' });
    expect(secretOf(byName.valkey, 'APP_PASSWORD')).toEqual({ name: 'db-app', key: 'password' });
    for (const name of ['sentinel', 'role-reporter', 'role-labeller']) expect(envNames(byName[name])).not.toContain('APP_USERNAME');
    // Replication and Sentinel keep the superuser.
    expect(byName.valkey.command[2]).toContain('--requirepass "$DB_PASSWORD" --masterauth "$DB_PASSWORD"');
    expect(byName.sentinel.command[2]).toContain('sentinel auth-pass primary');
    expect(manifests.filter((m) => m.kind === 'Job').map((m) => m.metadata.name)).toEqual([jobNamed(manifests, 'db-creds').metadata.name]);
  });

  test('the start script checks before it asks the Sentinels, and gives the ACL line on stdin', () => {
    const script: string = containers(replicated())[0].command[2];
    expect(script.indexOf('case "$APP_USERNAME" in')).toBeLessThan(script.indexOf('discover() {'));
    expect(script.endsWith('exec valkey-server "$@" - <<EOF\nuser $APP_USERNAME on #$app_hash ~* &* +@all -@admin\nEOF')).toBe(true);
    const r = runStart(script, 'valkey-server', { APP_USERNAME: 'app', APP_PASSWORD: 'p w' });
    expect(r.code).toBe(0);
    // No Sentinel answers and nothing saved: member 1 replicates member 0, and defines the user too.
    expect(r.argv).toBe('/etc/valkey/valkey.conf --requirepass super pw --masterauth super pw --replica-announce-ip db-1.db-headless.data.svc'
      + ' --replicaof db-0.db-headless.data.svc 6379 -');
    expect(r.stdin).toBe(`user app on #${sha256('p w')} ~* &* +@all -@admin\n`);
    const refused = runStart(script, 'valkey-server', { APP_USERNAME: 'a b', APP_PASSWORD: 'pw' });
    expect(refused.code).toBe(1);
    expect(refused.argv).toBe('');
  });

  test('ApplicationUser.superuser(): the server starts as before', () => {
    const [server] = containers(replicated({ applicationUser: ApplicationUser.superuser() }));
    expect(envNames(server)).toEqual(['DB_PASSWORD', 'REDISCLI_AUTH']);
    expect(server.command[2]).not.toContain('APP_USERNAME');
    expect(server.command[2].endsWith('exec valkey-server "$@"')).toBe(true);
  });
});

describe('Redis/Valkey application user, synth-time errors', () => {
  test('a generated name an ACL rule could not hold', () => {
    expect(() => single({ applicationUser: ApplicationUser.generate({ username: 'my app' }) }))
      .toThrow('test/db: `applicationUser` username "my app" must start with a letter or \'_\' and hold at most 63 letters, digits or \'_\'.');
  });

  test('the superuser\'s name', () => {
    expect(() => single({ applicationUser: ApplicationUser.generate({ username: 'default' }) }))
      .toThrow('test/db: `applicationUser` username "default" is the superuser\'s: give the application its own name (the default is "app").');
  });

  test.each([['single instance', single], ['Sentinel', replicated]])('%s: an `aclfile` beside the application user', (_what, build) => {
    expect(() => build({ config: { aclfile: '/data/users.acl' } }))
      .toThrow('/db: `config` sets "aclfile", but the application user is defined in the server\'s config, and Redis/Valkey refuse to start with both: remove "aclfile", or set `applicationUser: ApplicationUser.superuser()` and keep your users in the ACL file.');
    expect(() => build({ config: { aclfile: '/data/users.acl' }, applicationUser: ApplicationUser.superuser() })).not.toThrow();
  });
});
