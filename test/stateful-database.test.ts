import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ApplicationUser, Credentials, DatabasePriorityClass, DatabaseStorageClass, Engine, IssuerKind, MongoDbVersion, NodeSelectorOperator,
  PodManagementPolicy, PostgresVersion, PvcRetention, QosClass, RedisVersion, StatefulDatabase, StorageAccessMode,
  TaintEffect, TolerationOperator, UpdateStrategy, VolumeBindingMode,
} from '../src';
import { allContainers, newChart, jobNamed, only, synthValid } from './support/synth';

const postgres = () => Engine.postgres({ version: PostgresVersion.V16 });

function synth(props: Partial<ConstructorParameters<typeof StatefulDatabase>[2]> = {}, namespace: string | null = 'shop') {
  const chart = newChart(namespace);
  const db = new StatefulDatabase(chart, 'orders', { engine: postgres(), name: 'orders', ...props });
  const manifests = synthValid(chart);
  const sts = only(manifests, 'StatefulSet');
  return { chart, db, manifests, sts, pod: sts.spec.template.spec, main: sts.spec.template.spec.containers[0] };
}

describe('StatefulDatabase defaults', () => {
  test('synthesizes exactly the objects a single instance needs, and no PodDisruptionBudget', () => {
    const { manifests } = synth();
    // One-off Jobs end with a hash of their content; their ServiceAccounts do not.
    expect(manifests.map((m) => `${m.kind}/${m.kind === 'Job' ? m.metadata.name.replace(/-[0-9a-f]{6}$/, '-<hash>') : m.metadata.name}`).sort()).toEqual([
      'ConfigMap/orders-config',
      'Job/orders-app-<hash>',
      'Job/orders-creds-<hash>',
      'NetworkPolicy/orders',
      'Role/orders-creds',
      'RoleBinding/orders-creds',
      'Service/orders',
      'Service/orders-headless',
      'Service/orders-metrics',
      'ServiceAccount/orders',
      'ServiceAccount/orders-app',
      'ServiceAccount/orders-creds',
      'StatefulSet/orders',
    ]);
  });

  test('locks every documented default', () => {
    const { sts, pod, main, db } = synth();
    const claim = sts.spec.volumeClaimTemplates[0];
    expect(claim.spec.resources.requests.storage).toBe('10Gi'); // storageSize
    expect(claim.spec.storageClassName).toBeUndefined(); // storageClassName: cluster default
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']); // storageAccessMode
    expect(claim.spec.volumeMode).toBe('Filesystem'); // volumeMode
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(main.resources).toEqual({ requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '1000m', memory: '1024Mi' } });
    expect(pod.priorityClassName).toBeUndefined();
    expect(sts.spec.podManagementPolicy).toBe('OrderedReady');
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(sts.spec.minReadySeconds).toBe(0);
    expect(pod.terminationGracePeriodSeconds).toBe(60);
    expect(db.credentialsSecretName).toBe('orders-credentials'); // credentials: generated
    expect(main.env.find((e: any) => e.name === 'POSTGRES_DB')).toBeUndefined(); // databaseName
    expect(pod.containers.map((c: any) => c.name)).toEqual(['postgresql', 'metrics-exporter']); // metrics: on
    expect(pod.nodeSelector).toBeUndefined();
    expect(pod.tolerations).toBeUndefined();
    expect(pod.affinity).toBeUndefined();
    expect(pod.imagePullSecrets).toBeUndefined();
    expect(sts.spec.replicas).toBe(1);
  });

  test('default name comes from the construct path and fits the StatefulSet limit', () => {
    const chart = newChart();
    const db = new StatefulDatabase(chart, 'a-very-long-construct-id-that-goes-on-and-on-and-on-forever', { engine: postgres() });
    synthValid(chart);
    expect(db.name.length).toBeLessThanOrEqual(52);
    expect(db.name).toMatch(/^a-very-long-construct-id-[a-z-]+-[0-9a-f]{8}$/);
  });

  test('matches the snapshot of its defaults', () => {
    expect(synth().manifests).toMatchSnapshot();
  });

  test('connection info: host, port, Secret, env helper', () => {
    const { db } = synth();
    expect(db.host).toBe('orders.shop.svc');
    expect(db.port).toBe(5432);
    expect(db.headlessServiceName).toBe('orders-headless');
    expect(db.credentialsSecret.name).toBe('orders-credentials');
    const env = db.connectionEnv();
    expect(Object.keys(env)).toEqual(['DB_HOST', 'DB_PORT', 'DB_DATABASE', 'DB_USERNAME', 'DB_PASSWORD']);
    expect(env.DB_HOST.value).toBe('orders.shop.svc');
    expect(env.DB_PASSWORD.valueFrom).toBeDefined();
    expect(synth({}, null).db.host).toBe('orders');
  });

  test('the credentials generator Job may create Secrets and nothing else, and never holds a password', () => {
    const { manifests } = synth();
    expect(only(manifests, 'Role', 'orders-creds').rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }]);
    const job = jobNamed(manifests, 'orders-creds');
    const pod = job.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.serviceAccountName).toBe('orders-creds');
    const script: string = pod.containers[0].command[2];
    expect(script).toContain('head -c 96 /dev/urandom');
    expect(script).toContain('409) echo "Secret orders-credentials exists; left unchanged"');
    expect(script).toContain('"type":"kubernetes.io/basic-auth"');
    expect(script).toContain('"username":"postgres"');
    expect(pod.containers[0].resources.limits).toEqual(pod.containers[0].resources.requests);
    // The Job's pods are not database pods: no Service, policy or budget selects them.
    expect(job.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('credentials');
  });

  test('NetworkPolicy denies all ingress by default, but metrics from the monitoring namespace', () => {
    const { manifests } = synth();
    const policy = only(manifests, 'NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    // The application-user Job is the one client admitted by default.
    const appJob = manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith('orders-app-')).metadata.name;
    expect(policy.spec.ingress).toEqual([{
      from: [{ podSelector: { matchLabels: { 'job-name': appJob } } }],
      ports: [{ protocol: 'TCP', port: 5432 }],
    }, {
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ protocol: 'TCP', port: 9187 }],
    }]);
  });
});

describe('StatefulDatabase options', () => {
  test('connections.allowFrom admits workloads, namespaces and IP blocks to the client port only', () => {
    const chart = newChart('shop');
    const db = new StatefulDatabase(chart, 'orders', { engine: postgres(), name: 'orders', monitoringNamespace: 'observability' });
    const app = new kplus.Deployment(chart, 'api', { containers: [{ image: 'docker.io/library/nginx:1.27.2' }] });
    db.connections.allowFrom(app);
    db.connections.allowFrom(kplus.Namespaces.select(chart, 'batch', { names: ['batch'] }));
    db.connections.allowFrom(kplus.NetworkPolicyIpBlock.ipv4(chart, 'vpn', '10.8.0.0/16'));
    const manifests = synthValid(chart);
    const [client, metrics] = only(manifests, 'NetworkPolicy').spec.ingress;
    expect(client.ports).toEqual([{ protocol: 'TCP', port: 5432 }]);
    expect(client.from).toEqual([
      { podSelector: { matchLabels: { 'job-name': expect.stringMatching(/^orders-app-/) } } },
      {
        // The database's own namespace: a podSelector alone (a NetworkPolicy's podSelector peers are its namespace's).
        podSelector: { matchLabels: { 'cdk8s.io/metadata.addr': expect.stringMatching(/^test-api-/) } },
      },
      { podSelector: {}, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'batch' } } },
      { ipBlock: { cidr: '10.8.0.0/16' } },
    ]);
    expect(metrics.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }]);
  });

  test('storage: size, class, access mode, retention', () => {
    const chart = newChart();
    const sc = new DatabaseStorageClass(chart, 'fast', { provisioner: 'ebs.csi.aws.com', parameters: { type: 'gp3', encrypted: 'true' }, name: 'db-gp3' });
    new StatefulDatabase(chart, 'orders', {
      engine: postgres(),
      name: 'orders',
      storageSize: Size.mebibytes(1536),
      storageClassName: sc.name,
      storageAccessMode: StorageAccessMode.READ_WRITE_ONCE_POD,
      pvcRetentionWhenDeleted: PvcRetention.DELETE,
      pvcRetentionWhenScaled: PvcRetention.DELETE,
    });
    const manifests = synthValid(chart);
    const sts = only(manifests, 'StatefulSet');
    const claim = sts.spec.volumeClaimTemplates[0].spec;
    expect(claim).toMatchObject({ storageClassName: 'db-gp3', accessModes: ['ReadWriteOncePod'], resources: { requests: { storage: '1536Mi' } } });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Delete', whenScaled: 'Delete' });
    expect(only(manifests, 'StorageClass')).toMatchObject({
      metadata: { name: 'db-gp3' },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true' },
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    });
  });

  test('resources, Burstable QoS on request, and a created PriorityClass', () => {
    const chart = newChart();
    const pc = new DatabasePriorityClass(chart, 'critical', { name: 'database-critical' });
    new StatefulDatabase(chart, 'orders', {
      engine: postgres(),
      name: 'orders',
      cpu: kplus.Cpu.millis(2500),
      memory: Size.gibibytes(4),
      qosClass: QosClass.BURSTABLE,
      priorityClassName: pc.name,
    });
    const manifests = synthValid(chart);
    const pod = only(manifests, 'StatefulSet').spec.template.spec;
    expect(pod.containers[0].resources).toEqual({ requests: { cpu: '2500m', memory: '4096Mi' }, limits: { memory: '4096Mi' } });
    for (const c of allContainers(pod)) expect(c.resources.limits.cpu).toBeUndefined();
    expect(pod.priorityClassName).toBe('database-critical');
    expect(only(manifests, 'PriorityClass')).toMatchObject({ value: 1000000, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority' });
    expect(only(manifests, 'ConfigMap', 'orders-config').data['postgresql.conf']).toMatch(/^shared_buffers = 1024MB$/m);
  });

  test('workload: pod management, update strategies, minReady, grace period', () => {
    const { sts, pod } = synth({
      podManagementPolicy: PodManagementPolicy.PARALLEL,
      updateStrategy: UpdateStrategy.rollingUpdate({ partition: 1 }),
      minReady: Duration.seconds(30),
      terminationGracePeriod: Duration.seconds(120),
    });
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 1 } });
    expect(sts.spec.minReadySeconds).toBe(30);
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    expect(synth({ updateStrategy: UpdateStrategy.onDelete() }).sts.spec.updateStrategy).toEqual({ type: 'OnDelete' });
  });

  test('existing credentials Secret: not generated, keys wired', () => {
    const { manifests, main, db } = synth({ credentials: Credentials.fromSecretName('orders-admin', { usernameKey: 'user', passwordKey: 'pass' }) });
    // The generator makes the application user's Secret only.
    const generator = jobNamed(manifests, 'orders-creds').spec.template.spec.containers[0].command[2];
    expect(generator).toContain('"name":"orders-app"');
    expect(generator).not.toContain('orders-admin');
    const superOnly = synth({
      credentials: Credentials.fromSecretName('orders-admin', { usernameKey: 'user', passwordKey: 'pass' }), applicationUser: ApplicationUser.superuser(),
    });
    expect(superOnly.manifests.filter((m) => m.kind === 'Job')).toEqual([]);
    expect(db.credentialsSecretName).toBe('orders-admin');
    expect(main.env.find((e: any) => e.name === 'POSTGRES_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'orders-admin', key: 'pass' });
  });

  test('generated credentials with a chosen Secret name and username', () => {
    const { manifests } = synth({ credentials: Credentials.generate({ secretName: 'orders-superuser', username: 'owner' }) });
    const script = jobNamed(manifests, 'orders-creds').spec.template.spec.containers[0].command[2];
    expect(script).toContain('"name":"orders-superuser"');
    expect(script).toContain('"username":"owner"');
  });

  test('initial database, init scripts and extra config roll the pods through the checksum', () => {
    const base = synth();
    const { main, manifests, sts } = synth({
      databaseName: 'orders', initScripts: { '01-schema.sql': 'CREATE TABLE t (id int);' }, config: { work_mem: '64MB' },
    });
    expect(main.env).toContainEqual({ name: 'POSTGRES_DB', value: 'orders' });
    expect(only(manifests, 'ConfigMap', 'orders-init').data).toEqual({ '01-schema.sql': 'CREATE TABLE t (id int);' });
    expect(main.volumeMounts).toContainEqual({ name: 'init-scripts', mountPath: '/docker-entrypoint-initdb.d', readOnly: true });
    expect(only(manifests, 'ConfigMap', 'orders-config').data['postgresql.conf']).toMatch(/^work_mem = 64MB$/m);
    const key = 'cdk8s-databases.io/config-checksum';
    expect(sts.spec.template.metadata.annotations[key]).not.toBe(base.sts.spec.template.metadata.annotations[key]);
  });

  test('metrics off removes the sidecar, its Service and the policy rule', () => {
    const { pod, manifests } = synth({ metrics: false });
    expect(pod.containers.map((c: any) => c.name)).toEqual(['postgresql']);
    expect(manifests.find((m) => m.metadata.name === 'orders-metrics')).toBeUndefined();
    expect(only(manifests, 'NetworkPolicy').spec.ingress.flatMap((r: any) => r.ports)).toEqual([{ protocol: 'TCP', port: 5432 }]);
  });

  test('ServiceMonitor selects the metrics Service', () => {
    const { manifests } = synth({ serviceMonitor: true });
    const monitor = only(manifests, 'ServiceMonitor');
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', interval: '30s', path: '/metrics' }]);
    const service = only(manifests, 'Service', 'orders-metrics');
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(service.metadata.labels[k]).toBe(v);
    expect(only(manifests, 'Service', 'orders').metadata.labels['app.kubernetes.io/component']).not.toBe('metrics');
  });

  test('TLS with a cert-manager issuer: Certificate, mounted Secret, engine configured', () => {
    const { manifests, main, pod } = synth({ tls: { issuerName: 'internal-ca', issuerKind: IssuerKind.CLUSTER_ISSUER } });
    const cert = only(manifests, 'Certificate');
    expect(cert.spec).toMatchObject({ secretName: 'orders-tls', issuerRef: { name: 'internal-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' } });
    expect(cert.spec.dnsNames).toEqual(expect.arrayContaining(['orders', 'orders.shop.svc', '*.orders-headless.shop.svc']));
    expect(pod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'orders-tls', defaultMode: 0o440 } });
    expect(main.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/tls', readOnly: true });
    expect(only(manifests, 'ConfigMap', 'orders-config').data['postgresql.conf']).toMatch(/^ssl = on$/m);
  });

  test('TLS for MongoDB asks cert-manager for the combined PEM mongod reads', () => {
    const chart = newChart();
    new StatefulDatabase(chart, 'm', { engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }), name: 'm', tls: { issuerName: 'ca' } });
    const manifests = synthValid(chart);
    expect(only(manifests, 'Certificate').spec.additionalOutputFormats).toEqual([{ type: 'CombinedPEM' }]);
    expect(only(manifests, 'ConfigMap').data['mongod.conf']).toContain('certificateKeyFile: /tls/tls-combined.pem');
  });

  test('TLS from an existing Secret creates no Certificate', () => {
    const { manifests, pod } = synth({ tls: { secretName: 'orders-cert' } });
    expect(manifests.find((m) => m.kind === 'Certificate')).toBeUndefined();
    expect(pod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'orders-cert', defaultMode: 0o440 } });
  });

  test('blockEvictions emits a budget that refuses evictions, with the decision recorded', () => {
    const { manifests } = synth({ blockEvictions: true });
    const pdb = only(manifests, 'PodDisruptionBudget');
    expect(pdb.spec.maxUnavailable).toBe(0);
    expect(pdb.metadata.annotations['cdk8s-databases.io/decision']).toMatch(/blockEvictions=true/);
  });

  test('placement: dedicated nodes, node selector, tolerations, required node affinity', () => {
    const { pod } = synth({
      dedicatedNodes: { labelKey: 'workload', labelValue: 'database' },
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      tolerations: [{ key: 'spot', matchOperator: TolerationOperator.EXISTS, effect: TaintEffect.NO_EXECUTE }],
      requiredNodeAffinity: [{ key: 'topology.kubernetes.io/zone', matchOperator: NodeSelectorOperator.IN, values: ['eu-west-1a'] }],
    });
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64', 'workload': 'database' });
    expect(pod.tolerations).toEqual([
      { key: 'spot', operator: 'Exists', effect: 'NoExecute' },
      { key: 'workload', operator: 'Equal', value: 'database', effect: 'NoSchedule' },
    ]);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1a'] }] },
    ]);
  });

  test('air-gapped: registry override on every image, pull secrets on every pod', () => {
    const { manifests } = synth({ imageRegistry: 'registry.internal:5000/mirror', imagePullSecrets: ['mirror-pull'] });
    const pods = manifests.filter((m) => m.spec?.template?.spec).map((m) => m.spec.template.spec);
    expect(pods.length).toBe(3);
    const images = pods.flatMap(allContainers).map((c: any) => c.image).sort();
    expect(images).toEqual([
      'registry.internal:5000/mirror/curlimages/curl:8.10.1',
      'registry.internal:5000/mirror/library/postgres:16.6',
      'registry.internal:5000/mirror/library/postgres:16.6',
      'registry.internal:5000/mirror/prometheuscommunity/postgres-exporter:v0.15.0',
    ]);
    for (const pod of pods) expect(pod.imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);
  });

  test('extra labels on every object, annotations and env on the pod', () => {
    const { manifests, sts, main } = synth({ labels: { team: 'payments' }, annotations: { 'example.com/owner': 'payments' }, env: { TZ: 'UTC' } });
    for (const m of manifests) expect(m.metadata.labels.team).toBe('payments');
    expect(sts.spec.template.metadata.annotations['example.com/owner']).toBe('payments');
    expect(main.env).toContainEqual({ name: 'TZ', value: 'UTC' });
  });

  test('Redis: the only client port is on the client Service; the headless Service carries data-plane ports', () => {
    const chart = newChart();
    new StatefulDatabase(chart, 'cache', { engine: Engine.redis({ version: RedisVersion.V7_2 }), name: 'cache' });
    const manifests = synthValid(chart);
    expect(only(manifests, 'Service', 'cache').spec.ports.map((p: any) => p.port)).toEqual([6379]);
    expect(only(manifests, 'Service', 'cache-headless').spec.ports.map((p: any) => p.port)).toEqual([6379]);
  });
});

describe('helper constructs', () => {
  test('DatabaseStorageClass: reclaim, binding, expansion and mount options as asked', () => {
    const chart = newChart();
    new DatabaseStorageClass(chart, 'sc', {
      provisioner: 'pd.csi.storage.gke.io',
      name: 'scratch',
      reclaimPolicy: PvcRetention.DELETE,
      volumeBindingMode: VolumeBindingMode.IMMEDIATE,
      allowVolumeExpansion: false,
      mountOptions: ['noatime'],
    });
    expect(only(synthValid(chart), 'StorageClass')).toMatchObject({
      reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate', allowVolumeExpansion: false, mountOptions: ['noatime'],
    });
  });

  test('DatabasePriorityClass: value and description as asked', () => {
    const chart = newChart();
    new DatabasePriorityClass(chart, 'pc', { name: 'db-high', value: 2000000, description: 'databases first' });
    expect(only(synthValid(chart), 'PriorityClass')).toMatchObject({ metadata: { name: 'db-high' }, value: 2000000, description: 'databases first' });
  });
});
