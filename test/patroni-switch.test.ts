import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  PatroniSwitchOptions, patroniDemoteScript, patroniFenceScript, patroniPromoteScript, patroniStandbyCluster,
} from '../src/dr/patroni-switch';

// The DR switch scripts for Patroni sites: the standby block, that each script is valid sh, and what each does
// against a stand-in curl and psql answering as Patroni 3.0.2 does (patroni/api.py). Run for real against Patroni in
// test-runtime/dr-postgres.runtime.test.ts.

const options: PatroniSwitchOptions = {
  memberApis: ['http://orders-0.orders-headless.shop.svc.cluster.local:8008', 'http://orders-1.orders-headless.shop.svc.cluster.local:8008'],
  apiPort: 8008,
  peerHost: 'orders-site-b.shop.svc.clusterset.local',
  peerPort: 5432,
  slotName: 'site_a',
  timeoutSeconds: 4,
};
const fenceOptions = { ...options, clientHost: 'orders.shop.svc.cluster.local' };

describe('patroniStandbyCluster', () => {
  test('follows the peer through the slot it keeps for this site, created by pg_basebackup', () => {
    expect(patroniStandbyCluster(options)).toEqual({
      host: 'orders-site-b.shop.svc.clusterset.local', port: 5432, primary_slot_name: 'site_a', create_replica_methods: ['basebackup'],
    });
  });

  test.each(['Site-A', 'site-a', ''])('refuses a slot name Patroni would skip: %j', (slotName) => {
    expect(() => patroniStandbyCluster({ ...options, slotName })).toThrow(
      `patroni-switch: slotName must match /^[a-z0-9_]+$/ (Patroni's slot names), got ${JSON.stringify(slotName)}`);
  });
});

describe('switch scripts', () => {
  const scripts = {
    promote: patroniPromoteScript(options),
    fence: patroniFenceScript(fenceOptions),
    demote: patroniDemoteScript(options),
  };

  test.each(Object.entries(scripts))('%s parses with sh -n', (_name, script) => {
    expect(() => execFileSync('sh', ['-n', '-c', script], { stdio: 'pipe' })).not.toThrow();
  });

  test('each PATCH body is what Patroni merges: promote removes standby_cluster and the fence, demote sets the peer', () => {
    const body = (script: string) => JSON.parse(script.match(/^patch_config '(.*)' \|\|/m)![1]);
    expect(body(scripts.promote)).toEqual({ standby_cluster: null, postgresql: { parameters: { default_transaction_read_only: null } } });
    expect(body(scripts.fence)).toEqual({ postgresql: { parameters: { default_transaction_read_only: 'on' } } });
    expect(body(scripts.demote)).toEqual({
      standby_cluster: patroniStandbyCluster(options), postgresql: { parameters: { default_transaction_read_only: null } },
    });
  });

  test('refuses member APIs that are not URLs, and a timeout that is not a positive integer', () => {
    expect(() => patroniPromoteScript({ ...options, memberApis: [] })).toThrow('patroni-switch: memberApis must be http(s) URLs without spaces, got []');
    expect(() => patroniPromoteScript({ ...options, memberApis: ["http://x'; rm -rf /"] })).toThrow('memberApis must be http(s) URLs without spaces');
    expect(() => patroniPromoteScript({ ...options, timeoutSeconds: 0 })).toThrow('patroni-switch: timeoutSeconds must be a positive integer, got 0');
  });

  test('a client host that is no plain word stays data', () => {
    const script = patroniFenceScript({ ...fenceOptions, clientHost: 'x$(touch /tmp/pwned)' });
    expect(script).toContain("export PGHOST='x$(touch /tmp/pwned)' PGDATABASE=postgres");
  });
});

/**
 * Stand-in curl and psql. curl answers `<METHOD> <path>` from a table by the member's host (`a` or `b`), with
 * `*` for any member; no entry: connection refused (http_code 000, exit 7). psql answers by the SQL's first word.
 */
interface Stand { bin: string; dir: string; calls(): string[] }
function stand(curl: Record<string, [number, string]>, psql: Record<string, [number, string]>): Stand {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patroni-switch-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const table = (t: Record<string, [number, string]>) => Object.entries(t).map(([k, [code, body]]) => `${k}\t${code}\t${body}`).join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'curl.tsv'), table(curl));
  fs.writeFileSync(path.join(dir, 'psql.tsv'), table(psql));
  fs.writeFileSync(path.join(bin, 'curl'), `#!/bin/sh
method=GET; fmt=""; url=""
while [ $# -gt 0 ]; do
  case "$1" in -X) method=$2; shift 2 ;; -w) fmt=$2; shift 2 ;; -m|-H|--data-binary) shift 2 ;; -s) shift ;; *) url=$1; shift ;; esac
done
host=\${url#http://}; host=\${host%%[.:]*}; p=/\${url#http://*/}
echo "curl $method $host $p" >> "$STAND/calls"
line=$(grep -F "$host $method $p	" "$STAND/curl.tsv" || grep -F "* $method $p	" "$STAND/curl.tsv")
if [ -z "$line" ]; then printf '%s' "$fmt" | sed 's/%{http_code}/000/'; exit 7; fi
printf '%s' "$(echo "$line" | cut -f3)"; printf '%s' "$fmt" | sed "s/%{http_code}/$(echo "$line" | cut -f2)/"
`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'psql'), `#!/bin/sh
for a; do sql=$a; done
echo "psql $sql" >> "$STAND/calls"
line=$(grep -F "\${sql%% *}	" "$STAND/psql.tsv")
out=$(echo "$line" | cut -f3); code=$(echo "$line" | cut -f2)
if [ "$code" = 0 ]; then echo "$out"; else echo "$out" >&2; fi
exit \${code:-2}
`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'sleep'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return { bin, dir, calls: () => fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n') };
}

function run(script: string, s: Stand): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync('sh', ['-c', script], { env: { PATH: `${s.bin}:/usr/bin:/bin`, STAND: s.dir }, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e: any) {
    return { code: e.status, out: `${e.stdout}${e.stderr}` };
  } finally {
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
}

/** GET /patroni and /cluster bodies as Patroni writes them (json.dumps: `"key": value`). */
const json = (value: unknown) => JSON.stringify(value).replace(/":/g, '": ').replace(/,"/g, ', "');
const patroni = (role: string, state = 'running') => json({ state, role, server_version: 150000 });

describe('switch scripts against a stand-in Patroni', () => {
  test('promote: PATCH to the first member that answers, then waits until the lock holder runs out of recovery', () => {
    const s = stand({
      'a PATCH /config': [200, '{}'],
      'a GET /patroni': [200, patroni('master')],
      'a GET /primary': [200, ''],
    }, {});
    const r = run(patroniPromoteScript({ ...options, memberApis: ['http://b:8008', 'http://a:8008'] }), s);
    expect(r.out).toMatch(/PATCH http:\/\/b:8008\/config: HTTP 000/);
    expect(r.out).toMatch(/PATCH http:\/\/a:8008\/config \{"standby_cluster":null,.*\}: HTTP 200/);
    expect(r.out).toMatch(/promoted: http:\/\/a:8008 runs as primary and holds the leader lock/);
    expect(r.code).toBe(0);
  });

  test('promote: a lock holder still in recovery (/primary 200 from the configuration alone) is not taken for a primary; timeout says what it saw', () => {
    const s = stand({
      '* PATCH /config': [200, '{}'],
      'a GET /patroni': [200, patroni('standby_leader')],
      'a GET /primary': [200, ''],
      'a GET /cluster': [200, json({ members: [{ name: 'a', role: 'leader', state: 'running' }] })],
    }, {});
    const r = run(patroniPromoteScript({ ...options, memberApis: ['http://a:8008'] }), s);
    expect(r.code).toBe(1);
    expect(r.out).toContain('timed out after 4s waiting for a leader running as primary; the members answer:');
    expect(r.out).toContain('http://a:8008/patroni: HTTP 200 {"state": "running", "role": "standby_leader"');
  });

  test('no member answers: exits 1 saying so', () => {
    const r = run(patroniPromoteScript(options), stand({}, {}));
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAILED: no member of 2 accepted PATCH /config');
  });

  test('fence: read-only first, then the client sessions terminated, then a refused write', () => {
    const s = stand({ '* PATCH /config': [200, '{}'] }, {
      SHOW: [0, 'on'],
      SELECT: [0, '3'],
      CREATE: [1, 'ERROR:  cannot execute CREATE TABLE in a read-only transaction'],
    });
    const r = run(patroniFenceScript(fenceOptions), s);
    expect(r.out).toContain('new sessions on orders.shop.svc.cluster.local are read-only; terminated 3 client session(s)');
    expect(r.out).toContain('fenced: orders.shop.svc.cluster.local refuses writes (ERROR:  cannot execute CREATE TABLE in a read-only transaction)');
    expect(r.code).toBe(0);
  });

  test('fence: a write that is accepted fails the fence', () => {
    const s = stand({ '* PATCH /config': [200, '{}'] }, { SHOW: [0, 'on'], SELECT: [0, '0'], CREATE: [0, 'CREATE TABLE'] });
    const r = run(patroniFenceScript(fenceOptions), s);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAILED: a write was accepted on orders.shop.svc.cluster.local');
  });

  test('demote: done once the standby leader\'s WAL receiver streams from the peer', () => {
    const cluster = json({ members: [{ name: 'a', role: 'standby_leader', state: 'running', api_url: 'http://a:8008/patroni', host: '10.0.0.1', port: 5432 }] });
    const s = stand({
      '* PATCH /config': [200, '{}'],
      'a GET /patroni': [200, patroni('standby_leader')],
      'a GET /standby-leader': [200, ''],
      'a GET /cluster': [200, cluster],
    }, { SELECT: [0, 'streaming orders-site-b.shop.svc.clusterset.local:5432'] });
    const r = run(patroniDemoteScript({ ...options, memberApis: ['http://a:8008'] }), s);
    expect(r.out).toContain('demoted: http://a:8008 is the standby leader, streaming from orders-site-b.shop.svc.clusterset.local:5432');
    expect(r.out).toContain('the other members follow the standby leader on timeline ');
    expect(r.code).toBe(0);
  });

  test('demote: a replica left on the old timeline (it replayed the old primary\'s last WAL) is cloned again', () => {
    const cluster = json({ members: [{ name: 'a', role: 'standby_leader', state: 'running', host: '10.0.0.1', port: 5432 }] });
    const s = stand({
      '* PATCH /config': [200, '{}'],
      'a GET /patroni': [200, json({ state: 'running', role: 'standby_leader', timeline: 2 })],
      'a GET /standby-leader': [200, ''],
      'a GET /cluster': [200, cluster],
      'b GET /patroni': [200, json({ state: 'running', role: 'replica', timeline: 1 })],
      'b POST /reinitialize': [200, 'reinitialize started'],
    }, { SELECT: [0, 'streaming orders-site-b.shop.svc.clusterset.local:5432'] });
    const r = run(patroniDemoteScript({ ...options, memberApis: ['http://a:8008', 'http://b:8008', 'http://c:8008'], timeoutSeconds: 2 }), s);
    expect(r.out).toContain('demoted: http://a:8008 is the standby leader, streaming from orders-site-b.shop.svc.clusterset.local:5432 (timeline 2)');
    expect(r.out).toContain('http://b:8008 is not on timeline 2 after 2s: POST /reinitialize: HTTP 200 reinitialize started');
    // The stand-in keeps answering timeline 1: the script waits its bound and says so.
    expect(r.out).toContain('timed out after 2s waiting for the other members on timeline 2');
    expect(r.code).toBe(1);
  });

  test('demote: a member that does not answer is left to its own start (Patroni checks for divergence when it starts)', () => {
    const cluster = json({ members: [{ name: 'a', role: 'standby_leader', state: 'running', host: '10.0.0.1', port: 5432 }] });
    const s = stand({
      '* PATCH /config': [200, '{}'],
      'a GET /patroni': [200, json({ state: 'running', role: 'standby_leader', timeline: 2 })],
      'a GET /standby-leader': [200, ''],
      'a GET /cluster': [200, cluster],
      'b GET /patroni': [200, json({ state: 'running', role: 'replica', timeline: 2 })],
    }, { SELECT: [0, 'streaming orders-site-b.shop.svc.clusterset.local:5432'] });
    const r = run(patroniDemoteScript({ ...options, memberApis: ['http://a:8008', 'http://b:8008', 'http://c:8008'] }), s);
    expect(r.out).toContain('the other members follow the standby leader on timeline 2; not answering, left to their own start: http://c:8008');
    expect(r.code).toBe(0);
  });

  test('demote: a standby leader that does not stream from the peer times out, showing its WAL receiver', () => {
    const cluster = json({ members: [{ name: 'a', role: 'standby_leader', state: 'running', host: '10.0.0.1', port: 5432 }] });
    const s = stand({
      '* PATCH /config': [200, '{}'],
      'a GET /patroni': [200, patroni('standby_leader')],
      'a GET /standby-leader': [200, ''],
      'a GET /cluster': [200, cluster],
    }, { SELECT: [0, ''] });
    const r = run(patroniDemoteScript({ ...options, memberApis: ['http://a:8008'] }), s);
    expect(r.code).toBe(1);
    expect(r.out).toContain('10.0.0.1:5432 WAL receiver: none');
  });
});
