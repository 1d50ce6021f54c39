import { Engine, PortRole } from '../../src';

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
