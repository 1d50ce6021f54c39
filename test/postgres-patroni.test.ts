import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { Engine, PostgresVersion, ReplicatedDatabase, ReplicatedDatabaseProps } from '../src';
import { newChart, only, synthValid } from './support/synth';
import {
  PATRONI_DYNAMIC_KEY, SPILO_LOCAL_PARAMETERS, patroniClientSslMode, patroniObjectNames, withSpiloLocalParameters,
} from '../src/engines/postgres-patroni';
import { connectionEnv } from '../src/private/connection-env';

// PostgreSQL on Patroni (Spilo): the objects, the invariants Patroni's Kubernetes DCS needs, and the two scripts the
// members run (the leader's preStop switchover, the dynamic-configuration sidecar), run for real with sh against a
// stand-in curl that answers as Patroni's REST API documents it (patroni/api.py, Patroni 3.0.2 and 3.3).

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const engine = Engine.postgres({ version: PostgresVersion.V16 });
const env = (container: any, name: string) => container.env?.find((e: any) => e.name === name);

function synth(props: Partial<ReplicatedDatabaseProps> = {}) {
  const chart = newChart('data');
  const db = new ReplicatedDatabase(chart, 'db', { name: 'db', engine, zones: ZONES, ...props });
  const manifests = synthValid(chart);
  const sts = only(manifests, 'StatefulSet');
  const pod = sts.spec.template.spec;
  const main = pod.containers.find((c: any) => c.name === 'postgresql');
  const sidecar = pod.containers.find((c: any) => c.name === 'patroni-config');
  const config = only(manifests, 'ConfigMap', env(main, 'SPILO_CONFIGURATION').valueFrom.configMapKeyRef.name).data;
  return { db, manifests, sts, pod, main, sidecar, spilo: parse(config['spilo.yaml']), dynamic: JSON.parse(config[PATRONI_DYNAMIC_KEY]) };
}

describe('Patroni on Spilo: objects', () => {
  test('a dynamic settings change leaves the pod template as it was (the sidecar applies it); a Spilo-local one rolls the pods', () => {
    const template = (config: Record<string, string>) => synth({ config }).sts.spec.template;
    const base = template({ work_mem: '32MB' });
    const dynamicChange = template({ work_mem: '64MB', max_connections: '200' });
    expect(dynamicChange).toEqual(base);
    expect(synth({ config: { work_mem: '64MB' } }).dynamic.postgresql.parameters.work_mem).toBe('64MB');
    const localChange = template({ work_mem: '32MB', log_rotation_age: '1h' });
    expect(localChange.metadata.annotations).not.toEqual(base.metadata.annotations);
  });

  test('dynamic settings go to bootstrap.dcs and to the PATCH /config file; Spilo-local ones to the local block', () => {
    const { spilo, dynamic } = synth({
      memory: Size.gibibytes(4),
      synchronousStandbys: 1,
      config: { work_mem: '64MB', max_connections: '200', shared_buffers: '2GB', shared_preload_libraries: 'pg_stat_statements' },
    });
    const dcs = {
      ttl: 30,
      loop_wait: 10,
      retry_timeout: 10,
      maximum_lag_on_failover: 33554432,
      synchronous_mode: true,
      synchronous_node_count: 1,
      postgresql: {
        use_pg_rewind: true,
        parameters: { effective_cache_size: '3072MB', password_encryption: 'scram-sha-256', work_mem: '64MB', max_connections: '200' },
      },
    };
    expect(spilo.bootstrap).toEqual({ dcs });
    expect(dynamic).toEqual(dcs);
    // Patroni lets local parameters win (config.py _build_effective_configuration) and Spilo sets these locally.
    expect(spilo.postgresql).toEqual({ parameters: { shared_buffers: '2GB', shared_preload_libraries: 'pg_stat_statements' } });
    expect(SPILO_LOCAL_PARAMETERS).toContain('shared_buffers');
  });

  test('without local settings there is no top-level postgresql block; synchronous mode off also drops the node count', () => {
    const { spilo, dynamic } = synth();
    expect(Object.keys(spilo)).toEqual(['bootstrap']);
    expect(spilo.bootstrap.dcs.synchronous_mode).toBe(false);
    expect(spilo.bootstrap.dcs).not.toHaveProperty('synchronous_node_count');
    // JSON null removes a key in Patroni's merge (utils.py patch_config).
    expect(dynamic.synchronous_node_count).toBeNull();
  });

  test('parameters added after the plan (archive_timeout) join the one local block instead of a second postgresql key', () => {
    const config = (settings: Record<string, string>) => {
      const chart = newChart('data');
      new ReplicatedDatabase(chart, 'db', { name: 'db', engine, zones: ZONES, config: settings });
      return only(synthValid(chart), 'ConfigMap', 'db-spilo').data['spilo.yaml'];
    };
    // PyYAML (Spilo's yaml.safe_load) keeps only the last of duplicate keys, and so would a second block here.
    const withLocal = withSpiloLocalParameters(config({ shared_buffers: '512MB' }), { archive_timeout: '120s' });
    expect(parse(withLocal, { uniqueKeys: true }).postgresql).toEqual({ parameters: { shared_buffers: '512MB', archive_timeout: '120s' } });
    const without = withSpiloLocalParameters(config({}), { archive_timeout: '120s' });
    expect(without).toMatch(/\npostgresql:\n {2}parameters:\n {4}archive_timeout: 120s\n$/);
    expect(parse(without, { uniqueKeys: true }).postgresql).toEqual({ parameters: { archive_timeout: '120s' } });
  });

  test('the scope is the instance label value, and Patroni\'s selector matches the members and nothing else', () => {
    const { main, sts, manifests } = synth();
    expect(env(main, 'SCOPE').value).toBe('db');
    expect(env(main, 'KUBERNETES_SCOPE_LABEL').value).toBe('app.kubernetes.io/instance');
    // kubernetes.py: _labels = labels + {scope_label: scope}; pods are listed with that selector.
    const selector = { ...JSON.parse(env(main, 'KUBERNETES_LABELS').value), [env(main, 'KUBERNETES_SCOPE_LABEL').value]: env(main, 'SCOPE').value };
    const matches = (labels: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(matches(sts.spec.template.metadata.labels)).toBe(true);
    const otherPods = manifests.filter((m) => m.kind === 'Job' || m.kind === 'CronJob')
      .map((m) => (m.kind === 'Job' ? m.spec.template : m.spec.jobTemplate.spec.template));
    expect(otherPods.length).toBeGreaterThan(0);
    for (const t of otherPods) expect(matches(t.metadata?.labels)).toBe(false);
  });

  test('no ConfigMap the library emits has a name Patroni keeps for the scope', () => {
    const chart = newChart('data');
    for (const name of ['db', 'db-leader', 'orders']) {
      new ReplicatedDatabase(chart, name, {
        name, engine, zones: ZONES, initScripts: { '01.sql': 'select 1;' }, tls: { issuerName: 'ca' },
      });
    }
    const manifests = synthValid(chart);
    const configMaps = new Set(manifests.filter((m) => m.kind === 'ConfigMap').map((m) => m.metadata.name));
    for (const sts of manifests.filter((m) => m.kind === 'StatefulSet')) {
      const scope = env(sts.spec.template.spec.containers[0], 'SCOPE').value;
      expect(patroniObjectNames(scope).filter((n) => configMaps.has(n))).toEqual([]);
    }
  });

  test('tls: Spilo serves cert-manager\'s certificate and CA from the mounted Secret', () => {
    const { main, pod } = synth({ tls: { issuerName: 'ca' } });
    expect(['SSL_CERTIFICATE_FILE', 'SSL_PRIVATE_KEY_FILE', 'SSL_CA_FILE'].map((n) => env(main, n).value)).toEqual(['/tls/tls.crt', '/tls/tls.key', '/tls/ca.crt']);
    expect(pod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'db-tls', defaultMode: 0o440 } });
    // Spilo requires TLS from remote clients unless ALLOW_NOSSL is set: it is not.
    expect(env(main, 'ALLOW_NOSSL')).toBeUndefined();
    const plain = synth().main;
    expect(env(plain, 'SSL_CERTIFICATE_FILE')).toBeUndefined();
    expect(env(plain, 'ALLOW_NOSSL')).toBeUndefined();
  });

  test('the leader hands over in preStop within the grace period; a sidecar applies the dynamic configuration', () => {
    const { main, sidecar, pod } = synth();
    expect(main.lifecycle.preStop.exec.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    expect(sidecar.image).toBe(main.image);
    expect(sidecar.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(sidecar.readinessProbe.exec.command).toEqual(['test', '-f', '/tmp/patroni-config.applied']);
    expect(sidecar.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/patroni-config', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(sidecar.resources.limits).toEqual(sidecar.resources.requests);
    expect(sidecar.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  });

  test('the REST API (no authentication in Spilo) is reachable from the members only', () => {
    const { manifests } = synth();
    const rules = only(manifests, 'NetworkPolicy').spec.ingress;
    const withApi = rules.filter((r: any) => r.ports.some((p: any) => p.port === 8008));
    expect(withApi).toEqual([{
      from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'db', 'app.kubernetes.io/component': 'database' } } }],
      ports: [{ protocol: 'TCP', port: 5432 }, { protocol: 'TCP', port: 8008 }],
    }]);
  });
});

describe('databaseName and initScripts: a Job against the primary, since Spilo does neither', () => {
  const job = (manifests: any[]) => manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith('db-init-'));

  test('no Job without them', () => {
    expect(job(synth().manifests)).toBeUndefined();
  });

  test('the Job connects to the primary Service over TLS as the superuser, and mounts the scripts', () => {
    const { manifests } = synth({ databaseName: 'shop', initScripts: { '01.sql': 'CREATE TABLE t (id int);' } });
    const pod = job(manifests).spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('ghcr.io/zalando/spilo-16:3.3-p3');
    expect(Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef.key]))).toEqual({
      HOME: '/tmp', PGHOST: 'db', PGPORT: '5432', PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '5', PGUSER: 'username', PGPASSWORD: 'password',
    });
    expect(c.volumeMounts).toContainEqual({ name: 'files', mountPath: '/docker-entrypoint-initdb.d', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'files', configMap: { name: 'db-init' } });
    expect(c.command[2]).toContain('DB=shop');
    // The NetworkPolicy admits the Job's pods to the client port.
    const policy = manifests.find((m) => m.kind === 'NetworkPolicy');
    expect(JSON.stringify(policy.spec.ingress)).toContain(job(manifests).metadata.name);
  });

  test('other scripts make another Job (a Job\'s template is immutable); databaseName alone needs no mount', () => {
    const a = job(synth({ initScripts: { '01.sql': 'SELECT 1;' } }).manifests).metadata.name;
    const b = job(synth({ initScripts: { '01.sql': 'SELECT 2;' } }).manifests).metadata.name;
    expect(a).not.toBe(b);
    const plain = job(synth({ databaseName: 'shop' }).manifests).spec.template.spec;
    expect(plain.volumes.map((v: any) => v.name)).toEqual(['tmp']);
    expect(plain.containers[0].command[2]).not.toContain('docker-entrypoint-initdb.d');
  });
});

describe('client connection env', () => {
  test.each([
    [false, 'require', undefined],
    [true, 'verify-full', { name: 'db-tls', key: 'ca.crt' }],
  ])('tls %s: sslmode %s', (tls, mode, ca) => {
    const chart = newChart('data');
    const db = new ReplicatedDatabase(chart, 'db', { name: 'db', engine, zones: ZONES, ...(tls ? { tls: { issuerName: 'ca' } } : {}) });
    const caSecret = kplus.Secret.fromSecretName(chart, 'Ca', 'db-tls');
    const vars = connectionEnv('PG', db.primaryHost, db.port, db.credentialsSecret, 'username', 'password',
      { mode: patroniClientSslMode(tls), caSecret: tls ? caSecret : undefined });
    new kplus.Deployment(chart, 'app', { containers: [{ image: 'registry.example/app:1.0', envVariables: vars }] });
    const app = only(synthValid(chart), 'Deployment').spec.template.spec.containers[0];
    expect(env(app, 'PGHOST').value).toBe('db.data.svc');
    expect(env(app, 'PGSSLMODE').value).toBe(mode);
    expect(env(app, 'PGCA_CERT')?.valueFrom.secretKeyRef).toEqual(ca);
  });

  test('db.connectionEnv() carries the sslmode, and the CA with tls', () => {
    const chart = newChart('data');
    const plain = new ReplicatedDatabase(chart, 'plain', { name: 'plain', engine, zones: ZONES });
    const secure = new ReplicatedDatabase(chart, 'secure', { name: 'secure', engine, zones: ZONES, tls: { issuerName: 'ca' } });
    new kplus.Deployment(chart, 'app', {
      containers: [{ image: 'registry.example/app:1.0', envVariables: { ...plain.connectionEnv('A_'), ...secure.connectionEnv('B_'), ...secure.connectionEnv('C_') } }],
    });
    const app = only(synthValid(chart), 'Deployment').spec.template.spec.containers[0];
    expect(env(app, 'A_SSLMODE').value).toBe('require');
    expect(env(app, 'A_CA_CERT')).toBeUndefined();
    expect(env(app, 'B_SSLMODE').value).toBe('verify-full');
    expect(env(app, 'B_CA_CERT').valueFrom.secretKeyRef).toEqual({ name: 'secure-tls', key: 'ca.crt' });
    expect(env(app, 'C_CA_CERT').valueFrom.secretKeyRef).toEqual({ name: 'secure-tls', key: 'ca.crt' });
  });

  test('verify-full without the CA is refused', () => {
    const chart = newChart('data');
    const secret = kplus.Secret.fromSecretName(chart, 'S', 'creds');
    expect(() => connectionEnv('DB_', 'db', 5432, secret, 'u', 'p', { mode: 'verify-full' })).toThrow(
      'connectionEnv: sslmode verify-full needs the CA certificate (caSecret)');
  });
});

/**
 * A stand-in curl: logs `METHOD PATH BODY` and answers from files `<METHOD>_<path>.<n>` (the n-th call) or
 * `<METHOD>_<path>` (every other call): first line the HTTP status, then the body. No file: connection refused
 * (exit 7, http_code 000), as curl does.
 */
const FAKE_CURL = `#!/bin/sh
method=GET; out=""; fmt=""; data=""; url=""
while [ $# -gt 0 ]; do
  case "$1" in
    -X) method=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    -w) fmt=$2; shift 2 ;;
    -m|-H) shift 2 ;;
    -d|--data-binary) data=$2; shift 2; [ "$method" = GET ] && method=POST ;;
    -s) shift ;;
    *) url=$1; shift ;;
  esac
done
case "$data" in @*) data=$(cat "\${data#@}") ;; esac
p=\${url#http://localhost:8008}
key=$(printf '%s_%s' "$method" "$p" | tr '/' '_')
n=$(( $(cat "$FAKE/count.$key" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$FAKE/count.$key"
echo "$method $p $data" >> "$FAKE/calls.log"
f="$FAKE/answers/$key.$n"; [ -f "$f" ] || f="$FAKE/answers/$key"
if [ ! -f "$f" ]; then [ -n "$fmt" ] && printf '%s' "$fmt" | sed 's/%{http_code}/000/'; exit 7; fi
code=$(head -n 1 "$f")
[ "$out" = /dev/null ] || tail -n +2 "$f" | tr -d '\\n'
[ -n "$fmt" ] && printf '%s' "$fmt" | sed "s/%{http_code}/$code/"
exit 0
`;

type Answer = [number, string];
interface Fake { dir: string; bin: string; calls(): string[]; cleanup(): void }

/** Stand-in curl and sleep (no waiting, except the sidecar's idle nap, which sleeps 1 s to stay signalable). */
function fake(answers: Record<string, Answer | Answer[]>): Fake {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patroni-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(path.join(dir, 'answers'), { recursive: true });
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'curl'), FAKE_CURL, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'sleep'), '#!/bin/sh\n[ "$1" = 3600 ] && exec /bin/sleep 1\nexit 0\n', { mode: 0o755 });
  for (const [request, answer] of Object.entries(answers)) {
    const key = request.replace(' ', '_').replace(/\//g, '_');
    const list = Array.isArray(answer[0]) ? (answer as Answer[]) : [answer as Answer];
    list.forEach(([code, body], i) => fs.writeFileSync(path.join(dir, 'answers', `${key}.${i + 1}`), `${code}\n${body}\n`));
    const [code, body] = list[list.length - 1];
    fs.writeFileSync(path.join(dir, 'answers', key), `${code}\n${body}\n`);
  }
  return {
    dir,
    bin,
    calls: () => (fs.existsSync(path.join(dir, 'calls.log')) ? fs.readFileSync(path.join(dir, 'calls.log'), 'utf8').replace(/\n$/, '').split('\n') : []),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** GET /cluster as Patroni writes it (json.dumps: `"key": value`). */
const cluster = (leader: number, members = [0, 1, 2]) => JSON.stringify({
  members: members.map((i) => ({ name: `db-${i}`, role: i === leader ? 'leader' : 'replica', state: 'running', api_url: `http://10.0.0.${i}:8008/patroni` })),
  scope: 'db',
}).replace(/":/g, '": ').replace(/,"/g, ', "');

describe('preStop: the leader switches over before it stops', () => {
  const script = () => synth().main.lifecycle.preStop.exec.command[2];
  function preStop(self: string, answers: Record<string, Answer | Answer[]>): { calls: string[]; out: string } {
    const f = fake(answers);
    try {
      const out = execFileSync('sh', ['-c', script()], { env: { PATH: `${f.bin}:/usr/bin:/bin`, HOSTNAME: self, FAKE: f.dir }, encoding: 'utf8' });
      return { calls: f.calls(), out };
    } finally {
      f.cleanup();
    }
  }

  test('a replica does nothing', () => {
    expect(preStop('db-1', { 'GET /leader': [503, ''] }).calls).toEqual(['GET /leader ']);
  });

  test('Patroni not answering: nothing to do, exit 0', () => {
    expect(preStop('db-1', {}).calls).toEqual(['GET /leader ']);
  });

  test('the leader picks the next ordinal (already updated by a rollout, which goes from the top down)', () => {
    const { calls, out } = preStop('db-1', {
      'GET /leader': [200, ''], 'GET /cluster': [200, cluster(1)], 'POST /switchover': [200, 'Successfully switched over to "db-2"'],
    });
    expect(calls).toEqual(['GET /leader ', 'GET /cluster ', 'POST /switchover {"leader":"db-1","candidate":"db-2"}']);
    expect(out).toContain('Successfully switched over to "db-2" (HTTP 200)');
  });

  test('the top member hands to the lowest ordinal, which the rollout updates last', () => {
    const { calls } = preStop('db-2', { 'GET /leader': [200, ''], 'GET /cluster': [200, cluster(2)], 'POST /switchover': [200, 'ok'] });
    expect(calls[2]).toBe('POST /switchover {"leader":"db-2","candidate":"db-0"}');
  });

  test('a refused candidate (412: not the sync standby) falls back to Patroni\'s choice', () => {
    const { calls } = preStop('db-0', {
      'GET /leader': [200, ''],
      'GET /cluster': [200, cluster(0)],
      'POST /switchover': [[412, 'candidate name does not match with sync_standby'], [200, 'Successfully switched over to "db-2"']],
    });
    expect(calls.slice(2)).toEqual(['POST /switchover {"leader":"db-0","candidate":"db-1"}', 'POST /switchover {"leader":"db-0"}']);
  });

  test('no switchover possible: exits 0 and leaves it to Patroni\'s shutdown', () => {
    const { calls, out } = preStop('db-0', {
      'GET /leader': [200, ''],
      'GET /cluster': [200, cluster(0, [0])],
      'POST /switchover': [412, 'switchover is not possible: cluster does not have members except leader'],
    });
    expect(calls.slice(2)).toEqual(['POST /switchover {"leader":"db-0"}']);
    expect(out).toContain('no switchover: Patroni releases the leader key on shutdown');
  });
});

describe('patroni-config sidecar: keeps the running cluster on the dynamic configuration', () => {
  /**
   * Runs the sidecar (naps take no time: the fake `sleep`) until `done` holds for its calls and log (by default:
   * it marked itself ready), then stops it with SIGTERM as the kubelet would. `onReady` runs once it is ready.
   */
  async function sidecar(answers: Record<string, Answer | Answer[]>, options: {
    dynamic?: string; self?: string; done?: (calls: string[], log: string) => boolean; onReady?: (desired: string) => void;
  } = {}): Promise<{ calls: string[]; log: string; exitMs: number; code: number | null }> {
    const f = fake(answers);
    const desired = path.join(f.dir, 'dynamic.json');
    const mark = path.join(f.dir, 'applied');
    fs.writeFileSync(desired, options.dynamic ?? '{"loop_wait":10}');
    const script = synth().sidecar.command[2].split(`/etc/patroni-config/${PATRONI_DYNAMIC_KEY}`).join(desired).split('/tmp/patroni-config.applied').join(mark);
    const child = spawn('sh', ['-c', script], { env: { PATH: `${f.bin}:/usr/bin:/bin`, FAKE: f.dir, HOSTNAME: options.self ?? 'db-1' } });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const done = options.done ?? (() => fs.existsSync(mark));
    try {
      for (let i = 0; i < 200 && !fs.existsSync(mark); i++) await new Promise((r) => setTimeout(r, 25));
      if (!fs.existsSync(mark)) throw new Error(`the sidecar never marked itself ready:\n${log}`);
      options.onReady?.(desired);
      for (let i = 0; i < 200 && !done(f.calls(), log); i++) await new Promise((r) => setTimeout(r, 25));
      const calls = f.calls();
      const t0 = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      return { calls, log, exitMs: Date.now() - t0, code };
    } finally {
      child.kill('SIGKILL');
      f.cleanup();
    }
  }
  const config = '{"ttl":30,"loop_wait":10}';
  const changed = '{"ttl":30,"loop_wait":10,"postgresql":{"parameters":{"max_connections":"200"}}}';
  const rounds = (calls: string[]) => calls.filter((c) => c.startsWith('GET /patroni')).length;
  /** GET /cluster with `pending_restart` on the members named. */
  const clusterPending = (pending: number[]) => JSON.stringify({
    members: [0, 1, 2].map((i) => ({ name: `db-${i}`, role: i === 0 ? 'leader' : 'replica', state: 'running', ...(pending.includes(i) ? { pending_restart: true } : {}) })),
  }).replace(/":/g, '": ').replace(/,"/g, ', "');

  test('waits for PostgreSQL, applies the file, marks ready without a restart when nothing changed; SIGTERM ends it', async () => {
    const r = await sidecar({ 'GET /health': [[503, ''], [503, ''], [200, '']], 'GET /config': [200, config], 'PATCH /config': [200, config] });
    expect(r.calls.slice(0, 5)).toEqual(['GET /health ', 'GET /health ', 'GET /health ', 'GET /config ', 'PATCH /config {"loop_wait":10}']);
    expect(r.log).toContain('dynamic configuration already as given');
    expect(r.code).toBe(0);
    expect(r.exitMs).toBeLessThan(1500);
  });

  test('retries while Patroni has no cluster configuration yet (503) or a concurrent write wins (409)', async () => {
    const r = await sidecar({ 'GET /health': [200, ''], 'GET /config': [200, config], 'PATCH /config': [[503, ''], [409, ''], [200, config]] });
    expect(r.calls.filter((c) => c.startsWith('PATCH'))).toHaveLength(3);
    expect(r.log).toContain('PATCH /config answered HTTP 503 (attempt 1)');
    expect(r.log).toContain('PATCH /config answered HTTP 409 (attempt 2)');
  });

  test('the file applied once is not sent again; a new file (the kubelet updates the ConfigMap volume) is', async () => {
    const r = await sidecar({ 'GET /health': [200, ''], 'GET /config': [200, config], 'PATCH /config': [200, config], 'GET /patroni': [200, '{"role": "replica"}'] }, {
      onReady: (desired) => {
        for (let i = 0; i < 100 && !fs.readFileSync(desired, 'utf8').includes('20'); i++) fs.writeFileSync(desired, '{"loop_wait":20}');
      },
      done: (calls) => calls.filter((c) => c.startsWith('PATCH')).length >= 2 && rounds(calls) > 5,
    });
    expect(r.calls.filter((c) => c.startsWith('PATCH'))).toEqual(['PATCH /config {"loop_wait":10}', 'PATCH /config {"loop_wait":20}']);
  });

  test('a change that leaves this replica pending a restart restarts it through Patroni', async () => {
    const r = await sidecar({
      'GET /health': [200, ''],
      'GET /config': [200, config],
      'PATCH /config': [200, changed],
      'GET /patroni': [[200, '{"state": "running", "role": "replica", "pending_restart": true}'], [200, '{"state": "running", "role": "replica"}']],
      'POST /restart': [200, 'restarted successfully'],
    }, { done: (_calls, log) => log.includes('restart pending on this replica') });
    expect(r.calls.filter((c) => c.startsWith('POST'))).toEqual(['POST /restart {"restart_pending":true,"role":"replica"}']);
    expect(r.log).toContain('restart pending on this replica: restarted successfully');
  });

  test('the leader restarts in place only once no other member is pending, after three rounds', async () => {
    const leader = '{"state": "running", "role": "master", "pending_restart": true}';
    const r = await sidecar({
      'GET /health': [200, ''],
      'GET /config': [200, config],
      'PATCH /config': [200, changed],
      'GET /patroni': [200, leader],
      // Replicas 1 and 2 pending for four rounds, then restarted.
      'GET /cluster': [[200, clusterPending([0, 1, 2])], [200, clusterPending([0, 2])], [200, clusterPending([0, 2])], [200, clusterPending([0, 2])], [200, clusterPending([0])]],
      'POST /restart': [200, 'restarted successfully'],
    }, { self: 'db-0', done: (_calls, log) => log.includes('restart pending on the leader') });
    const first = r.calls.findIndex((c) => c.startsWith('POST'));
    expect(r.calls[first]).toBe('POST /restart {"restart_pending":true}');
    // The restart follows the first /cluster answer without another member pending (the fifth).
    expect(r.calls.slice(0, first).filter((c) => c.startsWith('GET /cluster'))).toHaveLength(5);
    expect(r.log).toContain('restart pending on the leader, none on the other members: restarted successfully');
  });

  test('the leader never restarts while Patroni does not answer GET /cluster', async () => {
    const r = await sidecar({
      'GET /health': [200, ''],
      'GET /config': [200, config],
      'PATCH /config': [200, changed],
      'GET /patroni': [200, '{"state": "running", "role": "master", "pending_restart": true}'],
      'GET /cluster': [503, ''],
    }, { self: 'db-0', done: (calls) => rounds(calls) >= 8 });
    expect(r.calls.filter((c) => c.startsWith('POST'))).toEqual([]);
  });
});
