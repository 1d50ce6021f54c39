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
    // The hard fence makes the site a standby cluster of the peer with the demote's own body.
    expect(JSON.parse(scripts.fence.match(/^HARD='(.*)'$/m)![1])).toEqual(body(scripts.demote));
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
 * `*` for any member; no entry: connection refused (http_code 000, exit 7). Once a PATCH body names
 * `standby_cluster` (Patroni demotes the primary), the `afterStandby` table answers first. psql answers with the first
 * entry whose key the SQL contains.
 */
interface Stand { bin: string; dir: string; calls(): string[] }
type Answers = Record<string, [number, string]>;
function stand(curl: Answers, psql: Answers, afterStandby: Answers = {}): Stand {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patroni-switch-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const table = (t: Answers) => Object.entries(t).map(([k, [code, body]]) => `${k}\t${code}\t${body}`).join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'curl.tsv'), table(curl));
  fs.writeFileSync(path.join(dir, 'after.tsv'), table(afterStandby));
  fs.writeFileSync(path.join(dir, 'psql.tsv'), table(psql));
  fs.writeFileSync(path.join(bin, 'curl'), `#!/bin/sh
method=GET; fmt=""; url=""; data=""
while [ $# -gt 0 ]; do
  case "$1" in -X) method=$2; shift 2 ;; -w) fmt=$2; shift 2 ;; --data-binary) data=$2; shift 2 ;; -m|-H) shift 2 ;; -s) shift ;; *) url=$1; shift ;; esac
done
host=\${url#http://}; host=\${host%%[.:]*}; p=/\${url#http://*/}
echo "curl $method $host $p\${data:+ $data}" >> "$STAND/calls"
tables="$STAND/curl.tsv"; [ -e "$STAND/standby" ] && tables="$STAND/after.tsv $tables"
line=$(cat $tables | grep -F "$host $method $p	" | head -n 1)
[ -n "$line" ] || line=$(cat $tables | grep -F "* $method $p	" | head -n 1)
if [ -z "$line" ]; then printf '%s' "$fmt" | sed 's/%{http_code}/000/'; exit 7; fi
case "$method $data" in PATCH*'"standby_cluster":{'*) touch "$STAND/standby" ;; esac
printf '%s' "$(echo "$line" | cut -f3)"; printf '%s' "$fmt" | sed "s/%{http_code}/$(echo "$line" | cut -f2)/"
`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'psql'), `#!/bin/sh
for a; do sql=$a; done
echo "psql $sql" >> "$STAND/calls"
line=""
while IFS= read -r entry; do
  case "$sql" in *"\${entry%%	*}"*) line=$entry; break ;; esac
done < "$STAND/psql.tsv"
out=$(echo "$line" | cut -f3); code=$(echo "$line" | cut -f2)
if [ "$code" = 0 ]; then echo "$out"; else echo "$out" >&2; fi
exit \${code:-2}
`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'sleep'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return { bin, dir, calls: () => fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n') };
}

/** Runs a script against the stand-ins: its exit code, its output, and the calls it made (`curl METHOD host path [body]`, `psql SQL`). */
function run(script: string, s: Stand): { code: number; out: string; calls: string[] } {
  let result: { code: number; out: string };
  try {
    result = { code: 0, out: execFileSync('sh', ['-c', script], { env: { PATH: `${s.bin}:/usr/bin:/bin`, STAND: s.dir }, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e: any) {
    result = { code: e.status, out: `${e.stdout}${e.stderr}` };
  }
  const calls = fs.existsSync(path.join(s.dir, 'calls')) ? s.calls() : [];
  fs.rmSync(s.dir, { recursive: true, force: true });
  return { ...result, calls };
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

  describe('fence', () => {
    const standbyCluster = json({
      members: [
        { name: 'a', role: 'replica', state: 'running', host: '10.0.0.1', port: 5432 },
        { name: 'b', role: 'standby_leader', state: 'running', host: '10.0.0.2', port: 5432 },
      ],
    });
    /** Site of members a (replica) and b (leader): b runs as primary until a PATCH sets standby_cluster. */
    const site = (psql: Answers, over: Answers = {}) => stand({
      '* PATCH /config': [200, '{}'],
      'a GET /patroni': [200, patroni('replica')],
      'b GET /patroni': [200, patroni('master')],
      'b GET /primary': [200, ''],
      'b GET /config': [200, json({ loop_wait: 10, slots: { dr_site_b: { type: 'physical' } } })],
      ...over,
    }, {
      'SHOW': [0, 'on'],
      'pg_terminate_backend': [0, '3'],
      'BEGIN READ WRITE': [1, 'ERROR:  cannot set transaction read-write mode during recovery'],
      'CREATE': [1, 'ERROR:  cannot execute CREATE TABLE in a read-only transaction'],
      'json_each': [0, "'dr_site_b'"],
      'pg_current_wal_lsn': [0, 'received dr_site_b: flushed 0/3000148, 0 bytes behind 0/3000148'],
      ...psql,
    }, {
      'b GET /patroni': [200, json({ state: 'running', role: 'standby_leader', timeline: 1 })],
      'b GET /primary': [503, ''],
      'b GET /standby-leader': [200, ''],
      'b GET /cluster': [200, standbyCluster],
    });
    const fence = patroniFenceScript({ ...fenceOptions, memberApis: ['http://a:8008', 'http://b:8008'] });

    test('read-only first, sessions terminated, the peer has all WAL, then standby_cluster on the leader: no primary left, READ WRITE refused', () => {
      const r = run(fence, site({}));
      expect(r.out).toContain('new sessions on orders.shop.svc.cluster.local are read-only; terminated 3 client session(s)');
      expect(r.out).toContain('soft fence: orders.shop.svc.cluster.local refuses writes by default (ERROR:  cannot execute CREATE TABLE in a read-only transaction)');
      expect(r.out).toContain("waiting until the peer has flushed all WAL of this site (slots 'dr_site_b')");
      expect(r.out).toMatch(/the peer has all WAL of this site after \d+s: received dr_site_b: flushed 0\/3000148, 0 bytes behind 0\/3000148/);
      expect(r.out).toContain('fenced: this site is a standby cluster of orders-site-b.shop.svc.clusterset.local:5432; the standby leader 10.0.0.2:5432 refuses READ WRITE '
        + '(ERROR:  cannot set transaction read-write mode during recovery)');
      expect(r.code).toBe(0);
      // The soft PATCH goes to any member, the hard one to the leader (whose HA loop it wakes), with the demote's body.
      const patches = r.calls.filter((c) => c.startsWith('curl PATCH'));
      expect(patches).toEqual([
        'curl PATCH a /config {"postgresql":{"parameters":{"default_transaction_read_only":"on"}}}',
        `curl PATCH b /config ${JSON.stringify({ standby_cluster: patroniStandbyCluster(options), postgresql: { parameters: { default_transaction_read_only: null } } })}`,
      ]);
      // The permanent slots come from Patroni's configuration; the catch-up compares the walsender's flush_lsn to the WAL written.
      const sql = r.calls.filter((c) => c.startsWith('psql '));
      expect(sql.find((c) => c.includes('json_each'))).toContain(`json_each($cfg$${json({ loop_wait: 10, slots: { dr_site_b: { type: 'physical' } } })}$cfg$::json -> 'slots')`);
      expect(sql.find((c) => c.includes('pg_current_wal_lsn'))).toContain("WHEN r.flush_lsn >= w.lsn THEN 'received'");
      expect(sql.find((c) => c.includes('pg_current_wal_lsn'))).toContain("unnest(ARRAY['dr_site_b']::text[])");
    });

    test('a peer that does not catch up: exits 1 naming the bytes it lacks and what promoting it now loses; the site stays primary', () => {
      const r = run(fence, site({ pg_current_wal_lsn: [0, 'missing dr_site_b: flushed 0/3000000, 328 bytes behind 0/3000148'] }));
      expect(r.code).toBe(1);
      expect(r.out).toContain('FAILED: the peer has not received all WAL of this site after 4s: missing dr_site_b: flushed 0/3000000, 328 bytes behind 0/3000148. '
        + 'Promoting the peer now loses those bytes (the last writes on this site). The site stays read-only for new sessions and is still primary: '
        + 'run the fence again to wait longer, or promote the peer accepting the loss, then run the demote Job here.');
      expect(r.calls.filter((c) => c.includes('standby_cluster'))).toEqual([]);
    });

    test('no permanent physical slot in Patroni\'s configuration: refuses to go on, as nothing tells what the peer has', () => {
      const r = run(fence, site({ json_each: [0, ''] }));
      expect(r.code).toBe(1);
      expect(r.out).toContain("FAILED: Patroni's configuration has no permanent physical slot (slots): nothing tells whether the peer has this site's WAL; not fencing further");
    });

    test('a write accepted under the soft fence fails it before anything else', () => {
      const r = run(fence, site({ CREATE: [0, 'CREATE TABLE'] }));
      expect(r.code).toBe(1);
      expect(r.out).toContain('FAILED: a write was accepted on orders.shop.svc.cluster.local');
    });

    test('a READ WRITE transaction accepted once demoted fails the fence', () => {
      const r = run(fence, site({ 'BEGIN READ WRITE': [0, ''] }));
      expect(r.code).toBe(1);
      expect(r.out).toContain('FAILED: a READ WRITE transaction was accepted on the standby leader 10.0.0.2:5432');
    });

    test('a second run on a site that is a standby cluster already changes nothing', () => {
      const r = run(fence, site({}, {
        'b GET /patroni': [200, json({ state: 'running', role: 'standby_leader', timeline: 1 })],
        'b GET /primary': [503, ''],
        'b GET /standby-leader': [200, ''],
        'b GET /cluster': [200, standbyCluster],
      }));
      expect(r.code).toBe(0);
      expect(r.out).toContain('already fenced: no member runs as primary, http://b:8008 is a standby leader (standby_cluster: orders-site-b.shop.svc.clusterset.local:5432); nothing to do');
      expect(r.calls.filter((c) => c.startsWith('curl PATCH') || c.startsWith('psql'))).toEqual([]);
    });
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
