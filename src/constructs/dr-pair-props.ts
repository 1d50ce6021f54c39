import { Chart, Duration } from 'cdk8s';
import { ReplicatedDatabaseProps } from './replicated-database-props';
import { DrAssumptions } from '../dr/dr-assumptions';
import { DrConnectivity } from '../dr/dr-connectivity';
import { DrStrategy } from '../dr/dr-strategy';

/** One cluster of a DRPair. */
export interface DrSite {
  /** The site's name, a DNS label (e.g. `site-a`): its database is `<name>-<site>`, its chart `<pair id>-<site>`. */
  readonly name: string;
  /** The zones of this site's cluster; its members spread over them as a ReplicatedDatabase's do. */
  readonly zones: string[];
  /**
   * Where this site's connections to the other site come from, as the other site sees them (its pods' ranges on a
   * flat multi-cluster network, or its NAT gateway's addresses): the other site admits only these.
   * @default - none; required with `DrStrategy.databaseReplication()`, the one strategy whose engines talk across sites
   */
  readonly trafficSourceCidrs?: string[];
  /**
   * The host name the other site reaches this site's database at, with `DrConnectivity.loadBalancer()` (the DNS name
   * of this site's LoadBalancer). Also a name in the database's certificate.
   * @default - none; required with `DrConnectivity.loadBalancer()`
   */
  readonly address?: string;
  /**
   * The StorageClass of this site's cluster.
   * @default - the pair's `database.storageClassName`
   */
  readonly storageClassName?: string;
  /**
   * The chart this site's objects go into, synthesized for this site's cluster.
   * @default - a new Chart `<pair id>-<site>` under the pair, in the pair's namespace
   */
  readonly chart?: Chart;
}

/** Properties of a DRPair. */
export interface DRPairProps {
  /** The two sites, e.g. `[{ name: 'site-a', ... }, { name: 'site-b', ... }]`. */
  readonly sites: DrSite[];
  /**
   * The site whose database is primary. Changing it switches the YAML of both sites (a reviewed diff); the running
   * engines switch with the suspended Jobs the runbook names (fence, promote, demote).
   */
  readonly activeSite: string;
  /**
   * The database, as for a ReplicatedDatabase, without `zones` (each site has its own). Both sites get the same
   * engine, version, resources, configuration and Secret references; `credentials` must name an existing Secret
   * synchronized to both clusters (`Credentials.fromSecretName`), and `tls` must be set (traffic between sites is
   * always encrypted and verified).
   */
  readonly database: ReplicatedDatabaseProps;
  /** How the passive site gets the data: `DrStrategy.databaseReplication()`, `.backupRestore(...)`, `.volumeReplication(...)`. */
  readonly strategy: DrStrategy;
  /**
   * How the sites reach each other.
   * @default DrConnectivity.multiClusterServices()
   */
  readonly connectivity?: DrConnectivity;
  /**
   * Namespace of the database on both clusters (Multi-Cluster Services joins Services by namespace and name).
   * @default - the sites' charts' namespace
   */
  readonly namespaceName?: string;
  /**
   * The recovery point objective: synth fails when the configuration cannot hold it.
   * @default - none (the report shows the computed figure)
   */
  readonly rpo?: Duration;
  /**
   * The recovery time objective: synth fails when the configuration cannot hold it.
   * @default - none (the report shows the computed figure)
   */
  readonly rto?: Duration;
  /**
   * The durations the RPO and RTO figures assume where no setting decides them (detection, decision, redirect...).
   * @default - the defaults of DrAssumptions
   */
  readonly assumptions?: DrAssumptions;
}
