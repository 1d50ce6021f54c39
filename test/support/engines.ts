import { Engine, PortRole, ReplicationMode } from '../../src';

/** A custom engine (ClickHouse) with one client port, as the tests of custom-engine defaults and refusals use it. */
export const customEngine = (overrides: Record<string, unknown> = {}) => Engine.custom({
  name: 'clickhouse',
  image: 'docker.io/clickhouse/clickhouse-server',
  version: '24.8.4.13',
  ports: [{ name: 'http', port: 8123, role: PortRole.CLIENT }],
  dataPath: '/var/lib/clickhouse',
  runAsUser: 101,
  ...overrides,
});

/** A custom primary/replica engine (KeyDB) whose role label the test gives, for custom replicated topologies. */
export const keydbEngine = (role: { roleLabelKey?: string; primaryRoleValue?: string; replicaRoleValue?: string } = {}) => Engine.custom({
  name: 'keydb',
  image: 'docker.io/eqalpha/keydb',
  version: '6.3.4',
  dataPath: '/data',
  runAsUser: 999,
  ports: [{ name: 'redis', port: 6379, role: PortRole.CLIENT }],
  replicationMode: ReplicationMode.PRIMARY_REPLICA,
  ...role,
});
