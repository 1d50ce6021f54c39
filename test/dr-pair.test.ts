import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import { parse, parseAllDocuments } from 'yaml';
import {
  Restore,
  ApplicationUser, BackupMethod, BackupSchedule, Credentials, DRPair, DrConnectivity, DrStrategy, Engine, MysqlVersion, RedisVersion,
  ReplicatedDatabase, Retention, VolumeReplicationBackend,
} from '../src';
import { S3, SITES, SITE_A, SITE_B, admits, envOf, newPair, objectDiff, pairDatabase, scriptOf, selects, siteManifests } from './support/dr';
import { expectRefused } from './support/refused';
import { only, synthValid } from './support/synth';
import { assertValidManifests } from './support/validate';

// A DRPair is one database on two clusters: both sites' YAML from one definition, the suspended Jobs that switch the
// running engines, and the RPO and RTO the configuration holds. These tests read what each site's YAML does.

const NS = 'shop';
const DR_ACTION = 'cdk8s-databases.io/dr-action';
const clusterset = (db: string) => `${db}.${NS}.svc.clusterset.local`;
const peerOf = (site: string) => SITES.find((s) => s !== site)!;
const slot = (site: string) => `dr_${site.replace(/-/g, '_')}`;
const cidrOf = (site: string) => (site === SITE_A.name ? SITE_A : SITE_B).trafficSourceCidrs![0];
/** An address inside a site's traffic source range. */
const addressOf = (site: string) => cidrOf(site).replace('0.0/16', '7.9');

const MIGRATIONS = { image: 'registry.example.com/orders-migrations:1.4.0' };

/** Both sites' manifests, by site name. */
function bothSites(pair: DRPair): Record<string, any[]> {
  return Object.fromEntries(SITES.map((s) => [s, siteManifests(pair, s)]));
}

const jobs = (manifests: any[]) => manifests.filter((m) => m.kind === 'Job');
const drJob = (manifests: any[], action: string) => only(jobs(manifests).filter((j) => j.metadata.labels[DR_ACTION] === action), 'Job');
const statefulSet = (manifests: any[]) => only(manifests, 'StatefulSet');
const mainContainer = (sts: any) => sts.spec.template.spec.containers[0];
const spilo = (manifests: any[], db: string) => only(manifests, 'ConfigMap', `${db}-spilo`);
const spiloYaml = (manifests: any[], db: string) => parse(spilo(manifests, db).data['spilo.yaml']);
const dynamicJson = (manifests: any[], db: string) => JSON.parse(spilo(manifests, db).data['patroni-dynamic.json']);
const memberLabels = (manifests: any[]) => statefulSet(manifests).spec.template.metadata.labels;

describe('DrStrategy.databaseReplication(): a Patroni standby cluster on the passive site', () => {
  const pair = newPair({ database: pairDatabase({ databaseName: 'shop', migrations: MIGRATIONS }) });
  const sites = bothSites(pair);
  const db = (site: string) => `orders-${site}`;

  test('the active and passive sites', () => {
    expect([pair.activeSite, pair.passiveSite]).toEqual(['site-a', 'site-b']);
    expect(pair.database('site-a').name).toBe('orders-site-a');
    expect(pair.chart('site-b').namespace).toBe(NS);
  });

  test('the passive site bootstraps as a standby of the peer, through the slot the peer keeps for it', () => {
    expect(spiloYaml(sites['site-b'], db('site-b')).bootstrap.dcs.standby_cluster).toEqual({
      host: 'orders-site-a.shop.svc.clusterset.local',
      port: 5432,
      primary_slot_name: 'dr_site_b',
      create_replica_methods: ['basebackup'],
    });
    expect(spiloYaml(sites['site-a'], db('site-a')).bootstrap.dcs.standby_cluster).toBeUndefined();
    expect(spilo(sites['site-a'], db('site-a')).data['spilo.yaml']).not.toContain('standby_cluster');
  });

  test.each(SITES)('%s: the configuration PATCHed at every pod start never holds standby_cluster, and keeps a bounded slot for the peer', (site) => {
    const m = sites[site];
    const raw = spilo(m, db(site)).data['patroni-dynamic.json'];
    expect(raw).not.toContain('standby_cluster');
    const dynamic = dynamicJson(m, db(site));
    expect(dynamic.slots).toEqual({ [slot(peerOf(site))]: { type: 'physical' } });
    // A quarter of the default 10 GiB volume.
    expect(dynamic.postgresql.parameters.max_slot_wal_keep_size).toBe('2560MB');
    // The bootstrap keeps the same slot: the cluster has it from its first start.
    expect(spiloYaml(m, db(site)).bootstrap.dcs.slots).toEqual({ [slot(peerOf(site))]: { type: 'physical' } });
  });

  test.each(SITES)('%s: replication, basebackup and pg_rewind connections verify the peer against the shared CA', (site) => {
    const sts = statefulSet(sites[site]);
    // In SPILO_CONFIGURATION's local block (Spilo starts Patroni with an emptied environment: PATRONI_* variables
    // would never reach it), for the replication user and the superuser pg_rewind connects as.
    const authentication = spiloYaml(sites[site], db(site)).postgresql.authentication;
    expect(authentication).toEqual({
      replication: { sslmode: 'verify-ca', sslrootcert: '/tls/ca.crt' },
      superuser: { sslmode: 'verify-ca', sslrootcert: '/tls/ca.crt' },
    });
    expect(Object.keys(envOf(mainContainer(sts))).filter((k) => k.startsWith('PATRONI_'))).toEqual([]);
    const root = authentication.replication.sslrootcert;
    // The file is the CA of the site's certificate Secret, mounted where the variable points.
    const mount = mainContainer(sts).volumeMounts.find((v: any) => root.startsWith(`${v.mountPath}/`));
    const volume = sts.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    expect(volume.secret.secretName).toBe(only(sites[site], 'Certificate').spec.secretName);
  });

  test('the passive site writes nothing of its own: no init, application user or migrations Job; the active site has them', () => {
    const components = (m: any[]) => jobs(m).filter((j) => j.metadata.labels[DR_ACTION] === undefined)
      .map((j) => j.metadata.labels['app.kubernetes.io/component']).sort();
    expect(components(sites['site-a'])).toEqual(['application-user', 'formation', 'migrations']);
    expect(components(sites['site-b'])).toEqual([]);
    expect(pair.database('site-b').migrationsJob).toBeUndefined();
    expect(pair.database('site-a').migrationsJob).toBeDefined();
  });

  test.each(SITES)('%s: exports its read-write Service under the name the peer resolves in clusterset.local', (site) => {
    const m = sites[site];
    const exported = only(m, 'ServiceExport');
    expect(exported.apiVersion).toBe('multicluster.x-k8s.io/v1alpha1');
    expect(exported.metadata).toMatchObject({ name: db(site), namespace: NS });
    // MCS joins the export to the Service of the same namespace and name: the leader's.
    const service = only(m, 'Service', db(site));
    expect(service.spec.selector).toMatchObject({ 'spilo-role': 'master' });
    expect(service.spec.type ?? 'ClusterIP').toBe('ClusterIP');
  });

  test.each(SITES)('%s: admits the peer\'s range to the client port, and not its own range', (site) => {
    const m = sites[site];
    const members = memberLabels(m);
    expect(admits(m, members, { ip: addressOf(peerOf(site)) }, 5432)).toBe(true);
    expect(admits(m, members, { ip: addressOf(site) }, 5432)).toBe(false);
    // Only the client port: the peer never reaches Patroni's API.
    expect(admits(m, members, { ip: addressOf(peerOf(site)) }, 8008)).toBe(false);
    const policy = only(m, 'NetworkPolicy', db(site));
    const blocks = policy.spec.ingress.flatMap((r: any) => r.from ?? []).filter((p: any) => p.ipBlock).map((p: any) => p.ipBlock.cidr);
    expect(blocks).toEqual([cidrOf(peerOf(site))]);
  });

  test.each(SITES)('%s: the certificate names the site\'s clusterset host (the peer verifies it)', (site) => {
    expect(only(sites[site], 'Certificate').spec.dnsNames).toContain(clusterset(db(site)));
    expect(only(sites[site], 'Certificate').spec.dnsNames).not.toContain(clusterset(db(peerOf(site))));
  });

  test.each(SITES)('%s: three suspended Jobs fence, promote and demote through this site\'s Patroni members', (site) => {
    const m = sites[site];
    const dr = jobs(m).filter((j) => j.metadata.labels[DR_ACTION] !== undefined);
    expect(dr.map((j) => j.metadata.labels[DR_ACTION]).sort()).toEqual(['demote', 'fence', 'promote']);
    const apis = [0, 1, 2].map((i) => `http://${db(site)}-${i}.${db(site)}-headless.${NS}.svc:8008`);
    for (const job of dr) {
      expect(job.spec.suspend).toBe(true);
      expect(job.spec.template.metadata.labels[DR_ACTION]).toBe(job.metadata.labels[DR_ACTION]);
      expect(job.spec.template.spec.automountServiceAccountToken).toBe(false);
      expect(scriptOf(job)).toContain(`MEMBERS='${apis.join(' ')}'`);
      expect(scriptOf(job)).not.toContain(`${db(peerOf(site))}-0.`);
      expect(job.spec.template.spec.containers[0].image).toBe(mainContainer(statefulSet(m)).image);
    }
    expect(scriptOf(drJob(m, 'promote'))).toContain('"standby_cluster":null');
    expect(scriptOf(drJob(m, 'fence'))).toContain(`PGHOST=${db(site)}.${NS}.svc`);
    const demote = scriptOf(drJob(m, 'demote'));
    expect(demote).toContain(`PEER=${clusterset(db(peerOf(site)))}:5432`);
    expect(demote).toContain(`"standby_cluster":{"host":"${clusterset(db(peerOf(site)))}","port":5432,"primary_slot_name":"${slot(site)}"`);
    // The Jobs are found by name in the runbook.
    expect(pair.switchJob(site, 'demote')!.name).toBe(drJob(m, 'demote').metadata.name);
  });

  test.each(SITES)('%s: the switch policy opens Patroni\'s API and the client port to DR Job pods only', (site) => {
    const m = sites[site];
    const policy = only(m, 'NetworkPolicy', `${db(site)}-dr-switch`);
    expect(selects(policy.spec.podSelector, memberLabels(m))).toBe(true);
    const rule = policy.spec.ingress[0];
    expect(policy.spec.ingress).toHaveLength(1);
    expect(rule.ports.map((p: any) => p.port).sort()).toEqual([5432, 8008]);
    expect(rule.from).toHaveLength(1);
    expect(rule.from[0].podSelector.matchExpressions).toEqual([{ key: DR_ACTION, operator: 'Exists' }]);
    // Pods of another workload of the namespace, without the label, are not admitted to Patroni's API; the
    // database's pods with it are.
    expect(admits(m, memberLabels(m), { podLabels: { app: 'shop-frontend' } }, 8008)).toBe(false);
    expect(admits(m, memberLabels(m), { podLabels: { ...memberLabels(m), [DR_ACTION]: 'fence' } }, 8008)).toBe(true);
  });

  test.each(SITES)('%s: the DR Jobs\' own pods reach Patroni\'s API and the client port; the other Jobs\' pods do not reach the API', (site) => {
    // Their pods carry component `dr`, not `database` (a selector copied from the members' would admit none of them).
    const m = sites[site];
    for (const action of ['fence', 'promote', 'demote']) {
      const podLabels = drJob(m, action).spec.template.metadata.labels;
      expect(podLabels['app.kubernetes.io/component']).toBe('dr');
      expect(admits(m, memberLabels(m), { podLabels }, 8008)).toBe(true);
      expect(admits(m, memberLabels(m), { podLabels }, 5432)).toBe(true);
    }
    for (const job of jobs(m).filter((j) => j.metadata.labels[DR_ACTION] === undefined)) {
      expect(admits(m, memberLabels(m), { podLabels: { ...job.spec.template.metadata.labels, 'job-name': job.metadata.name } }, 8008)).toBe(false);
    }
    // Another database's DR Jobs in the namespace are not this one's.
    const otherDr = { ...drJob(m, 'fence').spec.template.metadata.labels, 'app.kubernetes.io/instance': 'payments' };
    expect(admits(m, memberLabels(m), { podLabels: otherDr }, 8008)).toBe(false);
  });

  test('both sites run the same engine image and version, with the same Secret references', () => {
    const [a, b] = SITES.map((s) => statefulSet(sites[s]));
    expect(mainContainer(a).image).toBe(mainContainer(b).image);
    expect(a.metadata.annotations['cdk8s-databases.io/engine']).toBe(b.metadata.annotations['cdk8s-databases.io/engine']);
    const secrets = (objects: any[]) => [...new Set(JSON.stringify(objects).match(/"secretKeyRef":\{"key":"[^"]+","name":"[^"]+"/g))].sort();
    const running = (m: any[]) => [statefulSet(m), ...jobs(m).filter((j) => j.metadata.labels[DR_ACTION] !== undefined)];
    expect(secrets(running(sites['site-a']))).toEqual(secrets(running(sites['site-b'])));
    expect(secrets(running(sites['site-a']))).toEqual([
      '"secretKeyRef":{"key":"password","name":"orders-credentials"',
      '"secretKeyRef":{"key":"replication-password","name":"orders-credentials"',
      '"secretKeyRef":{"key":"username","name":"orders-credentials"',
    ]);
    // The active site's application user Job sets the password of the Secret both clusters hold.
    const appJob = jobs(sites['site-a']).find((j) => j.metadata.labels['app.kubernetes.io/component'] === 'application-user');
    expect(envOf(appJob.spec.template.spec.containers[0]).APP_PASSWORD).toBe('secret:orders-app/password');
  });

  test('member names are unique across the sites', () => {
    const [a, b] = SITES.map((s) => statefulSet(sites[s]));
    expect([a.metadata.name, b.metadata.name]).toEqual(['orders-site-a', 'orders-site-b']);
    expect(envOf(mainContainer(a)).SCOPE).toBe('orders-site-a');
    expect(envOf(mainContainer(b)).SCOPE).toBe('orders-site-b');
    expect(a.spec.replicas).toBe(3);
    expect(b.spec.replicas).toBe(3);
  });

  test('each site spreads over its own zones', () => {
    const zonesOf = (m: any[]) => statefulSet(m).spec.template.spec.affinity.nodeAffinity
      .requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values;
    expect(zonesOf(sites['site-a'])).toEqual(SITE_A.zones);
    expect(zonesOf(sites['site-b'])).toEqual(SITE_B.zones);
  });

  test('a site\'s own StorageClass, and IPv6 ranges, reach that site\'s objects only', () => {
    const m = bothSites(newPair({
      sites: [{ ...SITE_A, storageClassName: 'ceph-rbd-a', trafficSourceCidrs: ['2001:db8:a::/48'] }, SITE_B],
      database: pairDatabase({ storageClassName: 'standard' }),
    }));
    const classOf = (site: string) => statefulSet(m[site]).spec.volumeClaimTemplates[0].spec.storageClassName;
    expect([classOf('site-a'), classOf('site-b')]).toEqual(['ceph-rbd-a', 'standard']);
    const blocks = (site: string) => only(m[site], 'NetworkPolicy', db(site)).spec.ingress.flatMap((r: any) => r.from ?? [])
      .filter((p: any) => p.ipBlock).map((p: any) => p.ipBlock.cidr);
    expect(blocks('site-b')).toEqual(['2001:db8:a::/48']);
    expect(blocks('site-a')).toEqual(['10.2.0.0/16']);
  });

  test('maxSlotWalKeep bounds the slot on both sites', () => {
    const m = bothSites(newPair({ strategy: DrStrategy.databaseReplication({ maxSlotWalKeep: Size.gibibytes(4) }) }));
    for (const site of SITES) expect(dynamicJson(m[site], db(site)).postgresql.parameters.max_slot_wal_keep_size).toBe('4096MB');
  });
});

describe('DrConnectivity.loadBalancer(): a LoadBalancer per site that only the peer\'s ranges reach', () => {
  const A = { ...SITE_A, address: 'orders.site-a.example.com' };
  const B = { ...SITE_B, address: 'orders.site-b.example.com' };
  const addressOfSite = (site: string) => (site === 'site-a' ? A : B).address;
  const pair = newPair({ sites: [A, B], connectivity: DrConnectivity.loadBalancer() });
  const sites = bothSites(pair);
  const db = (site: string) => `orders-${site}`;

  test.each(SITES)('%s: the peer Service is a LoadBalancer limited to the peer\'s ranges, in front of the leader', (site) => {
    const m = sites[site];
    const service = only(m, 'Service', `${db(site)}-peer`);
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.loadBalancerSourceRanges).toEqual([cidrOf(peerOf(site))]);
    expect(service.spec.selector).toEqual({ ...statefulSet(m).spec.selector.matchLabels, 'spilo-role': 'master' });
    expect(service.spec.ports.map((p: any) => [p.port, p.targetPort])).toEqual([[5432, 5432]]);
    expect(m.filter((o) => o.kind === 'ServiceExport')).toEqual([]);
    expect(only(m, 'Certificate').spec.dnsNames).toContain(addressOfSite(site));
    expect(admits(m, memberLabels(m), { ip: addressOf(peerOf(site)) }, 5432)).toBe(true);
  });

  test('the standby follows the peer at its declared address; the demote Job too', () => {
    expect(spiloYaml(sites['site-b'], db('site-b')).bootstrap.dcs.standby_cluster.host).toBe('orders.site-a.example.com');
    expect(scriptOf(drJob(sites['site-a'], 'demote'))).toContain('PEER=orders.site-b.example.com:5432');
  });

  test('the LoadBalancer keeps the peer\'s source address, which the NetworkPolicy admits by ipBlock', () => {
    // With the default externalTrafficPolicy (Cluster) kube-proxy masquerades the LoadBalancer's traffic to a node
    // address, so the peer's connections would reach the pods from a node IP that the ipBlock of the peer's ranges does
    // not hold (kubernetes.io/docs/tutorials/services/source-ip, and the NetworkPolicy docs on ipBlock): `Local` keeps it.
    for (const site of SITES) expect(only(sites[site], 'Service', `${db(site)}-peer`).spec.externalTrafficPolicy).toBe('Local');
  });

  test('a site without an address is refused', () => {
    expectRefused(() => newPair({ sites: [A, SITE_B], connectivity: DrConnectivity.loadBalancer() }),
      'orders: `connectivity` DrConnectivity.loadBalancer() needs each site\'s `address` (the host name of its LoadBalancer): site "site-b" has none.');
  });
});

/** The diff of one site between the pair with site-a active and the same pair with site-b active; one-off Job hashes as <hash>. */
interface SwitchDiff {
  readonly diff: Record<string, string[]>;
  readonly before: Record<string, any[]>;
  readonly after: Record<string, any[]>;
}

function switchDiff(build: (activeSite: string) => DRPair): SwitchDiff {
  const before = bothSites(build('site-a'));
  const after = bothSites(build('site-b'));
  const diff = Object.fromEntries(SITES.map((s) => [s, objectDiff(before[s], after[s]).map((d) => d.replace(/-[0-9a-f]{6}$/, '-<hash>'))]));
  return { diff, before, after };
}

/** The object of `Kind/name` in a synthesis. */
const objectOf = (manifests: any[], key: string) => manifests.find((m) => `${m.kind}/${m.metadata.name}` === key);

/** A client NetworkPolicy without the rules that admit one-off Jobs by name (they follow the active-only Jobs). */
function withoutJobAdmissions(policy: any): any {
  const copy = JSON.parse(JSON.stringify(policy));
  for (const rule of copy.spec.ingress) rule.from = rule.from?.filter((p: any) => p.podSelector?.matchLabels?.['job-name'] === undefined);
  copy.spec.ingress = copy.spec.ingress.filter((r: any) => r.from === undefined || r.from.length > 0);
  return copy;
}

describe('switching activeSite is a reviewed diff of exactly the intended objects', () => {
  test('databaseReplication: the bootstrap standby_cluster moves, the active-only Jobs move; no pod template changes', () => {
    const { diff, before, after } = switchDiff((activeSite) => newPair({ activeSite, database: pairDatabase({ databaseName: 'shop', migrations: MIGRATIONS }) }));
    const activeOnly = (db: string) => [
      `Job/${db}-app-<hash>`, `Job/${db}-init-<hash>`, `Job/${db}-migrate-<hash>`,
      `ServiceAccount/${db}-app`, `ServiceAccount/${db}-init`, `ServiceAccount/${db}-migrate`,
    ];
    expect(diff['site-a']).toEqual([
      '~ ConfigMap/orders-site-a-spilo', '~ NetworkPolicy/orders-site-a', ...activeOnly('orders-site-a').map((k) => `- ${k}`),
    ].sort());
    expect(diff['site-b']).toEqual([
      '~ ConfigMap/orders-site-b-spilo', '~ NetworkPolicy/orders-site-b', ...activeOnly('orders-site-b').map((k) => `+ ${k}`),
    ].sort());
    for (const site of SITES) {
      const db = `orders-${site}`;
      // Only spilo.yaml, read once at bootstrap; the configuration PATCHed at pod start stays.
      const [x, y] = [before[site], after[site]].map((m) => spilo(m, db).data);
      expect(x['patroni-dynamic.json']).toBe(y['patroni-dynamic.json']);
      const [bx, by] = [x, y].map((d) => parse(d['spilo.yaml']));
      expect(Boolean(bx.bootstrap.dcs.standby_cluster)).toBe(site === 'site-b');
      expect(Boolean(by.bootstrap.dcs.standby_cluster)).toBe(site === 'site-a');
      delete bx.bootstrap.dcs.standby_cluster;
      delete by.bootstrap.dcs.standby_cluster;
      expect(bx).toEqual(by);
      // The client policy changes only by the admission of the Jobs that come and go.
      const policy = `NetworkPolicy/${db}`;
      expect(withoutJobAdmissions(objectOf(before[site], policy))).toEqual(withoutJobAdmissions(objectOf(after[site], policy)));
      // No restart: the StatefulSet (pod template, config checksum) is the same object.
      expect(statefulSet(after[site])).toEqual(statefulSet(before[site]));
    }
  });

  test('backupRestore: replicas move with the active site, the origin gets the clone settings, the new active site keeps them', () => {
    const cold = DrStrategy.backupRestore({ archiving: { target: S3 } });
    const { diff, before, after } = switchDiff((activeSite) => newPair({ activeSite, strategy: cold }));
    expect(diff['site-a']).toEqual(['- Job/orders-site-a-app-<hash>', '- ServiceAccount/orders-site-a-app', '~ NetworkPolicy/orders-site-a', '~ StatefulSet/orders-site-a']);
    expect(diff['site-b']).toEqual(['+ Job/orders-site-b-app-<hash>', '+ ServiceAccount/orders-site-b-app', '~ NetworkPolicy/orders-site-b', '~ StatefulSet/orders-site-b']);
    // What changes in the StatefulSets: the replicas, and on the origin (the first site) the CLONE_* variables it gets
    // as a cold site. The new active site KEEPS its clone settings: applying the flip before its promote Job ran still
    // restores the archive instead of starting an empty database, and applying it after restarts nothing.
    expect(statefulSet(after['site-b']).spec.template).toEqual(statefulSet(before['site-b']).spec.template);
    expect(envOf(mainContainer(statefulSet(after['site-b']))).CLONE_SCOPE).toBe('orders-site-a');
    const stripped = (sts: any) => {
      const copy = JSON.parse(JSON.stringify(sts));
      delete copy.spec.replicas;
      copy.spec.template.spec.containers[0].env = copy.spec.template.spec.containers[0].env.filter((e: any) => !e.name.startsWith('CLONE_'));
      return copy;
    };
    for (const site of SITES) expect(stripped(statefulSet(after[site]))).toEqual(stripped(statefulSet(before[site])));
    expect(statefulSet(after['site-b']).spec.replicas).toBe(3);
    expect(statefulSet(after['site-a']).spec.replicas).toBe(0);
    expect(envOf(mainContainer(statefulSet(after['site-a']))).CLONE_SCOPE).toBe('orders-site-b');
  });

  test('csi-addons volumes: replicas and the replication states move; the pod templates stay', () => {
    const { diff, before, after } = switchDiff((activeSite) => newPair({
      activeSite,
      database: pairDatabase({ engine: Engine.mysql({ version: MysqlVersion.V8_4 }), tls: undefined }),
      strategy: DrStrategy.volumeReplication(VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com' })),
    }));
    const states = ['data-orders-0', 'data-orders-1', 'data-orders-2'].map((c) => `~ VolumeReplication/${c}`);
    expect(diff['site-a']).toEqual(['- Job/orders-app-<hash>', '- ServiceAccount/orders-app', '~ NetworkPolicy/orders', '~ StatefulSet/orders', ...states].sort());
    expect(diff['site-b']).toEqual(['+ Job/orders-app-<hash>', '+ ServiceAccount/orders-app', '~ NetworkPolicy/orders', '~ StatefulSet/orders', ...states].sort());
    for (const site of SITES) {
      expect(statefulSet(after[site]).spec.template).toEqual(statefulSet(before[site]).spec.template);
      expect(objectOf(after[site], 'VolumeReplication/data-orders-0').spec.replicationState).toBe(site === 'site-b' ? 'primary' : 'secondary');
    }
  });

  test('Stork volumes: replicas and the migration objects move with the active site; the pod templates stay', () => {
    const { diff, before, after } = switchDiff((activeSite) => newPair({
      activeSite,
      database: pairDatabase({ engine: Engine.redis({ version: RedisVersion.V7_4 }), tls: undefined }),
      strategy: DrStrategy.volumeReplication(VolumeReplicationBackend.stork({ clusterPair: 'to-other-site' })),
    }));
    const stork = ['MigrationSchedule/orders-dr', 'Rule/orders-dr-quiesce', 'SchedulePolicy/shop-orders-dr'];
    expect(diff['site-a']).toEqual([...stork.map((k) => `- ${k}`), '~ StatefulSet/orders'].sort());
    expect(diff['site-b']).toEqual([...stork.map((k) => `+ ${k}`), '~ StatefulSet/orders'].sort());
    for (const site of SITES) expect(statefulSet(after[site]).spec.template).toEqual(statefulSet(before[site]).spec.template);
  });
});

describe('DrStrategy.backupRestore(): a cold site that clones the active site\'s archive when started', () => {
  const pair = newPair({ strategy: DrStrategy.backupRestore({ archiving: { target: S3, archiveTimeout: Duration.minutes(2) } }) });
  const sites = bothSites(pair);
  const env = (site: string) => envOf(mainContainer(statefulSet(sites[site])));

  test('the passive site waits at zero replicas with a ready clone of the active site\'s archive, to its end', () => {
    const passive = statefulSet(sites['site-b']);
    expect(passive.spec.replicas).toBe(0);
    expect(statefulSet(sites['site-a']).spec.replicas).toBe(3);
    const e = env('site-b');
    expect(e).toMatchObject({
      CLONE_SCOPE: 'orders-site-a',
      CLONE_METHOD: 'CLONE_WITH_WALE',
      CLONE_USE_WALG_RESTORE: 'true',
      CLONE_AWS_ENDPOINT: 'https://s3.example.com',
      CLONE_AWS_ACCESS_KEY_ID: 'secret:orders-s3/access-key-id',
    });
    expect(e.CLONE_TARGET_TIME).toBeUndefined();
    // The clone reads where the active site archives: its scope, bucket and prefix.
    const a = env('site-a');
    expect(e.CLONE_SCOPE).toBe(a.SCOPE);
    expect(e.CLONE_WAL_S3_BUCKET).toBe(a.WAL_S3_BUCKET);
    expect(e.CLONE_WAL_BUCKET_SCOPE_PREFIX).toBe(a.WAL_BUCKET_SCOPE_PREFIX);
    expect(Object.keys(a).filter((k) => k.startsWith('CLONE_'))).toEqual([]);
  });

  test.each(SITES)('%s archives its WAL whenever it runs (after a failover the other site restores from it)', (site) => {
    expect(env(site)).toMatchObject({ USE_WALG_BACKUP: 'true', WAL_S3_BUCKET: 'orders-dr', AWS_ENDPOINT: 'https://s3.example.com' });
    expect(parse(spilo(sites[site], `orders-${site}`).data['spilo.yaml']).postgresql.parameters.archive_timeout).toBe('120s');
    // Base backups as the RTO's replay term assumes them (daily at 01:00 by default).
    expect(env(site).BACKUP_SCHEDULE).toBe('0 1 * * *');
    expect(spilo(sites[site], `orders-${site}`).data['spilo.yaml']).not.toContain('standby_cluster');
    expect(sites[site].filter((m) => m.kind === 'ServiceExport')).toEqual([]);
  });

  test.each(SITES)('%s: fence and promote Jobs scale the site\'s StatefulSets, with a Role limited to them', (site) => {
    const m = sites[site];
    const db = `orders-${site}`;
    const dr = jobs(m).filter((j) => j.metadata.labels[DR_ACTION] !== undefined);
    expect(dr.map((j) => j.metadata.labels[DR_ACTION]).sort()).toEqual(['fence', 'promote']);
    const role = only(m, 'Role', `${db}-dr-switch`);
    const claims = [0, 1, 2].map((i) => `data-${db}-${i}`);
    expect(role.rules).toEqual([
      { apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: [db], verbs: ['get', 'patch', 'update'] },
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list', 'watch'] },
      // Promote refuses a site that still has claims of an earlier run, and clears Patroni's objects of the scope.
      { apiGroups: [''], resources: ['persistentvolumeclaims'], resourceNames: claims, verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['config', 'leader', 'failover', 'sync'].map((k) => `${db}-${k}`), verbs: ['delete'] },
    ]);
    const binding = only(m, 'RoleBinding', `${db}-dr-switch`);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    for (const job of dr) {
      expect(job.spec.suspend).toBe(true);
      const pod = job.spec.template.spec;
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName }]);
      // kubectl needs the token; the ServiceAccount itself mounts none for other pods.
      expect(pod.automountServiceAccountToken).toBe(true);
      expect(only(m, 'ServiceAccount', pod.serviceAccountName).automountServiceAccountToken).toBe(false);
      expect(envOf(pod.containers[0]).STATEFULSETS).toBe(db);
    }
    // Promote starts the members at the active site's count, whichever site it runs on.
    expect(scriptOf(drJob(m, 'promote'))).toContain(`for pair in ${db}=${statefulSet(sites['site-a']).spec.replicas}; do`);
    expect(scriptOf(drJob(m, 'promote'))).toContain('kubectl scale "statefulset/${pair%=*}" --replicas="${pair#*=}"');
    const fence = scriptOf(drJob(m, 'fence'));
    expect(fence).toContain('kubectl scale "statefulset/$sts" --replicas=0');
    expect(fence.indexOf('--replicas=0')).toBeLessThan(fence.indexOf('kubectl wait "statefulset/$sts" --for=jsonpath=\'{.status.replicas}\'=0'));
  });
});

const CSI = () => DrStrategy.volumeReplication(VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com' }));
const STORK = () => DrStrategy.volumeReplication(VolumeReplicationBackend.stork({ clusterPair: 'to-other-site' }));
const mysql = () => pairDatabase({ engine: Engine.mysql({ version: MysqlVersion.V8_4 }), tls: undefined });
const redis = () => pairDatabase({ engine: Engine.redis({ version: RedisVersion.V7_4 }), tls: undefined });
const CLAIMS = ['data-orders-0', 'data-orders-1', 'data-orders-2'];

describe('DrStrategy.volumeReplication(): the same database on both sites, its volumes replicated by claim name', () => {
  test.each([['csi-addons, MySQL', CSI, mysql], ['Stork, Redis', STORK, redis]] as const)('%s: one name, the passive site at zero replicas', (_label, strategy, database) => {
    const sites = bothSites(newPair({ strategy: strategy(), database: database() }));
    const [a, b] = SITES.map((s) => statefulSet(sites[s]));
    expect([a.metadata.name, b.metadata.name]).toEqual(['orders', 'orders']);
    expect([a.spec.replicas, b.spec.replicas]).toEqual([3, 0]);
    // The claims the storage replicates are the ones the members mount: <template>-<StatefulSet>-<ordinal>.
    expect(a.spec.volumeClaimTemplates.map((t: any) => t.metadata.name)).toEqual(['data']);
    // The same members but for their zones: each site's own.
    expect(b.spec.template.spec.containers).toEqual(a.spec.template.spec.containers);
  });

  describe('csi-addons', () => {
    const sites = bothSites(newPair({ strategy: CSI(), database: mysql() }));

    test.each(SITES)('%s: a VolumeReplication per member claim, primary on the active site and secondary on the passive one', (site) => {
      const m = sites[site];
      const replications = m.filter((o) => o.kind === 'VolumeReplication');
      expect(replications.map((r) => [r.metadata.name, r.spec.dataSource, r.spec.replicationState])).toEqual(
        CLAIMS.map((c) => [c, { kind: 'PersistentVolumeClaim', name: c }, site === 'site-a' ? 'primary' : 'secondary']));
      const cls = only(m, 'VolumeReplicationClass');
      expect(cls.metadata.namespace).toBeUndefined();
      expect(replications.every((r) => r.spec.volumeReplicationClass === cls.metadata.name)).toBe(true);
    });

    test.each(SITES)('%s: promote marks the volumes primary and waits for the driver before the members start; fence the reverse', (site) => {
      const m = sites[site];
      const promote = scriptOf(drJob(m, 'promote'));
      const patchPrimary = promote.indexOf('{"spec":{"replicationState":"primary"}}');
      const waitPrimary = promote.indexOf("--for=jsonpath='{.status.state}'=Primary");
      const scaleUp = promote.indexOf('kubectl scale');
      expect(patchPrimary).toBeGreaterThan(-1);
      expect(patchPrimary).toBeLessThan(waitPrimary);
      expect(waitPrimary).toBeLessThan(scaleUp);
      expect(promote).toContain(`for vr in ${CLAIMS.join(' ')}; do`);
      const fence = scriptOf(drJob(m, 'fence'));
      expect(fence.indexOf('--replicas=0')).toBeLessThan(fence.indexOf('{"spec":{"replicationState":"secondary"}}'));
      expect(fence.indexOf('{"spec":{"replicationState":"secondary"}}')).toBeLessThan(fence.indexOf("--for=jsonpath='{.status.state}'=Secondary"));
    });

    test('the switch Role lists the claims\' VolumeReplications by name', () => {
      const role = only(sites['site-b'], 'Role', 'orders-dr-switch');
      expect(role.rules).toContainEqual({ apiGroups: ['replication.storage.openshift.io'], resources: ['volumereplications'], resourceNames: CLAIMS, verbs: ['get', 'patch'] });
      expect(role.rules.filter((r: any) => r.resources.includes('volumereplications') && r.resourceNames === undefined).flatMap((r: any) => r.verbs)).toEqual(['list', 'watch']);
    });
  });

  describe('Stork', () => {
    const sites = bothSites(newPair({ strategy: STORK(), database: redis() }));
    const storkKinds = ['SchedulePolicy', 'Rule', 'MigrationSchedule'];

    test('the migration objects exist on the active site only', () => {
      expect(sites['site-a'].filter((m) => storkKinds.includes(m.kind)).map((m) => m.kind)).toEqual(storkKinds);
      expect(sites['site-b'].filter((m) => storkKinds.includes(m.kind))).toEqual([]);
      expect(statefulSet(sites['site-b']).metadata.annotations['stork.libopenstorage.org/migrationReplicas']).toBe('3');
    });

    test('each migration copies the members\' claims between the engine\'s quiesce and the copy', () => {
      const m = sites['site-a'];
      const schedule = only(m, 'MigrationSchedule').spec;
      const rule = only(m, 'Rule');
      expect(schedule.schedulePolicyName).toBe(only(m, 'SchedulePolicy').metadata.name);
      expect(schedule.template.spec).toMatchObject({
        clusterPair: 'to-other-site', namespaces: [NS], includeResources: false, includeVolumes: true, startApplications: false, preExecRule: rule.metadata.name,
      });
      // The selector picks the members' claims (the claim template's labels).
      expect(schedule.template.spec.selectors).toEqual(statefulSet(m).spec.volumeClaimTemplates[0].metadata.labels);
      const [r] = rule.rules;
      expect(selects({ matchLabels: r.podSelector }, memberLabels(m))).toBe(true);
      expect(statefulSet(m).spec.template.spec.containers.map((c: any) => c.name)).toContain(r.container);
      // Redis's quiesce: a completed background save (or AOF rewrite), flushed to the data volume.
      const command = r.actions[0].value;
      expect(command).toContain('BGSAVE SCHEDULE');
      expect(command).toContain('BGREWRITEAOF');
      expect(command).toContain('sync -f /data');
      // The same command the engine's volume snapshots run before each snapshot.
      const chart = new Chart(Testing.app(), 'plain', { namespace: NS });
      const plain = new ReplicatedDatabase(chart, 'orders', { ...redis(), zones: ['a1', 'a2', 'a3'] });
      new BackupSchedule(chart, 'snapshots', {
        database: plain, methods: [BackupMethod.volumeSnapshot({ snapshotClassName: 'csi', schedule: Cron.daily(), retention: Retention.keepLast(3) })],
      });
      const snapshotJob = only(synthValid(chart), 'CronJob').spec.jobTemplate.spec.template.spec.containers[0];
      expect(envOf(snapshotJob).PREPARE).toBe(command);
    });

    test('MySQL under Stork has no quiesce Rule: its copies are crash-consistent', () => {
      const m = siteManifests(newPair({ strategy: STORK(), database: mysql() }), 'site-a');
      expect(m.filter((o) => o.kind === 'Rule')).toEqual([]);
      expect(only(m, 'MigrationSchedule').spec.template.spec.preExecRule).toBeUndefined();
    });

    test.each(SITES)('%s: fence suspends the MigrationSchedule once the members stopped, with a Role naming it', (site) => {
      const fence = scriptOf(drJob(sites[site], 'fence'));
      expect(fence.indexOf('--replicas=0')).toBeLessThan(fence.indexOf('kubectl patch "migrationschedule.stork.libopenstorage.org/orders-dr" --type merge -p \'{"spec":{"suspend":true}}\''));
      expect(only(sites[site], 'Role', 'orders-dr-switch').rules).toContainEqual(
        { apiGroups: ['stork.libopenstorage.org'], resources: ['migrationschedules'], resourceNames: ['orders-dr'], verbs: ['get', 'patch'] });
    });
  });
});

describe('RPO and RTO: computed from the configuration, held to the targets', () => {
  const ARCHIVING = (over = {}) => DrStrategy.backupRestore({ archiving: { target: S3, ...over } });
  const ASSUMED = {
    detection: Duration.minutes(1),
    decision: Duration.minutes(5),
    redirect: Duration.seconds(30),
    archiveUpload: Duration.seconds(30),
    volumeSync: Duration.minutes(1),
    startup: Duration.minutes(2),
    restoreMebibytesPerSecond: 200,
    walReplaySpeedup: 5,
  };

  // Default assumptions: detection 120 s, decision 900 s, redirect 60 s, archive upload 60 s, volume sync 120 s,
  // startup 180 s, restore 100 MiB/s, WAL replay 10x; the default volume is 10 GiB (10240 MiB).
  test.each<[string, () => DRPair, number | undefined, number]>([
    // Streaming alone: nothing bounds the lag. RTO = detection + decision + fence 20 + promotion 20 + replay 0 + redirect.
    ['warm standby', () => newPair(), undefined, 120 + 900 + 20 + 20 + 0 + 60],
    // RPO = archive_timeout 300 + upload 60. RTO adds fence 60, startup, restore 10240/100, replay of a day / 10.
    ['cold site', () => newPair({ strategy: ARCHIVING() }), 300 + 60, 120 + 900 + 60 + 0 + 180 + 103 + 8640 + 60],
    ['cold site of 50 GiB', () => newPair({ strategy: ARCHIVING(), database: pairDatabase({ storageSize: Size.gibibytes(50) }) }), 360, 120 + 900 + 60 + 180 + 512 + 8640 + 60],
    // RPO = interval 300 + volume sync 120. RTO = detection + decision + fence 60 + promotion 60 + startup + redirect.
    ['csi-addons volumes', () => newPair({ strategy: CSI(), database: mysql() }), 300 + 120, 120 + 900 + 60 + 60 + 180 + 60],
    ['Stork volumes', () => newPair({ strategy: STORK(), database: redis() }), 1800 + 120, 1380],
    ['Stork metro volumes', () => newPair({
      strategy: DrStrategy.volumeReplication(VolumeReplicationBackend.stork({ clusterPair: 'metro', synchronous: true })), database: redis(),
    }), 0, 1380],
  ])('%s, default assumptions', (_label, build, rpo, rto) => {
    const pair = build();
    expect(pair.rpoSeconds).toBe(rpo);
    expect(pair.rtoSeconds).toBe(rto);
  });

  test.each<[string, () => DRPair, number | undefined, number]>([
    ['warm standby', () => newPair({ assumptions: ASSUMED }), undefined, 60 + 300 + 20 + 20 + 0 + 30],
    // archive_timeout 60 + upload 30; hourly base backups replayed at 5x: 720 s; restore 10240/200 = 52 s.
    ['cold site', () => newPair({
      assumptions: ASSUMED, strategy: ARCHIVING({ archiveTimeout: Duration.minutes(1), baseBackupSchedule: Cron.schedule({ minute: '0' }) }),
    }), 60 + 30, 60 + 300 + 60 + 0 + 120 + 52 + 720 + 30],
    ['csi-addons volumes every 10 min', () => newPair({
      assumptions: ASSUMED,
      database: mysql(),
      strategy: DrStrategy.volumeReplication(VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com', interval: Duration.minutes(10) })),
    }), 600 + 60, 60 + 300 + 60 + 60 + 120 + 30],
  ])('%s, assumptions given', (_label, build, rpo, rto) => {
    const pair = build();
    expect(pair.rpoSeconds).toBe(rpo);
    expect(pair.rtoSeconds).toBe(rto);
  });

  test('the base backups the cold site\'s replay term counts are the ones its members run', () => {
    const pair = newPair({ strategy: ARCHIVING({ baseBackupSchedule: Cron.schedule({ minute: '0', hour: '*/6' }) }) });
    // WAL replay = 6 h / 10; the rest as by default.
    expect(pair.rtoSeconds).toBe(120 + 900 + 60 + 0 + 180 + 103 + 2160 + 60);
    for (const site of SITES) expect(envOf(mainContainer(statefulSet(siteManifests(pair, site)))).BACKUP_SCHEDULE).toBe('0 */6 * * *');
  });

  test('targets the configuration holds, to the second', () => {
    expect(newPair({ rto: Duration.seconds(1120) }).rtoSeconds).toBe(1120);
    const cold = newPair({ strategy: ARCHIVING(), rpo: Duration.seconds(360), rto: Duration.hours(3) });
    expect(cold.rpoSeconds).toBe(360);
    expect(newPair({ strategy: CSI(), database: mysql(), rpo: Duration.minutes(7), rto: Duration.minutes(23) }).rpoSeconds).toBe(420);
  });

  test('an RTO target missed names the largest term and the setting that meets it', () => {
    expectRefused(() => newPair({ rto: Duration.minutes(10) }),
      'orders: `rto` (target 10 min) cannot be met: the RTO of postgresql ',
      '(warm standby) is 18 min 40 s: detection + decision + fence + promotion + replay + redirect, here detection 2 min + decision 15 min + fence 20 s + promotion 20 s + replay 0 s + redirect 1 min; '
      + 'the largest term is decision (assumption `assumptions.decision` = 900 s). '
      + 'Fix: the figure rests on the assumption `assumptions.decision` (900 s): shorten that step and set it to at most 380 s.');
  });

  test('an RPO target missed by a cold site: archive_timeout', () => {
    expectRefused(() => newPair({ strategy: ARCHIVING(), rpo: Duration.minutes(2) }),
      'orders: `rpo` (target 2 min) cannot be met: the RPO of postgresql ',
      '(WAL archiving) is 6 min: archive_timeout + archive upload, here archive_timeout 5 min + archive upload 1 min; ',
      'Fix: set `strategy.archiving.archiveTimeout` to at most 60 s (now 300 s).');
  });

  test('an RTO target missed by a cold site: base backups more often', () => {
    expectRefused(() => newPair({ strategy: ARCHIVING(), rto: Duration.hours(1) }),
      'orders: `rto` (target 1 h) cannot be met',
      'the largest term is WAL replay',
      'Fix: schedule `strategy.archiving.baseBackupSchedule` to run at most ');
  });

  test('an RPO target missed by replicated volumes: the interval', () => {
    expectRefused(() => newPair({ strategy: CSI(), database: mysql(), rpo: Duration.minutes(5) }),
      'orders: `rpo` (target 5 min) cannot be met',
      '(asynchronous volume replication) is 7 min: replication interval + volume sync',
      'Fix: set `strategy.backend.interval` to at most 180 s (now 300 s).');
  });

  test('an RPO target for asynchronous streaming is refused: nothing bounds the lag', () => {
    expectRefused(() => newPair({ rpo: Duration.minutes(5) }),
      'orders: `rpo` (target 5 min) cannot be met: the RPO of postgresql ',
      '(asynchronous streaming) is unbounded (replication lag: asynchronous streaming: the lag follows the write rate and the link, and no setting bounds it).');
  });

  test('the unbounded-RPO refusal of a warm standby names strategies that bound it, not a setting the strategy lacks', () => {
    let message = '';
    try {
      newPair({ rpo: Duration.minutes(5) });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('cannot be met');
    expect(message).not.toContain('`strategy.archiving`');
    expect(message).toContain('DrStrategy.backupRestore({ archiving })');
    expect(message).toContain('VolumeReplicationBackend.stork({ synchronous: true })');
  });
});

describe('bad inputs are refused, naming the pair, the prop and the fix', () => {
  const newPairIn = (scope: Chart, id: string) => new DRPair(scope, id, {
    namespaceName: NS, sites: [SITE_A, SITE_B], activeSite: 'site-a', database: pairDatabase(), strategy: DrStrategy.databaseReplication(),
  });
  const pg = () => pairDatabase();
  const cases: Array<[string, () => unknown, ...string[]]> = [
    ['one site', () => newPair({ sites: [SITE_A] }),
      'orders: `sites` must list exactly two sites (an active and a passive one), not 1: a DRPair is one database on two clusters.'],
    ['three sites', () => newPair({ sites: [SITE_A, SITE_B, { ...SITE_B, name: 'site-c' }] }), 'orders: `sites` must list exactly two sites', 'not 3'],
    ['sites not a list', () => newPair({ sites: SITE_A as any }), 'orders: `sites` must be a list such as'],
    ['the same name twice', () => newPair({ sites: [SITE_A, { ...SITE_B, name: 'site-a' }] }),
      'orders: `sites` both have the name "site-a": give each site its own name, e.g. \'site-a\' and \'site-b\'.'],
    ['a name that is no DNS label', () => newPair({ sites: [{ ...SITE_A, name: 'Site_A' }, SITE_B] }),
      'orders: `sites[0].name` "Site_A" must be a DNS label of at most 20 characters (e.g. \'site-a\'): it is part of the database\'s and the chart\'s names.'],
    ['a name of 21 characters', () => newPair({ sites: [SITE_A, { ...SITE_B, name: 'b'.repeat(21) }] }),
      `orders: \`sites[1].name\` "${'b'.repeat(21)}" must be a DNS label of at most 20 characters`],
    ['zones not a list', () => newPair({ sites: [{ ...SITE_A, zones: 'a1' as any }, SITE_B] }), 'orders: `sites[0].zones` must be a list of strings'],
    ['no traffic source', () => newPair({ sites: [SITE_A, { ...SITE_B, trafficSourceCidrs: [] }] }),
      'orders: `sites[1].trafficSourceCidrs` is empty: the other site admits only these ranges, so nothing from "site-b" could reach it. Give the ranges its connections come from.'],
    ...['10.1.0.0', '10.1.0.0/33', '300.1.0.0/16', '10.1.0/16', 'fe80::/129', 'site-a/16', '10.1.0.0/16/8'].map((cidr): [string, () => unknown, string] => [
      `CIDR ${cidr}`, () => newPair({ sites: [SITE_A, { ...SITE_B, trafficSourceCidrs: ['10.2.0.0/16', cidr] }] }),
      `orders: \`sites[1].trafficSourceCidrs\` "${cidr}" is not a CIDR range: write it as an address and a prefix length, e.g. '10.1.0.0/16' or '2001:db8::/48'.`,
    ]),
    ...['Orders.Example.com', 'https://orders.example.com', 'orders_a.example.com', '-orders.example.com', ''].map((address): [string, () => unknown, string] => [
      `address ${JSON.stringify(address)}`, () => newPair({ sites: [{ ...SITE_A, address }, SITE_B] }),
      `orders: \`sites[0].address\` ${JSON.stringify(address)} must be a lower-case DNS name (the host name of the site's LoadBalancer, e.g. 'orders.site-a.example.com').`,
    ]),
    ['a chart that is no Chart', () => newPair({ sites: [{ ...SITE_A, chart: {} as any }, SITE_B] }), 'orders: `sites[0].chart` must be a cdk8s `Chart`'],
    ['activeSite not a site', () => newPair({ activeSite: 'site-c' }),
      'orders: `activeSite` is "site-c", not one of the sites: give "site-a" or "site-b".'],
    ['activeSite missing', () => newPair({ activeSite: undefined as any }), 'orders: `activeSite` is undefined, not one of the sites'],
    ['zones in the database', () => newPair({ database: pairDatabase({ zones: ['a1', 'a2', 'a3'] }) }),
      'orders: `database.zones` (or `zoneCount`) is set, but each cluster has zones of its own: give them per site (`sites[i].zones`) and remove them from `database`.'],
    ['zoneCount in the database', () => newPair({ database: pairDatabase({ zoneCount: 3 }) }), 'orders: `database.zones` (or `zoneCount`) is set'],
    ['a restore in the database', () => newPair({ database: pairDatabase({ restoreFrom: Restore.fromVolumeSnapshot('orders-snap') }) }),
      'orders: `database.restoreFrom` is set, but a DRPair\'s sites take their data from each other', 'restore into a ReplicatedDatabase first'],
    ...([['generated', () => Credentials.generate()], ['missing', () => undefined]] as const).map(([label, credentials]): [string, () => unknown, string] => [
      `${label} credentials`, () => newPair({ database: pairDatabase({ credentials: credentials() }) }),
      'orders: `database.credentials` must name an existing Secret (`Credentials.fromSecretName(...)`) that is synchronized to both clusters (External Secrets, Sealed Secrets, Vault): '
      + 'generated credentials would differ per cluster, and the passive site could not authenticate to the active one. For PostgreSQL the Secret also holds `replication-password`.',
    ]),
    ...([['generated', () => ApplicationUser.generate()], ['default', () => undefined]] as const).map(([label, applicationUser]): [string, () => unknown, string] => [
      `${label} application user`, () => newPair({ database: pairDatabase({ applicationUser: applicationUser() }) }),
      'orders: `database.applicationUser` must name an existing Secret synchronized to both clusters (`ApplicationUser.fromSecretName(...)`), or be `ApplicationUser.superuser()`: '
      + 'the default generates one per cluster, and after a failover the applications of the new active site would hold a password the replicated role does not have.',
    ]),
    ['no tls with databaseReplication', () => newPair({ database: pairDatabase({ tls: undefined }) }),
      'orders: `database.tls` is required with DrStrategy.databaseReplication(): traffic between the sites always runs over TLS verified against a CA both sites trust.',
      'Give `tls: { issuerName }` naming an Issuer of the same CA on both clusters'],
    ['MySQL with databaseReplication', () => newPair({ database: pairDatabase({ engine: Engine.mysql({ version: MysqlVersion.V8_4 }) }) }),
      'orders: `strategy` DrStrategy.databaseReplication() needs PostgreSQL (Patroni standby clusters, WAL archiving), and Engine \'mysql ',
      'has no cross-cluster replication built here: use DrStrategy.volumeReplication(...) (csi-addons or Stork replicate its volumes), or a BackupSchedule with logical dumps on one site and `Restore.fromDump` on the other.'],
    ['Redis with backupRestore', () => newPair({ database: redis(), strategy: DrStrategy.backupRestore({ archiving: { target: S3 } }) }),
      'orders: `strategy` DrStrategy.backupRestore() needs PostgreSQL', 'Engine \'redis '],
    ['a strategy that is no DrStrategy', () => newPair({ strategy: { _kind: 'databaseReplication' } as any }), 'orders: `strategy` must be a `DrStrategy` (e.g. DrStrategy.databaseReplication())'],
    ['a connectivity that is no DrConnectivity', () => newPair({ connectivity: 'mcs' as any }), 'orders: `connectivity` must be a `DrConnectivity`'],
    ['an engine that is no Engine', () => newPair({ database: { ...pg(), engine: {} as any } }), 'orders: `database.engine` must be an `Engine`'],
    ['an rpo that is no Duration', () => newPair({ rpo: 300 as any }), 'orders: `rpo` must be a cdk8s `Duration` (e.g. Duration.minutes(5))'],
    ['an rto that is no Duration', () => newPair({ rto: '1h' as any }), 'orders: `rto` must be a cdk8s `Duration`'],
    ['a database name too long for the site\'s StatefulSet', () => newPair({ database: pairDatabase({ name: 'o'.repeat(46) }) }),
      `orders: the database on site "site-a" would be named "${'o'.repeat(46)}-site-a" (53 characters), longer than the 52 a StatefulSet name may have `
      + '(its pods\' controller-revision-hash label adds 11): give `database.name` a shorter name, or the sites shorter names.'],
    ['a replicated-volume database name too long', () => newPair({ strategy: CSI(), database: { ...mysql(), name: 'o'.repeat(53) } }),
      `orders: the database on site "site-a" would be named "${'o'.repeat(53)}" (53 characters)`],
    ['maxSlotWalKeep under 64 MiB', () => newPair({ strategy: DrStrategy.databaseReplication({ maxSlotWalKeep: Size.mebibytes(32) }) }),
      'orders: `strategy.maxSlotWalKeep` 32 MiB must be at least 64 MiB and less than the data volume (10240 MiB): the WAL kept for the peer shares the volume with the data.'],
    ['maxSlotWalKeep of the whole volume', () => newPair({
      strategy: DrStrategy.databaseReplication({ maxSlotWalKeep: Size.gibibytes(20) }), database: pairDatabase({ storageSize: Size.gibibytes(20) }),
    }), 'orders: `strategy.maxSlotWalKeep` 20480 MiB must be at least 64 MiB and less than the data volume (20480 MiB)'],
    ['maxSlotWalKeep that is no Size', () => newPair({ strategy: DrStrategy.databaseReplication({ maxSlotWalKeep: 4096 as any }) }),
      'orders: `strategy.maxSlotWalKeep` must be a cdk8s `Size` (e.g. Size.gibibytes(8))'],
    ['a storageSize that is no Size', () => newPair({ database: pairDatabase({ storageSize: '10Gi' as any }) }),
      'orders: `database.storageSize` must be a cdk8s `Size` (e.g. Size.gibibytes(50))'],
    ['backupRestore without archiving', () => newPair({ strategy: DrStrategy.backupRestore(undefined as any) }), 'orders: `strategy.archiving` must be an object such as'],
    ['backupRestore to a target that is no BackupTarget', () => newPair({ strategy: DrStrategy.backupRestore({ archiving: { target: { bucket: 'x' } as any } }) }),
      'orders: `strategy.archiving.target` must be a `BackupTarget`'],
    ['a misspelt assumption', () => newPair({ assumptions: { detectoin: Duration.minutes(1) } as any }), 'orders: `assumptions.detectoin` is not an assumption: give detection, decision, '],
    ['props that are no object', () => new DRPair(Testing.app(), 'orders', undefined as any), 'orders: the props (third argument) must be an object'],
    ['volumeReplication of no backend', () => newPair({ database: mysql(), strategy: DrStrategy.volumeReplication('csi' as any) }),
      'orders: `strategy (its backend)` must be a `VolumeReplicationBackend`'],
    ['volumeReplication of nothing', () => newPair({ database: mysql(), strategy: DrStrategy.volumeReplication(undefined as any) }),
      'orders: `strategy (its backend)` must be a `VolumeReplicationBackend`'],
    ['a base backup schedule given as text', () => newPair({ strategy: DrStrategy.backupRestore({ archiving: { target: S3, baseBackupSchedule: '0 1 * * *' as any } }) }),
      'orders: `strategy.archiving.baseBackupSchedule` must be a cdk8s `Cron`'],
    ['a warm standby without the ranges of a site', () => newPair({ sites: [SITE_A, { ...SITE_B, trafficSourceCidrs: undefined }] }),
      'orders: `sites[1].trafficSourceCidrs` must be a list of strings'],
  ];
  test.each(cases)('%s', (_label, build, ...fragments) => expectRefused(build, ...fragments));

  test('charts of different namespaces', () => {
    const app = Testing.app();
    const sites = [{ ...SITE_A, chart: new Chart(app, 'a', { namespace: 'shop' }) }, { ...SITE_B, chart: new Chart(app, 'b', { namespace: 'orders' }) }];
    expectRefused(() => newPair({ sites, namespaceName: undefined }, app),
      'orders: the sites\' charts must be in the pair\'s namespace ("site-a": shop, "site-b": orders): give `namespaceName`, or charts of one namespace '
      + '(Multi-Cluster Services and the Secret references join the sites by namespace and name).');
  });

  test('charts of another namespace than the pair\'s', () => {
    const app = Testing.app();
    const sites = [{ ...SITE_A, chart: new Chart(app, 'a', { namespace: 'orders' }) }, { ...SITE_B, chart: new Chart(app, 'b', { namespace: 'orders' }) }];
    expectRefused(() => newPair({ sites }, app), 'orders: the sites\' charts must be in the pair\'s namespace (`namespaceName` "shop"; "site-a": orders, "site-b": orders)');
  });

  test('no namespace at all', () => {
    expectRefused(() => newPair({ namespaceName: undefined }), 'orders: the sites\' charts must be in the pair\'s namespace ("site-a": none, "site-b": none)');
  });

  test('two pairs of one id in different scopes are refused naming the pair and the fix (their site charts would share an id)', () => {
    const app = Testing.app();
    newPairIn(new Chart(app, 'team1'), 'db');
    expectRefused(() => newPairIn(new Chart(app, 'team2'), 'db'), 'team2/db: ', 'another id', '`sites[i].chart`');
  });

  test('two pairs may share the site charts (one chart per cluster), their objects distinct', () => {
    const app = Testing.app();
    const charts = [new Chart(app, 'cluster-a', { namespace: NS }), new Chart(app, 'cluster-b', { namespace: NS })];
    const sites = [{ ...SITE_A, chart: charts[0] }, { ...SITE_B, chart: charts[1] }];
    newPair({ sites, namespaceName: undefined }, app);
    new DRPair(app, 'payments', { sites, activeSite: 'site-b', database: pairDatabase({ name: 'payments' }), strategy: DrStrategy.databaseReplication() });
    for (const chart of charts) {
      const manifests = chart.toJson();
      assertValidManifests(manifests);
      expect(manifests.filter((m: any) => m.kind === 'StatefulSet').map((m: any) => m.metadata.name).sort())
        .toEqual([`orders-${chart === charts[0] ? 'site-a' : 'site-b'}`, `payments-${chart === charts[0] ? 'site-a' : 'site-b'}`]);
    }
  });

  test('a site that is not in the pair, asked of the pair', () => {
    const pair = newPair();
    expectRefused(() => pair.chart('site-c'), 'orders: there is no site "site-c" in this DRPair: use "site-a" or "site-b".');
    expectRefused(() => pair.switchJob('site-c', 'fence'), 'orders: there is no site "site-c"');
  });
});

describe('the synth report and the files', () => {
  /** Synthesizes `build`'s app into a temporary outdir; returns the files by name and the report. */
  function synthesize(build: (app: App) => void): { files: Record<string, any[]>; report: any; markdown: string } {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'dr-pair-'));
    try {
      const app = new App({ outdir });
      build(app);
      app.synth();
      const files = Object.fromEntries(fs.readdirSync(outdir).filter((f) => f.endsWith('.k8s.yaml')).map((f) => {
        const manifests = parseAllDocuments(fs.readFileSync(path.join(outdir, f), 'utf8')).map((d) => d.toJS()).filter((m) => m);
        assertValidManifests(manifests);
        return [f, manifests];
      }));
      const dir = path.join(outdir, 'cdk8s-databases-report');
      return { files, report: JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')), markdown: fs.readFileSync(path.join(dir, 'report.md'), 'utf8') };
    } finally {
      fs.rmSync(outdir, { recursive: true });
    }
  }

  /** The `kubectl --context <site> ... patch job <name>` commands of a step, as [site, Job name]. */
  // A Job is run afresh: deleted (a Job that ran before stays complete for its TTL, and resuming it runs nothing),
  // created again from the site's file (only the objects of that action), resumed, and waited for.
  const jobsNamed = (step: string) => [...step.matchAll(new RegExp(
    'kubectl --context (\\S+) -n shop delete job (\\S+) --ignore-not-found --wait '
    + '&& kubectl --context \\1 -n shop apply -f orders-\\1\\.k8s\\.yaml -l cdk8s-databases\\.io/dr-action=(fence|promote|demote) '
    + '&& kubectl --context \\1 -n shop patch job \\2 --type merge -p \'\\{"spec":\\{"suspend":false\\}\\}\' '
    + '&& kubectl --context \\1 -n shop wait --for=condition=complete job/\\2 --timeout=15m', 'g'))]
    .map((m) => [m[1], m[2]]);

  test('each site goes to its own file; the report gives the sites, the link, the figures and the runbook with the exact Jobs', () => {
    const { files, report, markdown } = synthesize((app) => newPair({ rto: Duration.minutes(30) }, app));
    expect(Object.keys(files).sort()).toEqual(['orders-site-a.k8s.yaml', 'orders-site-b.k8s.yaml']);
    expect(statefulSet(files['orders-site-a.k8s.yaml']).metadata.name).toBe('orders-site-a');
    expect(statefulSet(files['orders-site-b.k8s.yaml']).metadata.name).toBe('orders-site-b');
    const dr = report.disasterRecovery[0];
    expect(report.disasterRecovery).toHaveLength(1);
    expect(dr).toMatchObject({
      name: 'orders',
      strategy: 'databaseReplication',
      summary: 'databaseReplication pair: site-a active, site-b passive; RPO unbounded, RTO 18 min 40 s',
      sites: ['site-a (active): orders-site-a in chart orders-site-a, zones a1, a2, a3', 'site-b (passive): orders-site-b in chart orders-site-b, zones b1, b2, b3'],
      link: [
        'site-a reached at orders-site-a.shop.svc.clusterset.local:5432 (ServiceExport, TLS verify-ca), admits 10.2.0.0/16',
        'site-b reached at orders-site-b.shop.svc.clusterset.local:5432 (ServiceExport, TLS verify-ca), admits 10.1.0.0/16',
      ],
      rpo: 'unbounded = replication lag',
      rto: '18 min 40 s = detection + decision + fence + promotion + replay + redirect',
    });
    expect(dr.rtoTerms).toEqual([
      'detection: 2 min (assumption `assumptions.detection` = 120 s)',
      'decision: 15 min (assumption `assumptions.decision` = 900 s)',
      expect.stringMatching(/^fence: 20 s \(the fence Job's read-only setting .* stops PostgreSQL at once/),
      expect.stringMatching(/^promotion: 20 s \(Patroni applies `PATCH \/config`/),
      'replay: 0 s (the warm standby replays the changes as they arrive)',
      'redirect: 1 min (assumption `assumptions.redirect` = 60 s)',
    ]);
    expect(dr.rpoTerms).toEqual([expect.stringMatching(/^replication lag: unbounded/)]);
    // What the figures rest on besides the configuration, to be measured in a drill.
    expect(dr.assumptions).toEqual([
      'detection: assumption `assumptions.detection` = 120 s',
      'decision: assumption `assumptions.decision` = 900 s',
      'redirect: assumption `assumptions.redirect` = 60 s',
    ]);

    // Failover: fence the active site, promote the passive one, redirect, flip activeSite, demote the old site.
    const jobIn = (site: string, action: string) => drJob(files[`orders-${site}.k8s.yaml`], action).metadata.name;
    expect(dr.failover.map(jobsNamed)).toEqual([
      [], [['site-a', jobIn('site-a', 'fence')]], [['site-b', jobIn('site-b', 'promote')]], [], [], [['site-a', jobIn('site-a', 'demote')]],
    ]);
    expect(dr.failover[0]).toMatch(/^Decide: site-a is lost/);
    expect(dr.failover[3]).toBe('Redirect clients to orders-site-b on site-b (its read-write Service), and check the applications write there.');
    expect(dr.failover[4]).toBe('Make the YAML say what runs: set `activeSite: \'site-b\'` in the DRPair, review the diff of both sites and apply it.');
    expect(dr.failback.map(jobsNamed)).toEqual([
      [], [['site-b', jobIn('site-b', 'fence')]], [['site-a', jobIn('site-a', 'promote')]], [], [], [['site-b', jobIn('site-b', 'demote')]],
    ]);
    expect(dr.failback[4]).toContain('set `activeSite: \'site-a\'`');
    expect(markdown).toContain('## orders (postgresql');
    expect(markdown).toContain(jobIn('site-b', 'promote'));
  });

  test('a cold pair: the runbook promotes by scaling, and the old site rejoins only into empty volumes', () => {
    const { files, report } = synthesize((app) => newPair({ strategy: DrStrategy.backupRestore({ archiving: { target: S3 } }) }, app));
    const dr = report.disasterRecovery[0];
    expect(dr.summary).toBe('backupRestore pair: site-a active, site-b passive; RPO 6 min, RTO 2 h 47 min 43 s');
    expect(dr.link).toBeUndefined();
    expect(dr.rtoTerms.map((t: string) => t.split(':')[0])).toEqual(['detection', 'decision', 'fence', 'promotion', 'startup', 'restore', 'WAL replay', 'redirect']);
    const jobIn = (site: string, action: string) => drJob(files[`orders-${site}.k8s.yaml`], action).metadata.name;
    expect(dr.failover.map(jobsNamed)).toEqual([[], [['site-a', jobIn('site-a', 'fence')]], [['site-b', jobIn('site-b', 'promote')]], [], [], [], []]);
    // The restored site has WAL in its archive but no base backup until its schedule fires: one is taken at once.
    expect(dr.failover[3]).toContain('Take a first base backup of site-b');
    expect(dr.failover[3]).toContain('envdir /run/etc/wal-e.d/env /scripts/postgres_backup.sh "$PGDATA"');
    // The old site comes back as the next restore target only once its claims are gone (its promote Job checks).
    expect(dr.failover[6]).toContain('When site-a is back: apply the flipped YAML there');
    expect(dr.failover[6]).toContain('`kubectl --context site-a -n shop delete pvc data-orders-site-a-0 data-orders-site-a-1 data-orders-site-a-2`');
  });

  test('sites given their own charts synthesize under those charts\' names', () => {
    const { files, report } = synthesize((app) => {
      const sites = [{ ...SITE_A, chart: new Chart(app, 'eu-west', { namespace: NS }) }, { ...SITE_B, chart: new Chart(app, 'eu-central', { namespace: NS }) }];
      newPair({ sites, namespaceName: undefined }, app);
    });
    expect(Object.keys(files).sort()).toEqual(['eu-central.k8s.yaml', 'eu-west.k8s.yaml']);
    expect(statefulSet(files['eu-west.k8s.yaml']).metadata).toMatchObject({ name: 'orders-site-a', namespace: NS });
    expect(report.disasterRecovery[0].sites[1]).toBe('site-b (passive): orders-site-b in chart eu-central, zones b1, b2, b3');
  });
});

test('WAL archiving added to a site\'s database keeps the peer TLS block: archive_timeout joins the local parameters after it', () => {
  const app = Testing.app();
  const pair = newPair({ database: pairDatabase({ config: { shared_buffers: '256MB' } }) }, app);
  new BackupSchedule(pair.chart('site-a'), 'Backups', {
    database: pair.database('site-a'),
    methods: [BackupMethod.continuousArchiving({ target: S3, retention: Retention.keepLast(3) })],
  });
  const manifests = pair.chart('site-a').toJson();
  assertValidManifests(manifests);
  const config = only(manifests, 'ConfigMap', 'orders-site-a-spilo').data['spilo.yaml'];
  // One top-level postgresql key (PyYAML keeps the last of duplicate keys: a second would drop the TLS block).
  expect(config.match(/^postgresql:$/gm)).toHaveLength(1);
  expect(parse(config).postgresql).toEqual({
    authentication: {
      replication: { sslmode: 'verify-ca', sslrootcert: '/tls/ca.crt' },
      superuser: { sslmode: 'verify-ca', sslrootcert: '/tls/ca.crt' },
    },
    parameters: { shared_buffers: '256MB', archive_timeout: '300s' },
  });
});

describe('more refusals and edge cases', () => {
  test('one chart given for both sites is refused: each site is another cluster', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'one', { namespace: NS });
    expectRefused(() => newPair({ sites: [{ ...SITE_A, chart }, { ...SITE_B, chart }], namespaceName: undefined }, app),
      'orders: `sites` "site-a" and "site-b" are given the same chart');
  });

  test('switchJob names the actions it knows', () => {
    const pair = newPair();
    expect(pair.switchJob('site-a', 'fence')!.name).toMatch(/^orders-site-a-dr-fence-[0-9a-f]{6}$/);
    expectRefused(() => pair.switchJob('site-a', 'constructor'), 'orders: `switchJob` action "constructor" is not one of fence, promote, demote.');
    expectRefused(() => pair.switchJob('site-c', 'fence'), 'orders: there is no site "site-c" in this DRPair');
  });

  test('the WAL kept for the peer defaults to a quarter of the volume, whatever its size (never more than the volume)', () => {
    const keep = (size: Size) => JSON.parse(only(siteManifests(newPair({ database: pairDatabase({ storageSize: size }) }), 'site-a'), 'ConfigMap', 'orders-site-a-spilo')
      .data['patroni-dynamic.json']).postgresql.parameters.max_slot_wal_keep_size;
    expect(keep(Size.mebibytes(512))).toBe('128MB');
    expect(keep(Size.gibibytes(2))).toBe('512MB');
    expect(keep(Size.gibibytes(100))).toBe('25600MB');
  });

  test('cold and volume pairs need no traffic ranges: their data travels by the object store or the storage system', () => {
    const bare = SITES.map((name) => ({ name, zones: name === 'site-a' ? SITE_A.zones : SITE_B.zones }));
    const cold = newPair({ sites: bare, strategy: DrStrategy.backupRestore({ archiving: { target: S3 } }) });
    for (const site of SITES) assertValidManifests(siteManifests(cold, site));
    const volumes = newPair({ sites: bare, database: mysql(), strategy: CSI() });
    for (const site of SITES) assertValidManifests(siteManifests(volumes, site));
  });

  test('a cold pair whose active site is not the first: the report says it starts as a restore (right after a failover, wrong at a first deployment)', () => {
    const pair = newPair({ activeSite: 'site-b', strategy: DrStrategy.backupRestore({ archiving: { target: S3 } }) });
    expect(pair._reportEntry().notes[0]).toBe('site-b is active but not the first of `sites`: it starts as a restore of site-a\'s archive. '
      + 'That is right after a failover; at a first deployment, list site-b first (it must create the database).');
  });
});
