import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as k33 from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import * as ts from 'typescript';
import { DatabasePeer, Engine, PortRole, PostgresVersion, ReplicatedDatabase, StatefulDatabase } from '../src';
import { customEngine } from './support/engines';
import { expectRefused } from './support/refused';
import { only, synthValid } from './support/synth';
import { typeCheckModules } from './support/typecheck';

const IMAGE = 'docker.io/library/nginx:1.27.2';
const NAME_LABEL = 'kubernetes.io/metadata.name';
const ADDRESS = 'cdk8s.io/metadata.addr';
const postgres = () => Engine.postgres({ version: PostgresVersion.V16 });

/** A database in namespace "data" and a chart for applications in `appNamespace` (same app). */
function setup(appNamespace: string | undefined = 'apps') {
  const app: App = Testing.app();
  const dataChart = new Chart(app, 'data', { namespace: 'data' });
  const appChart = appNamespace === 'data' ? dataChart : new Chart(app, 'apps', { namespace: appNamespace });
  const db = new StatefulDatabase(dataChart, 'orders', { engine: postgres(), name: 'orders' });
  return { app, dataChart, appChart, db };
}

/** The `from` of the client-port rule, without the library's own Job. */
function clientPeers(chart: Chart): any[] {
  const rules = only(synthValid(chart), 'NetworkPolicy').spec.ingress;
  const client = rules.find((r: any) => r.ports.some((p: any) => p.port === 5432));
  return client.from.filter((f: any) => !f.podSelector?.matchLabels?.['job-name']);
}

/** Type errors of a snippet importing the library as `cdk8s-databases` (ts-jest transpiles tests without checking types). */
function typeErrors(code: string): string[] {
  const file = path.join(__dirname, '__typecheck__', 'snippet.ts');
  const program = typeCheckModules(new Map([[file, code]]));
  return program.getSemanticDiagnostics(program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

describe('allowFrom accepts workloads of every cdk8s-plus version', () => {
  test('type-checks with cdk8s-plus-33 and cdk8s-plus-28 workloads (given connectionEnv()) and DatabasePeer, and refuses a string', () => {
    const errors = typeErrors([
      "import { App, Chart } from 'cdk8s';",
      "import * as k28 from 'cdk8s-plus-28';",
      "import * as k33 from 'cdk8s-plus-33';",
      "import { DatabasePeer, Engine, PostgresVersion, StatefulDatabase } from 'cdk8s-databases';",
      "const chart = new Chart(new App(), 'data');",
      "const db = new StatefulDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }) });",
      "db.connections.allowFrom(new k33.Deployment(chart, 'api33', { containers: [{ image: 'nginx:1.27.2', envVariables: db.connectionEnv() }] }));",
      "db.connections.allowFrom(new k28.Deployment(chart, 'api28', { containers: [{ image: 'nginx:1.27.2' }] }));",
      "db.connections.allowFrom(k33.Pods.select(chart, 'workers', { labels: { app: 'worker' } }));",
      "db.connections.allowFrom(DatabasePeer.pods({ labels: { app: 'api' }, namespaceName: 'apps' }));",
      "db.connections.allowFrom('api');",
      'export {};',
    ].join('\n'));
    expect(errors).toEqual(["Argument of type 'string' is not assignable to parameter of type 'IConstruct | DatabasePeer'."]);
  }, 60_000);

  test('a cdk8s-plus-33 Deployment compiles without a cast and is admitted by its pod address', () => {
    const { dataChart, db } = setup('data');
    const api = new k33.Deployment(dataChart, 'api', { containers: [{ image: IMAGE }] });
    db.connections.allowFrom(api);
    expect(clientPeers(dataChart)).toEqual([{ podSelector: { matchLabels: { [ADDRESS]: expect.stringMatching(/^data-api-/) } } }]);
  });

  test.each([
    ['cdk8s-plus-28', (scope: Construct) => new kplus.Deployment(scope, 'api', { containers: [{ image: IMAGE }] })],
    ['cdk8s-plus-33', (scope: Construct) => new k33.Deployment(scope, 'api', { containers: [{ image: IMAGE }] })],
  ])('a %s workload in another namespace is admitted in that namespace only', (_version, workload) => {
    const { appChart, dataChart, db } = setup('apps');
    db.connections.allowFrom(workload(appChart));
    expect(clientPeers(dataChart)).toEqual([{
      podSelector: { matchLabels: { [ADDRESS]: expect.stringMatching(/^apps-api-/) } },
      namespaceSelector: { matchLabels: { [NAME_LABEL]: 'apps' } },
    }]);
    synthValid(appChart);
  });

  test('cdk8s-plus-33 selectors and IP blocks are read like plus-28 ones', () => {
    const { dataChart, db } = setup('data');
    db.connections.allowFrom(k33.Pods.select(dataChart, 'workers', { labels: { app: 'worker' }, namespaces: k33.Namespaces.select(dataChart, 'jobs', { names: ['jobs'] }) }));
    db.connections.allowFrom(k33.Namespaces.select(dataChart, 'ci', { labels: { team: 'ci' } }));
    db.connections.allowFrom(k33.NetworkPolicyIpBlock.ipv4(dataChart, 'vpn', '10.8.0.0/16', ['10.8.1.0/24']));
    expect(clientPeers(dataChart)).toEqual([
      { podSelector: { matchLabels: { app: 'worker' } }, namespaceSelector: { matchLabels: { [NAME_LABEL]: 'jobs' } } },
      { podSelector: {}, namespaceSelector: { matchLabels: { team: 'ci' } } },
      { ipBlock: { cidr: '10.8.0.0/16', except: ['10.8.1.0/24'] } },
    ]);
  });

  test('a ReplicatedDatabase takes the same peers', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'data', { namespace: 'data' });
    const other = new Chart(app, 'apps', { namespace: 'apps' });
    const db = new ReplicatedDatabase(chart, 'orders', { engine: postgres(), name: 'orders', replicas: 3, zones: ['a', 'b', 'c'] });
    db.connections.allowFrom(new k33.Deployment(other, 'api', { containers: [{ image: IMAGE }] }));
    expect(clientPeers(chart)).toContainEqual({
      podSelector: { matchLabels: { [ADDRESS]: expect.stringMatching(/^apps-api-/) } },
      namespaceSelector: { matchLabels: { [NAME_LABEL]: 'apps' } },
    });
  });
});

describe('DatabasePeer', () => {
  test('pods by labels, in the database namespace or another; namespaces; IP blocks', () => {
    const { dataChart, db } = setup();
    db.connections.allowFrom(DatabasePeer.pods({ labels: { app: 'api' } }));
    db.connections.allowFrom(DatabasePeer.pods({ labels: { app: 'billing' }, namespaceName: 'billing' }));
    db.connections.allowFrom(DatabasePeer.pods({ labels: { app: 'same' }, namespaceName: 'data' }));
    db.connections.allowFrom(DatabasePeer.wholeNamespace('ci'));
    db.connections.allowFrom(DatabasePeer.ipBlock('10.8.0.0/16'));
    db.connections.allowFrom(DatabasePeer.ipBlock('fd00::/64', ['fd00::/96']));
    expect(clientPeers(dataChart)).toEqual([
      { podSelector: { matchLabels: { app: 'api' } } },
      { podSelector: { matchLabels: { app: 'billing' } }, namespaceSelector: { matchLabels: { [NAME_LABEL]: 'billing' } } },
      { podSelector: { matchLabels: { app: 'same' } } },
      { podSelector: {}, namespaceSelector: { matchLabels: { [NAME_LABEL]: 'ci' } } },
      { ipBlock: { cidr: '10.8.0.0/16' } },
      { ipBlock: { cidr: 'fd00::/64', except: ['fd00::/96'] } },
    ]);
  });

  test.each([
    ['no labels', () => DatabasePeer.pods({ labels: {} }),
      '`connections.allowFrom(DatabasePeer.pods(...))`: `labels` is empty or missing, which would admit every pod of the namespace. Give the labels of the client\'s pods, or use `DatabasePeer.wholeNamespace(name)` to admit a whole namespace.'],
    ['a bad label value', () => DatabasePeer.pods({ labels: { app: 'a b' } }),
      '`connections.allowFrom(DatabasePeer.pods(...))`: label app=a b is not a valid label'],
    ['a bad namespace', () => DatabasePeer.pods({ labels: { app: 'api' }, namespaceName: 'Apps' }),
      '`connections.allowFrom(DatabasePeer.pods(...))`: namespace "Apps" is not a valid namespace name'],
    ['an empty namespace', () => DatabasePeer.wholeNamespace(''),
      '`connections.allowFrom(DatabasePeer.wholeNamespace(...))`: namespace "" is not a valid namespace name'],
    ['a CIDR without mask', () => DatabasePeer.ipBlock('10.8.0.1'),
      '`connections.allowFrom(DatabasePeer.ipBlock(...))`: "10.8.0.1" is not a CIDR block: give an address and its mask, such as "10.8.0.0/16" or "fd00::/64".'],
    ['a mask too long', () => DatabasePeer.ipBlock('10.8.0.0/33'),
      '`connections.allowFrom(DatabasePeer.ipBlock(...))`: "10.8.0.0/33" is not a CIDR block'],
    ['a bad except', () => DatabasePeer.ipBlock('10.8.0.0/16', ['nope']),
      '`connections.allowFrom(DatabasePeer.ipBlock(...))`: "nope" is not a CIDR block'],
  ])('%s is refused with the database path', (_what, peer, message) => {
    const { db } = setup();
    expectRefused(() => db.connections.allowFrom(peer()), `data/orders: ${message}`);
  });
});

describe('what is not a peer is refused at the call, naming the database', () => {
  const accepted = 'give a cdk8s-plus workload or selector of any cdk8s-plus version (`Deployment`, `Pods.select(...)`, `Namespaces.select(...)`, `NetworkPolicyIpBlock.ipv4(...)`) or a `DatabasePeer` (`DatabasePeer.pods({ labels })`, `DatabasePeer.wholeNamespace(name)`, `DatabasePeer.ipBlock(cidr)`).';
  test.each([
    ['undefined', () => undefined, 'nothing'],
    ['a string', () => 'api', 'a string ("api")'],
    ['a plain construct', (c: Construct) => new Construct(c, 'thing'), 'the Construct construct "data/thing"'],
    ['a number', () => 5432, 'a number (5432)'],
  ])('%s', (_what, make, described) => {
    const { dataChart, db } = setup();
    const notAPeer = make(dataChart) as any;
    expectRefused(() => db.connections.allowFrom(notAPeer),
      `data/orders: \`connections.allowFrom\` got ${described}, which is not a network peer: ${accepted}`);
    expectRefused(() => db.connections.allowAdminFrom(notAPeer), `\`connections.allowAdminFrom\` got ${described}`);
  });

  test('a peer whose config selects nothing', () => {
    const { dataChart, db } = setup();
    const empty = new Construct(dataChart, 'empty');
    Object.assign(empty, { toNetworkPolicyPeerConfig: () => ({}) });
    expectRefused(() => db.connections.allowFrom(empty),
      `data/orders: \`connections.allowFrom\` got the Construct construct "data/empty", but it selects neither pods nor an IP block: ${accepted}`);
  });
});

describe('allowAdminFrom', () => {
  test.each([
    ['a single PostgreSQL', (c: Chart) => new StatefulDatabase(c, 'orders', { engine: postgres(), name: 'orders' }),
      "Engine 'postgresql 16.6' has no admin port (its ports: postgresql 5432 client, metrics 9187 metrics)"],
    ['Patroni, whose REST port stays a peer port', (c: Chart) => new ReplicatedDatabase(c, 'orders', { engine: postgres(), name: 'orders', replicas: 3, zones: ['a', 'b', 'c'] }),
      "Engine 'postgresql 16.6' has no admin port (its ports: postgresql 5432 client, metrics 9187 metrics, patroni 8008 peer)"],
  ])('on %s is refused rather than admitting nothing', (_what, make, engine) => {
    const app = Testing.app();
    const chart = new Chart(app, 'data', { namespace: 'data' });
    const db = make(chart);
    expectRefused(() => db.connections.allowAdminFrom(DatabasePeer.wholeNamespace('ops')),
      `data/orders: \`connections.allowAdminFrom\`: ${engine}, so the peer would be admitted nowhere. Use \`connections.allowFrom(...)\` for clients of the database; an admin port exists only on a custom engine that declares one with \`PortRole.ADMIN\` (\`Engine.custom({ ports: [..., { name, port, role: PortRole.ADMIN }] })\`).`);
  });

  test('a custom engine with an admin port admits the peer there only', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'data', { namespace: 'data' });
    const db = new StatefulDatabase(chart, 'events', {
      name: 'events',
      engine: customEngine({ ports: [{ name: 'http', port: 8123, role: PortRole.CLIENT }, { name: 'admin', port: 9999, role: PortRole.ADMIN }] }),
    });
    db.connections.allowAdminFrom(DatabasePeer.wholeNamespace('ops'));
    db.connections.allowFrom(DatabasePeer.pods({ labels: { app: 'api' } }));
    const rules = only(synthValid(chart), 'NetworkPolicy').spec.ingress;
    expect(rules).toContainEqual({ from: [{ podSelector: {}, namespaceSelector: { matchLabels: { [NAME_LABEL]: 'ops' } } }], ports: [{ protocol: 'TCP', port: 9999 }] });
    const client = rules.find((r: any) => r.ports[0].port === 8123);
    expect(client.from).toContainEqual({ podSelector: { matchLabels: { app: 'api' } } });
    expect(client.from).not.toContainEqual(expect.objectContaining({ namespaceSelector: { matchLabels: { [NAME_LABEL]: 'ops' } } }));
  });
});
