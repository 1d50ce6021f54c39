import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Cron, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as k33 from 'cdk8s-plus-33';
import {
  BackupMethod, BackupSchedule, BackupTarget, DatabaseConfigError, Engine, IssuerKind, PostgresVersion, ReplicatedDatabase, Retention,
  StatefulDatabase,
} from '../src';
import { expectRefused } from './support/refused';
import { runWithStubs, writeStub } from './support/stubs';
import { only, synthValid } from './support/synth';
import { assertValidManifests } from './support/validate';

const IMAGE = 'docker.io/library/nginx:1.27.2';
const postgres = () => Engine.postgres({ version: PostgresVersion.V16 });

/** A database "orders" in namespace "data" and a chart for applications (namespace `appNamespace`, null: none). */
function setup(appNamespace: string | null = 'apps') {
  const app: App = Testing.app();
  const dataChart = new Chart(app, 'data', { namespace: 'data' });
  const appChart = new Chart(app, 'apps', { namespace: appNamespace ?? undefined });
  const db = new StatefulDatabase(dataChart, 'orders', { engine: postgres(), name: 'orders' });
  return { app, dataChart, appChart, db };
}

/** What `cdk8s synth` does: validate the whole app (every chart), then render. */
function synthApp(app: App): void {
  app.synthYaml();
}

/** A replicated PostgreSQL with TLS in `data` (its clients verify the server with the CA Secret) and a client in `apps`. */
function replicatedWithTlsAndClient() {
  const app = Testing.app();
  const dataChart = new Chart(app, 'data', { namespace: 'data' });
  const appChart = new Chart(app, 'apps', { namespace: 'apps' });
  const db = new ReplicatedDatabase(dataChart, 'orders', {
    engine: postgres(), name: 'orders', replicas: 3, zones: ['a', 'b', 'c'], tls: { issuerName: 'ca', issuerKind: IssuerKind.CLUSTER_ISSUER },
  });
  new kplus.Deployment(appChart, 'api', { containers: [{ image: IMAGE, envVariables: db.connectionEnv() }] });
  return { app, appChart, dataChart, db };
}

const refusal = (kind: string, name: string, constructPath: string, appNamespace: string, secrets: string) =>
  `data/orders: ${kind} "${name}" (${constructPath}) in ${appNamespace} reads Secret ${secrets} of this database, which exists only in namespace "data": `
  + 'its pods would stay in CreateContainerConfigError. Run it in namespace "data" (a chart with `namespace: \'data\'`), '
  + (appNamespace.startsWith('namespace') ? `call \`connections.shareSecretsWith('${appNamespace.split('"')[1]}')\` on the database to copy them there, ` : '')
  + `or give ${appNamespace} its own copy of Secret ${secrets} (a Secret, SealedSecret or ExternalSecret of that name in this app: the Kubernetes provider of the External Secrets Operator copies Secrets across namespaces).`;

describe('credentials read from another namespace are refused at synth', () => {
  test('a cdk8s-plus-28 Deployment given connectionEnv() in another namespace', () => {
    const { app, appChart, db } = setup();
    const api = new kplus.Deployment(appChart, 'api', { containers: [{ image: IMAGE, envVariables: db.connectionEnv() }] });
    db.connections.allowFrom(api);
    expectRefused(() => synthApp(app), refusal('Deployment', api.name, 'apps/api/Resource', 'namespace "apps"', '"orders-app"'));
  });

  test('a cdk8s-plus-33 Deployment reading the credentials Secret, a CronJob mounting it, a Pod reading the TLS Secret', () => {
    const app = Testing.app();
    const dataChart = new Chart(app, 'data', { namespace: 'data' });
    const appChart = new Chart(app, 'apps', { namespace: 'apps' });
    const db = new StatefulDatabase(dataChart, 'orders', { engine: postgres(), name: 'orders', tls: { issuerName: 'ca', issuerKind: IssuerKind.CLUSTER_ISSUER } });
    const credentials = k33.Secret.fromSecretName(appChart, 'creds', db.credentialsSecretName);
    new k33.Deployment(appChart, 'admin', {
      containers: [{ image: IMAGE, envVariables: { PGPASSWORD: k33.EnvValue.fromSecretValue({ secret: credentials, key: 'password' }) } }],
    });
    new ApiObject(appChart, 'report', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'report' },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'r', image: IMAGE, envFrom: [{ secretRef: { name: 'orders-credentials' } }] }] } } } },
      },
    });
    new ApiObject(appChart, 'probe', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe' },
      spec: {
        containers: [{ name: 'p', image: IMAGE }],
        volumes: [{ name: 'ca', projected: { sources: [{ secret: { name: 'orders-tls' } }] } }, { name: 'tls', secret: { secretName: 'orders-tls' } }],
      },
    });
    // The chart cannot synthesize (the app fails validation): its objects are validated one by one.
    assertValidManifests(appChart.node.findAll().filter(ApiObject.isApiObject).map((o) => (o as ApiObject).toJson()));
    let error: unknown;
    try {
      synthApp(app);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatabaseConfigError);
    const message = (error as Error).message;
    expect(message).toContain('Deployment "apps-admin-c8');
    expect(message).toContain('(apps/admin/Resource) in namespace "apps" reads Secret "orders-credentials" of this database');
    expect(message).toContain('CronJob "report" (apps/report) in namespace "apps" reads Secret "orders-credentials" of this database');
    expect(message).toContain('Pod "probe" (apps/probe) in namespace "apps" reads Secret "orders-tls" of this database');
  });

  test('the CA Secret of a replicated PostgreSQL with TLS (verify-full) is refused too', () => {
    const { app } = replicatedWithTlsAndClient();
    expectRefused(() => synthApp(app), 'in namespace "apps" reads Secrets "orders-app", "orders-tls" of this database, which exist only in namespace "data": '
      + 'its pods would stay in CreateContainerConfigError. Run it in namespace "data" (a chart with `namespace: \'data\'`), '
      + 'call `connections.shareSecretsWith(\'apps\')` on the database to copy them there, '
      + 'or give namespace "apps" its own copy of Secrets "orders-app", "orders-tls" (a Secret, SealedSecret or ExternalSecret of that name in this app: the Kubernetes provider of the External Secrets Operator copies Secrets across namespaces).');
  });

  test('a workload in a chart without namespace is refused: it lands in the namespace kubectl applies it to', () => {
    const { app, appChart, db } = setup(null);
    const api = new kplus.Deployment(appChart, 'api', { containers: [{ image: IMAGE, envVariables: db.connectionEnv() }] });
    expectRefused(() => synthApp(app), refusal('Deployment', api.name, 'apps/api/Resource', 'no namespace (the one kubectl applies it to)', '"orders-app"'));
  });
});

describe('what works is left alone', () => {
  test.each([
    ['cdk8s-plus-28', (c: Chart, db: StatefulDatabase) => new kplus.Deployment(c, 'api', { containers: [{ image: IMAGE, envVariables: db.connectionEnv() }] })],
    ['cdk8s-plus-33', (c: Chart, db: StatefulDatabase) => new k33.Deployment(c, 'api', { containers: [{ image: IMAGE, envVariables: db.connectionEnv() }] })],
  ])('a %s application in the database namespace, in another chart, given connectionEnv()', (_version, deployment) => {
    const { app, appChart, dataChart, db } = setup('data');
    db.connections.allowFrom(deployment(appChart, db));
    synthApp(app);
    synthValid(dataChart);
    const api = only(synthValid(appChart), 'Deployment');
    expect(api.metadata.namespace).toBe('data');
    expect(api.spec.template.spec.containers[0].env).toContainEqual({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'orders-app', key: 'password' } } });
  });

  test('a copy of the Secret in the application namespace (Secret, SealedSecret, ExternalSecret target)', () => {
    const { app, appChart, dataChart } = replicatedWithTlsAndClient();
    new kplus.Secret(appChart, 'app-copy', { metadata: { name: 'orders-app' } });
    new ApiObject(appChart, 'ca-copy', {
      apiVersion: 'external-secrets.io/v1beta1', kind: 'ExternalSecret', metadata: { name: 'ca-sync' }, spec: { target: { name: 'orders-tls' } },
    });
    expect(() => synthApp(app)).not.toThrow();
    synthValid(dataChart);
  });

  test('a same-named database in another namespace reads its own Secrets there', () => {
    const { app, appChart, dataChart } = setup('staging');
    new StatefulDatabase(appChart, 'orders', { engine: postgres(), name: 'orders' });
    expect(() => synthApp(app)).not.toThrow();
    expect(only(synthValid(appChart), 'StatefulSet').metadata.namespace).toBe('staging');
    synthValid(dataChart);
  });

  test('workloads in other namespaces that read no Secret of the database', () => {
    const { app, appChart, db } = setup();
    db.connections.allowFrom(new kplus.Deployment(appChart, 'api', { containers: [{ image: IMAGE, envVariables: { DB_HOST: kplus.EnvValue.fromValue(db.host) } }] }));
    expect(() => synthApp(app)).not.toThrow();
    synthValid(appChart);
  });
});

describe('BackupSchedule', () => {
  const dumps = () => BackupMethod.logicalDump({ schedule: Cron.daily(), target: BackupTarget.pvc({ claimName: 'backups' }), retention: Retention.keepLast(7) });

  test('in a chart of another namespace is refused, naming both namespaces and the fix', () => {
    const { appChart, db } = setup('backups');
    expectRefused(() => new BackupSchedule(appChart, 'backup', { database: db, methods: [dumps()] }),
      'apps/backup: `database` (data/orders) is in namespace "data" but this BackupSchedule\'s chart is in namespace "backups": its Jobs would read the '
      + 'database\'s Secret and claims where they do not exist, and the database\'s NetworkPolicy admits them from its own namespace only, so no backup would run. '
      + 'Create the BackupSchedule in a chart with `namespace: \'data\'` (the database\'s chart, for one).');
  });

  test('in a chart without namespace, for a database with one, is refused', () => {
    const { appChart, db } = setup(null);
    expectRefused(() => new BackupSchedule(appChart, 'backup', { database: db, methods: [dumps()] }),
      '`database` (data/orders) is in namespace "data" but this BackupSchedule\'s chart is in no namespace (the one kubectl applies it to)');
  });

  test('in another chart of the same namespace works: its dump pods are admitted', () => {
    const { app, appChart, dataChart, db } = setup('data');
    new BackupSchedule(appChart, 'backup', { database: db, methods: [dumps()] });
    synthApp(app);
    synthValid(appChart);
    const client = only(synthValid(dataChart), 'NetworkPolicy').spec.ingress[0];
    expect(client.from).toContainEqual({ podSelector: { matchLabels: { 'cdk8s-databases.io/cronjob': 'orders-dumps' } } });
  });

  test('without methods is refused, not a TypeError', () => {
    const { dataChart, db } = setup();
    expectRefused(() => new BackupSchedule(dataChart, 'backup', { database: db } as any),
      'data/backup: `methods` is missing: give a list of at least one BackupMethod.');
  });
});

describe('connections.shareSecretsWith copies what connectionEnv() reads into the application namespace', () => {
  function shared() {
    const app = Testing.app();
    const dataChart = new Chart(app, 'data', { namespace: 'data' });
    const appChart = new Chart(app, 'apps', { namespace: 'apps' });
    const db = new ReplicatedDatabase(dataChart, 'orders', {
      engine: postgres(), name: 'orders', replicas: 3, zones: ['a', 'b', 'c'], tls: { issuerName: 'ca', issuerKind: IssuerKind.CLUSTER_ISSUER },
    });
    db.connections.allowFrom(new kplus.Deployment(appChart, 'api', { containers: [{ image: IMAGE, envVariables: db.connectionEnv() }] }));
    db.connections.shareSecretsWith('apps');
    db.connections.shareSecretsWith('batch');
    return { app, dataChart, appChart, db };
  }

  test('a CronJob in the database namespace, a Role and RoleBinding in each target; the application then synthesizes', () => {
    const { app, dataChart, appChart } = shared();
    expect(() => synthApp(app)).not.toThrow();
    synthValid(appChart);
    const manifests = synthValid(dataChart);
    const copier = only(manifests, 'CronJob', 'orders-share');
    expect(copier.metadata.namespace).toBe('data');
    const pod = copier.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe('orders-share');
    expect(pod.containers[0].env).toContainEqual({ name: 'TARGETS', value: 'apps batch' });
    const readRole = manifests.find((m) => m.kind === 'Role' && m.metadata.name === 'orders-share' && m.metadata.namespace === 'data');
    expect(readRole.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['orders-app', 'orders-tls'], verbs: ['get'] }]);
    for (const target of ['apps', 'batch']) {
      const role = manifests.find((m) => m.kind === 'Role' && m.metadata.namespace === target);
      expect(role.rules).toEqual([
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['orders-app', 'orders-tls'], verbs: ['get', 'update'] },
      ]);
      const binding = manifests.find((m) => m.kind === 'RoleBinding' && m.metadata.namespace === target);
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'orders-share', namespace: 'data' }]);
    }
  });

  test('the copier puts the credentials and the CA certificate, never the private key, into each target', () => {
    const { dataChart } = shared();
    const copier = only(synthValid(dataChart), 'CronJob', 'orders-share').spec.jobTemplate.spec.template.spec.containers[0];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'share-'));
    fs.mkdirSync(path.join(dir, 'sa'));
    fs.writeFileSync(path.join(dir, 'sa', 'namespace'), 'data');
    fs.writeFileSync(path.join(dir, 'sa', 'token'), 'token');
    // As the API server answers: compact JSON; the last-applied annotation and managedFields name the keys too.
    fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({
      kind: 'Secret',
      metadata: {
        name: 'orders-app',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"bm90"}}' },
        managedFields: [{ fieldsV1: { 'f:data': { 'f:password': {}, 'f:username': {} } } }],
      },
      data: { password: 'czNjcjN0', username: 'YXBw' },
    }));
    fs.writeFileSync(path.join(dir, 'tls.json'), JSON.stringify({ kind: 'Secret', data: { 'ca.crt': 'Q0E=', 'tls.crt': 'Q1JU', 'tls.key': 'S0VZ' } }));
    writeStub(dir, 'curl', [
      '#!/bin/sh',
      'OUT=; METHOD=GET; DATA=; URL=',
      'while [ $# -gt 0 ]; do case "$1" in -o) OUT=$2; shift ;; -X) METHOD=$2; shift ;; --data) DATA=$2; shift ;; -w|--cacert|-H) shift ;; -sS) ;; *) URL=$1 ;; esac; shift; done',
      'echo "$METHOD ${URL#https://kubernetes.default.svc/api/v1/namespaces/} $DATA" >> "$STUB_CALLS"',
      'case "$METHOD $URL" in',
      `  "GET "*/data/secrets/orders-app) cat ${dir}/app.json > "$OUT"; printf 200 ;;`,
      `  "GET "*/data/secrets/orders-tls) cat ${dir}/tls.json > "$OUT"; printf 200 ;;`,
      '  "POST "*/apps/secrets) echo "{}" > "$OUT"; printf 409 ;;',
      '  "POST "*/batch/secrets|"PUT "*/apps/secrets/*) echo "{}" > "$OUT"; printf 201 ;;',
      '  *) echo "{}" > "$OUT"; printf 403 ;;',
      'esac',
    ].join('\n') + '\n');
    const script = copier.command[2].replace(/\/tmp\//g, `${dir}/`).replace('SA=/var/run/secrets/kubernetes.io/serviceaccount', `SA=${dir}/sa`);
    const run = runWithStubs('sh', script, dir, { TARGETS: 'apps batch' });
    expect(run.out).toContain('copied Secret orders-tls to batch');
    expect(run.code).toBe(0);
    const bodies = run.calls.map((c) => c.split(' ')).map(([method, where, ...rest]) => ({ method, where, body: rest.join(' ') ? JSON.parse(rest.join(' ')) : undefined }));
    expect(bodies.map((b) => `${b.method} ${b.where}`)).toEqual([
      'GET data/secrets/orders-app', 'POST apps/secrets', 'PUT apps/secrets/orders-app', 'POST batch/secrets',
      'GET data/secrets/orders-tls', 'POST apps/secrets', 'PUT apps/secrets/orders-tls', 'POST batch/secrets',
    ]);
    expect(bodies[1].body).toMatchObject({ kind: 'Secret', type: 'Opaque', metadata: { name: 'orders-app' }, data: { username: 'YXBw', password: 'czNjcjN0' } });
    expect(bodies[5].body.data).toEqual({ 'ca.crt': 'Q0E=' });
    // Neither the private key nor the annotation's stale value travels.
    expect(run.calls.join('\n')).not.toMatch(/S0VZ|Q1JU|bm90/);
  });

  test.each([
    ['its own namespace', 'data', '`connections.shareSecretsWith("data")`: "data" is the database\'s own namespace, where its Secrets already are. Remove the call.'],
    ['an invalid namespace', 'Apps', '`connections.shareSecretsWith`: namespace "Apps" is not a valid namespace name'],
    ['a namespace twice', 'apps', '`connections.shareSecretsWith("apps")` is called twice for that namespace. Call it once.'],
  ])('%s is refused', (_what, namespace, message) => {
    const { db } = shared();
    expectRefused(() => db.connections.shareSecretsWith(namespace), `data/orders: ${message}`);
  });

  test('a copy that would overwrite the Secret of a same-named database in the target namespace is refused at synth', () => {
    const { app } = shared();
    const apps = new Chart(app, 'apps-db', { namespace: 'apps' });
    new StatefulDatabase(apps, 'orders', { engine: postgres(), name: 'orders' });
    expectRefused(() => synthApp(app),
      'data/orders: `connections.shareSecretsWith("apps")`: apps-db/orders also has a Secret "orders-app" in namespace "apps" (its own or a copy), which the copy would overwrite. Give the databases different `name`s, or share into another namespace.');
  });

  test('a database whose chart has no namespace cannot name its copier in a RoleBinding', () => {
    const chart = new Chart(Testing.app(), 'data');
    const db = new StatefulDatabase(chart, 'orders', { engine: postgres(), name: 'orders' });
    expectRefused(() => db.connections.shareSecretsWith('apps'),
      'orders: `connections.shareSecretsWith("apps")`: the database\'s chart has no `namespace`, so the copier\'s RoleBinding in "apps" cannot name its ServiceAccount. Give the database\'s chart a `namespace`.');
  });
});
