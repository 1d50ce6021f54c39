import { ApiObject, Chart, JsonPatch, Names, Size } from 'cdk8s';
import { Construct } from 'constructs';
import { BackupSchedule } from './backup-schedule';
import { DRPairProps, DrSite } from './dr-pair-props';
import { ReplicatedDatabase } from './replicated-database';
import { DEFAULT_STORAGE, DatabaseAssembly } from '../assembly/database-assembly';
import { databaseRecord } from '../assembly/database-record';
import { BackupMethod } from '../backup/backup-method';
import { Restore } from '../backup/restore';
import { coldPromotion, memberClaims } from '../dr/cold-site';
import { DrConnectivity } from '../dr/dr-connectivity';
import { checkPairProps, siteDatabaseName } from '../dr/pair-checks';
import { pairObjectivesInput } from '../dr/pair-objectives';
import { patroniStandbyCluster } from '../dr/patroni-switch';
import { RecoveryObjectives, checkObjectiveTargets, computeObjectives, describeDuration } from '../dr/recovery-objectives';
import { Runbook, RunbookSite, strategyNotes, writeRunbook } from '../dr/runbook';
import { SiteEndpoint, linkSite, siteEndpoint } from '../dr/site-link';
import { DrAction, SWITCH_TIMEOUT_SECONDS, SwitchJobs, patroniSwitchJobs, scaleSwitchJobs } from '../dr/switch-jobs';
import { volumeSite } from '../dr/volume-site';
import { Engine } from '../engines/engine';
import { CrossSiteReplication } from '../engines/engine-definition';
import { PortRole } from '../engines/engine-port';
import { PATRONI_PORT, PATRONI_ROLE } from '../engines/postgres-patroni';
import { markClusterChart } from '../private/clusters';
import type { YamlValue } from '../private/config-format';
import { expectSiteDatabase } from '../private/dr-membership';
import { check } from '../private/errors';
import { MAX_STATEFULSET_NAME } from '../private/names';
import { checkInstance } from '../private/value-types';
import { ReportEntry, SynthReport } from '../report/synth-report';


interface SitePart {
  readonly site: DrSite;
  readonly chart: Chart;
  readonly database: ReplicatedDatabase;
  readonly assembly: DatabaseAssembly;
  readonly endpoint: SiteEndpoint;
  readonly jobs: SwitchJobs;
  readonly backup?: BackupSchedule;
}

/**
 * One database on two clusters, active and passive, from one definition: each site's chart holds a ReplicatedDatabase
 * of the same engine, version, resources, configuration and Secret references, the link between the sites, and the
 * suspended Jobs that switch them. The RPO and RTO are computed from what is configured and held to `rpo` and `rto`.
 *
 * Switching sites is two things: the running engines switch by the Jobs, in the order the runbook gives (fence,
 * promote, demote), because re-applying YAML does not promote or demote a running engine; and `activeSite` flips, a
 * reviewed diff that makes the YAML say what runs.
 */
export class DRPair extends Construct {
  /** The site whose database is primary. */
  public readonly activeSite: string;
  /** The other site. */
  public readonly passiveSite: string;
  /** Worst-case data loss in seconds, computed from the configuration; undefined when nothing bounds it. */
  public readonly rpoSeconds?: number;
  /** Time to serve again from the passive site in seconds, computed from the configuration and the assumptions. */
  public readonly rtoSeconds: number;

  private readonly parts: Map<string, SitePart> = new Map();
  private readonly objectives: RecoveryObjectives;
  private readonly runbook: Runbook;
  private readonly strategyKind: string;
  private readonly connectivity: DrConnectivity;
  private readonly notes: string[];

  constructor(scope: Construct, id: string, props: DRPairProps) {
    super(scope, id);
    const sites = checkPairProps(this, props);
    checkInstance(this, 'database.engine', props.database.engine, Engine, '`Engine`', 'Engine.postgres({ version: PostgresVersion.V16 })');
    const def = props.database.engine._definition;
    const kind = props.strategy._kind;
    this.strategyKind = kind;
    this.connectivity = props.connectivity ?? DrConnectivity.multiClusterServices();
    const postgres = def.family === 'postgresql' && def.replication !== undefined;
    check(kind === 'volumeReplication' || postgres, this,
      `\`strategy\` DrStrategy.${kind}() needs PostgreSQL (Patroni standby clusters, WAL archiving), and Engine '${def.family} ${def.version}' `
      + 'has no cross-cluster replication built here: use DrStrategy.volumeReplication(...) (csi-addons or Stork replicate its volumes), '
      + 'or a BackupSchedule with logical dumps on one site and `Restore.fromDump` on the other.');
    check(kind !== 'databaseReplication' || this.connectivity._kind !== 'lb' || sites.every((s) => s.address !== undefined), this,
      `\`connectivity\` DrConnectivity.loadBalancer() needs each site's \`address\` (the host name of its LoadBalancer): site "${sites.find((s) => !s.address)?.name}" has none.`);
    this.activeSite = props.activeSite;
    this.passiveSite = sites.find((s) => s.name !== props.activeSite)!.name;

    const base = props.database.name ?? Names.toDnsLabel(this, { maxLen: MAX_STATEFULSET_NAME - 21 });
    const sameName = kind === 'volumeReplication';
    // Charts at the app's root, so that each site synthesizes to `<id>-<site>.k8s.yaml` (a chart nested in a construct
    // gets a hash in its file name).
    const charts = sites.map((site) => site.chart ?? this.siteChart(`${id}-${site.name}`, props.namespaceName));
    sites.forEach((site, i) => markClusterChart(charts[i], `dr:${site.name}`));
    const namespace = props.namespaceName ?? charts[0].namespace;
    check(namespace !== undefined && charts.every((c) => c.namespace === namespace), this,
      `the sites' charts must be in the pair's namespace (${props.namespaceName !== undefined ? `\`namespaceName\` "${props.namespaceName}"; ` : ''}`
      + `${charts.map((c, i) => `"${sites[i].name}": ${c.namespace ?? 'none'}`).join(', ')}): give \`namespaceName\`, or charts of one namespace `
      + '(Multi-Cluster Services and the Secret references join the sites by namespace and name).');
    const names = sites.map((s) => siteDatabaseName(this, base, s.name, sameName));
    const clientPort = def.ports.find((p) => p.role === PortRole.CLIENT)!.port;
    const endpoints = sites.map((s, i) => siteEndpoint(this.connectivity, s, names[i], namespace!, clientPort));
    const slotFor = (site: DrSite) => `dr_${site.name.replace(/-/g, '_')}`;

    const storageBytes = (props.database.storageSize ?? DEFAULT_STORAGE).toKibibytes() * 1024;
    for (const [i, site] of sites.entries()) {
      const peerIndex = 1 - i;
      const peer = sites[peerIndex];
      const active = site.name === props.activeSite;
      const crossSite: CrossSiteReplication = kind === 'databaseReplication' ? {
        passive: !active,
        standbyCluster: active ? undefined
          : patroniStandbyCluster({
            peerHost: endpoints[peerIndex].host, peerPort: clientPort, slotName: slotFor(site),
          }) as Record<string, YamlValue>,
        peerSlot: slotFor(peer),
        maxSlotWalKeepSize: `${maxSlotWalKeepMebibytes(this, props.strategy._replication?.maxSlotWalKeep, storageBytes)}MB`,
        // verify-ca: the members' own replication connects to pod IPs, which no certificate names; the peer's
        // certificate is checked against the shared CA.
        replicationSslMode: 'verify-ca',
      } : { passive: !active };
      expectSiteDatabase(charts[i], id, crossSite);
      // Cold sites: the first site of `sites` creates the database; every other start of a site is a restore from the
      // peer's archive. The clone settings stay on a site once it is not the origin, active or not, so applying the
      // flipped YAML before the promote Job never starts an empty database there (Spilo clones only into an empty
      // data directory: the settings cost nothing on a site that has its data).
      const restoreFrom = kind === 'backupRestore' && (i !== 0 || !active)
        ? Restore.pointInTime({ target: props.strategy._backup!.archiving.target, sourceName: names[peerIndex] })
        : undefined;
      const database = new ReplicatedDatabase(charts[i], id, {
        ...props.database,
        name: names[i],
        zones: site.zones,
        storageClassName: site.storageClassName ?? props.database.storageClassName,
        restoreFrom,
      });
      const assembly = databaseRecord(database)!.assembly;
      let jobs: SwitchJobs;
      let backup: BackupSchedule | undefined;
      if (kind === 'databaseReplication') {
        linkSite({
          database,
          assembly,
          connectivity: this.connectivity,
          endpoint: endpoints[i],
          peer,
          leaderSelector: { ...assembly.labels.selector, [PATRONI_ROLE.key]: PATRONI_ROLE.primaryValue },
        });
        jobs = patroniSwitchJobs(database, assembly, {
          memberApis: database.memberHosts.map((h) => `http://${h}:${PATRONI_PORT}`),
          apiPort: PATRONI_PORT,
          peerHost: endpoints[peerIndex].host,
          peerPort: clientPort,
          slotName: slotFor(site),
          timeoutSeconds: SWITCH_TIMEOUT_SECONDS,
        });
      } else {
        if (kind === 'volumeReplication') {
          const volumes = volumeSite(database, assembly, props.strategy._volume!, { namespace: namespace!, active });
          jobs = scaleSwitchJobs(database, assembly, volumes.switch);
        } else {
          jobs = scaleSwitchJobs(database, assembly, coldPromotion(assembly));
        }
        // The passive site's engine does not run: its StatefulSets wait at zero replicas for the promote Job.
        if (!active) for (const sts of assembly.statefulSets) ApiObject.of(sts).addJsonPatch(JsonPatch.replace('/spec/replicas', 0));
        if (kind === 'backupRestore') {
          // Both sites archive when they run: after a failover the new active site's WAL is what the other restores from.
          backup = new BackupSchedule(charts[i], `${id}Backups`, { database, methods: [BackupMethod.continuousArchiving(props.strategy._backup!.archiving)] });
        }
      }
      this.parts.set(site.name, { site, chart: charts[i], database, assembly, endpoint: endpoints[i], jobs, backup });
    }

    const activePart = this.parts.get(this.activeSite)!;
    this.objectives = computeObjectives(pairObjectivesInput(this, props, storageBytes));
    checkObjectiveTargets(this, this.objectives, { rpo: props.rpo, rto: props.rto });
    this.rpoSeconds = this.objectives.rpo.seconds;
    this.rtoSeconds = this.objectives.rto.seconds!;
    const passivePart = this.parts.get(this.passiveSite)!;
    this.runbook = writeRunbook(kind, this.runbookSite(activePart, namespace!), this.runbookSite(passivePart, namespace!), strategyNotes(kind));
    // A cold pair's first site creates the database; any other active site starts as a restore of the other's archive.
    this.notes = kind === 'backupRestore' && this.activeSite !== sites[0].name
      ? [`${this.activeSite} is active but not the first of \`sites\`: it starts as a restore of ${sites[0].name}'s archive. That is right after a failover; `
        + `at a first deployment, list ${this.activeSite} first (it must create the database).`]
      : [];
    SynthReport.register(this, this);
  }

  /** The chart of a site, synthesized for that site's cluster. */
  public chart(site: string): Chart {
    return this.part(site).chart;
  }

  /** The database of a site. */
  public database(site: string): ReplicatedDatabase {
    return this.part(site).database;
  }

  /** The suspended Job of a site that does `action` (`fence`, `promote` or `demote`), where the strategy has it. */
  public switchJob(site: string, action: string): ApiObject | undefined {
    check(['fence', 'promote', 'demote'].includes(action), this, `\`switchJob\` action "${action}" is not one of fence, promote, demote.`);
    return this.part(site).jobs[action as DrAction];
  }

  /** Failover steps, in order, with the exact commands. */
  public failoverSteps(): string[] {
    return [...this.runbook.failover];
  }

  /** Failback steps, in order, with the exact commands. */
  public failbackSteps(): string[] {
    return [...this.runbook.failback];
  }

  private siteChart(id: string, namespace: string | undefined): Chart {
    const root = this.node.root as Construct;
    check(root.node.tryFindChild(id) === undefined, this,
      `the chart of a site would be "${id}" at the app's root, and a construct of that id is there already (a second DRPair of the same id?): `
      + 'give this DRPair another id, or give its sites charts of their own (`sites[i].chart`).');
    return new Chart(root, id, { namespace });
  }

  private part(site: string): SitePart {
    const p = this.parts.get(site);
    check(p !== undefined, this, `there is no site "${site}" in this DRPair: use ${[...this.parts.keys()].map((s) => `"${s}"`).join(' or ')}.`);
    return p;
  }

  private runbookSite(p: SitePart, namespace: string): RunbookSite {
    // cdk8s names a chart's file after its id when the chart sits at the app's root (a nested one gets a hash).
    const atRoot = p.chart.node.scope === this.node.root;
    const file = atRoot ? `${p.chart.node.id}.k8s.yaml` : `<the YAML of chart ${p.chart.node.path}>`;
    return { name: p.site.name, namespace, databaseName: p.database.name, file, claims: memberClaims(p.assembly), jobs: p.jobs };
  }


  /** @internal */
  public _reportEntry(): ReportEntry {
    const o = this.objectives;
    const figure = (f: RecoveryObjectives['rpo']) => `${describeDuration(f.seconds)} = ${f.formula}`;
    const terms = (f: RecoveryObjectives['rpo']) => f.terms.map((t) => `${t.name}: ${describeDuration(t.seconds)} (${t.basis})`);
    const sites = [...this.parts.values()];
    return {
      kind: 'dr',
      path: this.node.path,
      name: this.node.id,
      summary: `${this.strategyKind} pair: ${this.activeSite} active, ${this.passiveSite} passive; RPO ${describeDuration(o.rpo.seconds)}, RTO ${describeDuration(o.rto.seconds)}`,
      details: {
        engine: o.engine,
        strategy: this.strategyKind,
        sites: sites.map((p) => `${p.site.name}${p.site.name === this.activeSite ? ' (active)' : ' (passive)'}: ${p.database.name} in chart ${p.chart.node.path}, zones ${p.site.zones.join(', ')}`),
        link: this.strategyKind === 'databaseReplication'
          ? sites.map((p) => `${p.site.name} reached at ${p.endpoint.host}:${p.endpoint.port} (${this.connectivity._kind === 'mcs' ? 'ServiceExport' : 'LoadBalancer'}, TLS verify-ca), admits ${sites.find((q) => q !== p)!.site.trafficSourceCidrs!.join(', ')}`)
          : undefined,
        rpo: figure(o.rpo),
        rpoTerms: terms(o.rpo),
        rto: figure(o.rto),
        rtoTerms: terms(o.rto),
        // What the figures rest on besides the configuration: change them with `assumptions`.
        assumptions: [...o.rpo.terms, ...o.rto.terms].filter((t) => t.assumed).map((t) => `${t.name}: ${t.basis}`),
        failover: this.runbook.failover,
        failback: this.runbook.failback,
      },
      notes: [...this.notes, ...o.rpo.notes, ...o.rto.notes],
      charts: sites.map((p) => p.chart.node.path),
      // Each site's picture draws an arrow to its peer: the active site ships to it, the passive site follows it.
      links: Object.fromEntries(sites.map((p) => {
        const peer = sites.find((q) => q !== p)!;
        return [p.database.name, [{
          peer: `${peer.site.name} (${peer.database.name})`,
          strategy: this.strategyKind,
          rpo: describeDuration(o.rpo.seconds),
          rto: describeDuration(o.rto.seconds),
          direction: p.site.name === this.activeSite ? 'to' as const : 'from' as const,
        }]];
      })),
    };
  }
}

/** A quarter of the data volume by default; never more than the volume. */
function maxSlotWalKeepMebibytes(scope: Construct, given: Size | undefined, storageBytes: number): number {
  const storageMib = Math.floor(storageBytes / 1024 / 1024);
  if (given === undefined) return Math.max(64, Math.floor(storageMib / 4));
  checkInstance(scope, 'strategy.maxSlotWalKeep', given, Size, 'cdk8s `Size`', 'Size.gibibytes(8)');
  const mib = Math.floor(given.toMebibytes());
  check(mib >= 64 && mib < storageMib, scope,
    `\`strategy.maxSlotWalKeep\` ${mib} MiB must be at least 64 MiB and less than the data volume (${storageMib} MiB): the WAL kept for the peer shares the volume with the data.`);
  return mib;
}
