import { Chart, Cron, Duration, Size } from 'cdk8s';
import { IConstruct } from 'constructs';
import { DrConnectivity } from './dr-connectivity';
import { DrStrategy } from './dr-strategy';
import { VolumeReplicationBackend } from './volume-replication';
import { BackupTarget } from '../backup/target';
import type { DRPairProps, DrSite } from '../constructs/dr-pair-props';
import { isCidr } from '../private/cidr';
import { check } from '../private/errors';
import { MAX_STATEFULSET_NAME, isDnsLabel, isDnsSubdomain } from '../private/names';
import { checkInstance, checkProps, checkStringList, checkStruct, checkStructList } from '../private/value-types';
import { ApplicationUser } from '../security/application-user';
import { Credentials } from '../security/credentials';

const EXAMPLE = "{ sites: [siteA, siteB], activeSite: 'site-a', database: { engine, credentials, tls }, strategy: DrStrategy.databaseReplication() }";

/** Checks a DRPair's props before anything is built; returns the two sites in the order given. */
export function checkPairProps(scope: IConstruct, props: DRPairProps): [DrSite, DrSite] {
  checkProps(scope, props, EXAMPLE);
  checkStructList(scope, 'sites', props.sites, "[{ name: 'site-a', zones: ['a', 'b', 'c'], trafficSourceCidrs: ['10.1.0.0/16'] }, ...]");
  check(props.sites.length === 2, scope,
    `\`sites\` must list exactly two sites (an active and a passive one), not ${props.sites.length}: a DRPair is one database on two clusters.`);
  checkInstance(scope, 'strategy', props.strategy, DrStrategy, '`DrStrategy`', 'DrStrategy.databaseReplication()');
  const linked = props.strategy._kind === 'databaseReplication';
  for (const [i, site] of props.sites.entries()) checkSite(scope, `sites[${i}]`, site, linked);
  const [a, b] = props.sites as [DrSite, DrSite];
  check(a.name !== b.name, scope, `\`sites\` both have the name "${a.name}": give each site its own name, e.g. 'site-a' and 'site-b'.`);
  check(a.chart === undefined || a.chart !== b.chart, scope,
    `\`sites\` "${a.name}" and "${b.name}" are given the same chart: each site is another cluster, so each needs a chart of its own (or none: the pair makes them).`);
  check(typeof props.activeSite === 'string' && [a.name, b.name].includes(props.activeSite), scope,
    `\`activeSite\` is ${JSON.stringify(props.activeSite)}, not one of the sites: give "${a.name}" or "${b.name}".`);
  checkStruct(scope, 'database', props.database, '{ engine: Engine.postgres({ version: PostgresVersion.V16 }), credentials, tls }');
  check(props.database.zones === undefined && props.database.zoneCount === undefined, scope,
    '`database.zones` (or `zoneCount`) is set, but each cluster has zones of its own: give them per site (`sites[i].zones`) and remove them from `database`.');
  check(props.database.restoreFrom === undefined, scope,
    '`database.restoreFrom` is set, but a DRPair\'s sites take their data from each other (the standby from the active site, a cold site from its '
    + 'archive, a replicated volume from its source): restore into a ReplicatedDatabase first, then move it into the pair with volume snapshots, or '
    + 'load a dump into the active site once the pair runs.');
  if (props.connectivity !== undefined) {
    checkInstance(scope, 'connectivity', props.connectivity, DrConnectivity, '`DrConnectivity`', 'DrConnectivity.multiClusterServices()');
  }
  if (props.database.storageSize !== undefined) {
    checkInstance(scope, 'database.storageSize', props.database.storageSize, Size, 'cdk8s `Size`', 'Size.gibibytes(50)');
  }
  if (props.strategy._kind === 'backupRestore') {
    const archiving = props.strategy._backup?.archiving;
    checkStruct(scope, 'strategy.archiving', archiving, '{ target: BackupTarget.s3({ ... }) }');
    checkInstance(scope, 'strategy.archiving.target', archiving!.target, BackupTarget, '`BackupTarget`', "BackupTarget.s3({ bucket: 'orders-wal', endpoint, credentialsSecretName })");
    if (archiving!.baseBackupSchedule !== undefined) {
      checkInstance(scope, 'strategy.archiving.baseBackupSchedule', archiving!.baseBackupSchedule, Cron, 'cdk8s `Cron`', "Cron.schedule({ minute: '0', hour: '*/6' })");
    }
  }
  if (props.strategy._kind === 'volumeReplication') {
    checkInstance(scope, 'strategy (its backend)', props.strategy._volume, VolumeReplicationBackend, '`VolumeReplicationBackend`',
      "VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com' })");
  }
  for (const prop of ['rpo', 'rto'] as const) {
    if (props[prop] !== undefined) checkInstance(scope, prop, props[prop], Duration, 'cdk8s `Duration`', 'Duration.minutes(5)');
  }
  // Both sites hold the same data under the same Secret: two generated Secrets would differ, and the standby could
  // not authenticate to the peer, nor the applications to the site they fail over to.
  const credentials = props.database.credentials;
  check(credentials !== undefined && !(credentials as Credentials)._generated, scope,
    '`database.credentials` must name an existing Secret (`Credentials.fromSecretName(...)`) that is synchronized to both clusters (External Secrets, Sealed Secrets, Vault): '
    + 'generated credentials would differ per cluster, and the passive site could not authenticate to the active one. For PostgreSQL the Secret also holds `replication-password`.');
  const appUser = props.database.applicationUser as ApplicationUser | undefined;
  check(appUser !== undefined && !appUser._generated, scope,
    '`database.applicationUser` must name an existing Secret synchronized to both clusters (`ApplicationUser.fromSecretName(...)`), or be `ApplicationUser.superuser()`: '
    + 'the default generates one per cluster, and after a failover the applications of the new active site would hold a password the replicated role does not have.');
  check(props.strategy._kind !== 'databaseReplication' || props.database.tls !== undefined, scope,
    '`database.tls` is required with DrStrategy.databaseReplication(): traffic between the sites always runs over TLS verified against a CA both sites trust. Give `tls: { issuerName }` naming an Issuer '
    + 'of the same CA on both clusters (a CA Issuer whose CA Secret both clusters hold).');
  return [a, b];
}

function checkSite(scope: IConstruct, prop: string, site: DrSite, linked: boolean): void {
  check(typeof site.name === 'string' && isDnsLabel(site.name) && site.name.length <= 20, scope,
    `\`${prop}.name\` ${JSON.stringify(site.name)} must be a DNS label of at most 20 characters (e.g. 'site-a'): it is part of the database's and the chart's names.`);
  checkStringList(scope, `${prop}.zones`, site.zones, "['eu-west-1a', 'eu-west-1b', 'eu-west-1c']");
  // Only a warm standby's engines talk across the sites; a cold site's archive and replicated volumes travel by the
  // object store and the storage system.
  if (!linked && site.trafficSourceCidrs === undefined) return checkSiteChart(scope, prop, site);
  checkStringList(scope, `${prop}.trafficSourceCidrs`, site.trafficSourceCidrs, "['10.1.0.0/16']");
  check(site.trafficSourceCidrs!.length > 0, scope,
    `\`${prop}.trafficSourceCidrs\` is empty: the other site admits only these ranges, so nothing from "${site.name}" could reach it. Give the ranges its connections come from.`);
  for (const cidr of site.trafficSourceCidrs!) {
    check(isCidr(cidr), scope, `\`${prop}.trafficSourceCidrs\` "${cidr}" is not a CIDR range: write it as an address and a prefix length, e.g. '10.1.0.0/16' or '2001:db8::/48'.`);
  }
  if (site.address !== undefined) {
    check(typeof site.address === 'string' && isDnsSubdomain(site.address), scope,
      `\`${prop}.address\` ${JSON.stringify(site.address)} must be a lower-case DNS name (the host name of the site's LoadBalancer, e.g. 'orders.site-a.example.com').`);
  }
  checkSiteChart(scope, prop, site);
}

function checkSiteChart(scope: IConstruct, prop: string, site: DrSite): void {
  if (site.chart !== undefined) checkInstance(scope, `${prop}.chart`, site.chart, Chart, 'cdk8s `Chart`', "new Chart(app, 'site-a', { namespace: 'shop' })");
}


/** The database name on one site: unique across sites where both run (`<name>-<site>`), the same where the volumes move. */
export function siteDatabaseName(scope: IConstruct, base: string, site: string, sameOnBothSites: boolean): string {
  const name = sameOnBothSites ? base : `${base}-${site}`;
  check(name.length <= MAX_STATEFULSET_NAME, scope,
    `the database on site "${site}" would be named "${name}" (${name.length} characters), longer than the ${MAX_STATEFULSET_NAME} a StatefulSet name may have `
    + '(its pods\' controller-revision-hash label adds 11): give `database.name` a shorter name, or the sites shorter names.');
  return name;
}
