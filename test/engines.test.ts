import { Size } from 'cdk8s';
import {
  CassandraVersion, Engine, MongoDbVersion, MysqlVersion, PortRole, PostgresVersion, RedisVersion,
  StatefulDatabase, ValkeyVersion,
} from '../src';
import { allContainers, newChart, jobNamed, only, synthValid } from './support/synth';

interface EngineCase {
  readonly engine: Engine;
  readonly image: string;
  readonly container: string;
  readonly client: [string, number];
  readonly metrics: [string, number];
  readonly exporterImage: string;
  readonly uid: number;
  readonly dataPath: string;
  readonly readiness: string;
  readonly preStop: string;
  readonly configFile: string;
  readonly configLine: RegExp;
  readonly writable: string[];
  readonly grace: number;
}

const cases: Record<string, EngineCase> = {
  postgres: {
    engine: Engine.postgres({ version: PostgresVersion.V16 }),
    image: 'docker.io/library/postgres:16.6',
    container: 'postgresql',
    client: ['postgresql', 5432],
    metrics: ['metrics', 9187],
    exporterImage: 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0',
    uid: 999,
    dataPath: '/var/lib/postgresql/data',
    readiness: 'pg_isready -h 127.0.0.1 -p 5432',
    preStop: 'pg_ctl stop -D /var/lib/postgresql/data/pgdata -m fast -w -t 50',
    configFile: 'postgresql.conf',
    configLine: /^shared_buffers = 512MB$/m,
    writable: ['/var/run/postgresql', '/tmp', '/dev/shm'],
    grace: 60,
  },
  mysql: {
    engine: Engine.mysql({ version: MysqlVersion.V8_4 }),
    image: 'docker.io/library/mysql:8.4.3',
    container: 'mysql',
    client: ['mysql', 3306],
    metrics: ['metrics', 9104],
    exporterImage: 'quay.io/prometheus/mysqld-exporter:v0.15.1',
    uid: 999,
    dataPath: '/var/lib/mysql',
    readiness: 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot -h127.0.0.1 -e \'SELECT 1\'',
    preStop: 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysqladmin -uroot --socket=/var/run/mysqld/mysqld.sock shutdown',
    configFile: 'cdk8s-databases.cnf',
    configLine: /^innodb_buffer_pool_size=1024M$/m,
    writable: ['/var/run/mysqld', '/tmp'],
    grace: 90,
  },
  mongodb: {
    engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }),
    image: 'docker.io/library/mongo:7.0.14',
    container: 'mongodb',
    client: ['mongodb', 27017],
    metrics: ['metrics', 9216],
    exporterImage: 'docker.io/percona/mongodb_exporter:0.40.0',
    uid: 999,
    dataPath: '/data/db',
    readiness: 'mongosh --quiet --host 127.0.0.1 --port 27017 --eval "db.adminCommand(\'ping\').ok" | grep -q 1',
    preStop: 'mongod --shutdown --dbpath /data/db',
    configFile: 'mongod.conf',
    configLine: /^\s+cacheSizeGB: 0.5$/m,
    writable: ['/tmp', '/data/configdb'],
    grace: 60,
  },
  redis: {
    engine: Engine.redis({ version: RedisVersion.V7_4 }),
    image: 'docker.io/library/redis:7.4.1',
    container: 'redis',
    client: ['redis', 6379],
    metrics: ['metrics', 9121],
    exporterImage: 'docker.io/oliver006/redis_exporter:v1.66.0',
    uid: 999,
    dataPath: '/data',
    readiness: 'test "$(redis-cli -h 127.0.0.1 -p 6379 ping)" = PONG',
    preStop: 'redis-cli -h 127.0.0.1 -p 6379 shutdown || true',
    configFile: 'redis.conf',
    configLine: /^maxmemory 1536mb$/m,
    writable: ['/tmp'],
    grace: 60,
  },
  valkey: {
    engine: Engine.valkey({ version: ValkeyVersion.V8_0 }),
    image: 'docker.io/valkey/valkey:8.0.1',
    container: 'valkey',
    client: ['redis', 6379],
    metrics: ['metrics', 9121],
    exporterImage: 'docker.io/oliver006/redis_exporter:v1.66.0',
    uid: 999,
    dataPath: '/data',
    readiness: 'test "$(valkey-cli -h 127.0.0.1 -p 6379 ping)" = PONG',
    preStop: 'valkey-cli -h 127.0.0.1 -p 6379 shutdown || true',
    configFile: 'valkey.conf',
    configLine: /^appendonly yes$/m,
    writable: ['/tmp'],
    grace: 60,
  },
  cassandra: {
    engine: Engine.cassandra({ version: CassandraVersion.V4_1 }),
    image: 'docker.io/library/cassandra:4.1.7',
    container: 'cassandra',
    client: ['cql', 9042],
    metrics: ['metrics', 8080],
    exporterImage: 'docker.io/criteord/cassandra_exporter:2.3.8',
    uid: 999,
    dataPath: '/var/lib/cassandra',
    readiness: 'tcp:9042',
    preStop: 'nodetool drain',
    configFile: 'cassandra.yaml',
    configLine: /^endpoint_snitch: GossipingPropertyFileSnitch$/m,
    writable: ['/tmp', '/var/log/cassandra'],
    grace: 120,
  },
};

function synthEngine(c: EngineCase) {
  const chart = newChart('data');
  const db = new StatefulDatabase(chart, 'db', { engine: c.engine, name: 'db', memory: Size.gibibytes(2) });
  const manifests = synthValid(chart);
  const sts = only(manifests, 'StatefulSet');
  const pod = sts.spec.template.spec;
  const main = pod.containers.find((x: any) => x.name === c.container);
  return { db, manifests, sts, pod, main };
}

describe.each(Object.entries(cases))('%s engine profile', (_name, c) => {
  test('runs the official image at the pinned version', () => {
    const { main } = synthEngine(c);
    expect(main.image).toBe(c.image);
    expect(c.engine.image).toBe(c.image);
    expect(main.imagePullPolicy).toBe('IfNotPresent');
  });

  test('publishes only the client port on the client Service; metrics on its own Service', () => {
    const { manifests, db } = synthEngine(c);
    const client = only(manifests, 'Service', 'db');
    expect(client.spec.ports).toEqual([{ name: c.client[0], port: c.client[1], targetPort: c.client[0], protocol: 'TCP' }]);
    expect(client.spec.clusterIP).toBeUndefined();
    const metrics = only(manifests, 'Service', 'db-metrics');
    expect(metrics.spec.ports.map((p: any) => p.port)).toEqual([c.metrics[1]]);
    const headless = only(manifests, 'Service', 'db-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(headless.spec.ports.map((p: any) => p.port)).not.toContain(c.metrics[1]);
    expect(db.port).toBe(c.client[1]);
    expect(c.engine.ports.filter((p) => p.role === PortRole.CLIENT).map((p) => p.port)).toEqual([c.client[1]]);
  });

  test('passes Pod Security Standards "restricted" on every container', () => {
    const { pod } = synthEngine(c);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: c.uid,
      runAsGroup: c.uid,
      fsGroup: c.uid,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const container of allContainers(pod)) {
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.securityContext.runAsUser).toBeGreaterThan(0);
    }
  });

  test('is Guaranteed QoS: requests equal limits on every container, sidecar included', () => {
    const { pod, main } = synthEngine(c);
    expect(allContainers(pod)).toHaveLength(2);
    for (const container of allContainers(pod)) {
      expect(container.resources.limits).toEqual(container.resources.requests);
      expect(Object.keys(container.resources.limits).sort()).toEqual(['cpu', 'memory']);
    }
    expect(main.resources.limits).toEqual({ cpu: '1000m', memory: '2048Mi' });
  });

  test('probes and stops the engine with its own commands', () => {
    const { main, pod } = synthEngine(c);
    const command = (probe: any) => probe.exec ? probe.exec.command.slice(probe.exec.command[0] === 'sh' ? 2 : 0).join(' ') : `tcp:${probe.tcpSocket.port}`;
    expect(command(main.readinessProbe)).toBe(c.readiness);
    expect(main.startupProbe.failureThreshold * main.startupProbe.periodSeconds).toBeGreaterThanOrEqual(600);
    expect(main.livenessProbe.failureThreshold).toBeGreaterThan(main.readinessProbe.failureThreshold);
    const preStop = main.lifecycle.preStop.exec.command;
    expect((preStop[0] === 'sh' ? preStop[2] : preStop.join(' '))).toBe(c.preStop);
    expect(pod.terminationGracePeriodSeconds).toBe(c.grace);
  });

  test('mounts data, configuration and writable emptyDirs only where the engine writes', () => {
    const { main, manifests, sts } = synthEngine(c);
    const mounts = Object.fromEntries(main.volumeMounts.map((m: any) => [m.mountPath, m.name]));
    expect(mounts[c.dataPath]).toBe('data');
    for (const path of c.writable) expect(mounts[path]).toBeDefined();
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const config = only(manifests, 'ConfigMap', 'db-config');
    expect(config.data[c.configFile]).toMatch(c.configLine);
    expect(sts.spec.template.metadata.annotations['cdk8s-databases.io/config-checksum']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('runs the exporter sidecar reading credentials from the Secret', () => {
    const { pod } = synthEngine(c);
    const exporter = pod.containers.find((x: any) => x.name === 'metrics-exporter');
    expect(exporter.image).toBe(c.exporterImage);
    expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: c.metrics[1], protocol: 'TCP' }]);
    for (const env of exporter.env ?? []) {
      if (/PASS/.test(env.name)) expect(env.valueFrom.secretKeyRef).toEqual({ name: 'db-credentials', key: 'password' });
    }
  });

  test('never puts a password into the YAML', () => {
    const { manifests } = synthEngine(c);
    const pods = manifests.filter((m) => m.spec?.template?.spec).map((m) => m.spec.template.spec);
    const secretEnv = pods.flatMap(allContainers).flatMap((x: any) => x.env ?? []).filter((e: any) => /PASS|AUTH/.test(e.name));
    expect(secretEnv.length).toBeGreaterThan(0);
    // The superuser's Secret, or the application user's (read by the Job that creates that user).
    for (const env of secretEnv) expect(['db-credentials', 'db-app']).toContain(env.valueFrom.secretKeyRef.name);
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
  });
});

describe('engine specifics', () => {
  test('PostgreSQL keeps PGDATA below the mount point (lost+found) and loads its config file', () => {
    const { main } = synthEngine(cases.postgres);
    expect(main.env).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' });
    expect(main.args).toEqual(['-c', 'config_file=/etc/postgresql/postgresql.conf']);
    expect(main.env.find((e: any) => e.name === 'POSTGRES_USER').valueFrom.secretKeyRef.key).toBe('username');
  });

  test('MySQL keeps datadir below the mount point and disables the X Protocol port', () => {
    const { manifests } = synthEngine(cases.mysql);
    const cnf = only(manifests, 'ConfigMap', 'db-config').data['cdk8s-databases.cnf'];
    expect(cnf).toMatch(/^\[mysqld\]$/m);
    expect(cnf).toMatch(/^datadir=\/var\/lib\/mysql\/data$/m);
    expect(cnf).toMatch(/^mysqlx=0$/m);
  });

  test('MongoDB sizes the WiredTiger cache from the container limit and starts with its config file', () => {
    const { main } = synthEngine(cases.mongodb);
    expect(main.args).toEqual(['--config', '/etc/mongo/mongod.conf']);
    expect(main.env).toContainEqual({ name: 'HOME', value: '/tmp' });
  });

  test('Redis takes the password from the Secret, not from the ConfigMap', () => {
    const { main, manifests } = synthEngine(cases.redis);
    // With the application user the server starts from a script (the ACL user on stdin): the password from the env.
    expect(main.command[2]).toContain('--requirepass "$DB_PASSWORD"');
    expect(only(manifests, 'ConfigMap', 'db-config').data['redis.conf']).not.toMatch(/requirepass/);
    expect(only(manifests, 'ConfigMap', 'db-config').data['redis.conf']).toMatch(/^maxmemory-policy noeviction$/m);
  });

  test('Cassandra starts without the sed-editing entrypoint, with heap sized from the limit and its rack file', () => {
    const chart = newChart('data');
    new StatefulDatabase(chart, 'db', {
      engine: Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west', rack: 'rack-a' }),
      name: 'ring',
      memory: Size.gibibytes(8),
    });
    const manifests = synthValid(chart);
    const main = only(manifests, 'StatefulSet').spec.template.spec.containers[0];
    expect(main.command).toEqual(['cassandra', '-f']);
    expect(main.image).toBe('docker.io/library/cassandra:5.0.2');
    expect(main.env).toContainEqual({ name: 'MAX_HEAP_SIZE', value: '4096M' });
    expect(main.env).toContainEqual({ name: 'HEAP_NEWSIZE', value: '1024M' });
    const config = only(manifests, 'ConfigMap', 'ring-config').data;
    expect(config['cassandra-rackdc.properties']).toBe('dc=eu-west\nrack=rack-a\n');
    expect(config['cassandra.yaml']).toMatch(/- seeds: ring-0\.ring-headless\.data\.svc$/m);
    expect(config['cassandra.yaml']).toMatch(/^authenticator: PasswordAuthenticator$/m);
    // Peer (gossip) traffic is admitted from the ring's own pods only.
    const policy = only(manifests, 'NetworkPolicy');
    expect(policy.spec.ingress).toContainEqual({
      from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cassandra', 'app.kubernetes.io/instance': 'ring', 'app.kubernetes.io/component': 'database' } } }],
      ports: [{ protocol: 'TCP', port: 7000 }],
    });
    // The default superuser cassandra/cassandra is replaced by the Secret's role.
    const job = jobNamed(manifests, 'ring-roles');
    const script = job.spec.template.spec.containers[0].command[2];
    expect(script).toContain('CREATE ROLE IF NOT EXISTS');
    expect(script).toContain('ALTER ROLE cassandra WITH PASSWORD');
    expect(job.spec.template.spec.containers[0].image).toBe('docker.io/library/cassandra:5.0.2');
  });
});

describe('TLS configuration per engine', () => {
  test.each([
    ['postgres', cases.postgres.engine, 'postgresql.conf', /^ssl_key_file = '\/tls\/tls.key'$/m],
    ['mysql', cases.mysql.engine, 'cdk8s-databases.cnf', /^require_secure_transport=ON$/m],
    ['mongodb', cases.mongodb.engine, 'mongod.conf', /^\s+mode: requireTLS$/m],
    ['redis', cases.redis.engine, 'redis.conf', /^tls-port 6379\nport 0|^port 0$/m],
    ['cassandra', cases.cassandra.engine, 'cassandra.yaml', /^\s+keystore: \/tls\/tls-combined.pem$/m],
  ])('%s reads its certificate from the mounted Secret', (_name, engine, file, line) => {
    const chart = newChart('data');
    new StatefulDatabase(chart, 'db', { engine, name: 'db', memory: Size.gibibytes(2), tls: { issuerName: 'ca' } });
    const manifests = synthValid(chart);
    expect(only(manifests, 'ConfigMap', 'db-config').data[file]).toMatch(line);
    const main = only(manifests, 'StatefulSet').spec.template.spec.containers[0];
    expect(main.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/tls', readOnly: true });
  });
});

describe('custom engine', () => {
  test('runs any image with its ports, user, paths, commands and exporter', () => {
    const engine = Engine.custom({
      name: 'clickhouse',
      image: 'docker.io/clickhouse/clickhouse-server',
      version: '24.8.4.13',
      ports: [
        { name: 'http', port: 8123, role: PortRole.CLIENT },
        { name: 'interserver', port: 9009, role: PortRole.PEER },
        { name: 'metrics', port: 9363, role: PortRole.METRICS },
      ],
      dataPath: '/var/lib/clickhouse',
      runAsUser: 101,
      passwordEnv: 'CLICKHOUSE_PASSWORD',
      usernameEnv: 'CLICKHOUSE_USER',
      readinessCommand: ['clickhouse-client', '--query', 'SELECT 1'],
      preStopCommand: ['clickhouse-client', '--query', 'SYSTEM SHUTDOWN'],
      writablePaths: ['/tmp', '/var/log/clickhouse-server'],
      exporterImage: 'registry.example.com/clickhouse-exporter:1.0.0',
    });
    const chart = newChart('data');
    new StatefulDatabase(chart, 'db', { engine, name: 'ch', config: { max_connections: '200' } });
    const manifests = synthValid(chart);
    const pod = only(manifests, 'StatefulSet').spec.template.spec;
    const main = pod.containers[0];
    expect(main.image).toBe('docker.io/clickhouse/clickhouse-server:24.8.4.13');
    expect(main.readinessProbe.exec.command).toEqual(['clickhouse-client', '--query', 'SELECT 1']);
    expect(main.livenessProbe.tcpSocket.port).toBe(8123);
    expect(main.lifecycle.preStop.exec.command).toEqual(['clickhouse-client', '--query', 'SYSTEM SHUTDOWN']);
    expect(main.env.map((e: any) => e.name)).toEqual(['CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD']);
    expect(pod.securityContext.runAsUser).toBe(101);
    expect(pod.containers[1].image).toBe('registry.example.com/clickhouse-exporter:1.0.0');
    expect(only(manifests, 'Service', 'ch-headless').spec.ports.map((p: any) => p.port)).toEqual([8123, 9009]);
    expect(only(manifests, 'ConfigMap').data['database.conf']).toBe('max_connections = 200\n');
    expect(engine.hasMetricsExporter).toBe(true);
  });
});
