import { StatefulDatabaseProps } from './stateful-database-props';
import { Spread } from '../topology/spread';

/** A Cassandra rack: one StatefulSet, pinned to one zone. */
export interface CassandraRack {
  /** Rack name (GossipingPropertyFileSnitch `rack`), a DNS label. */
  readonly name: string;
  /**
   * Zone the rack's nodes run in (required node affinity).
   * @default - any zone
   */
  readonly zone?: string;
}

/** Properties of a `ReplicatedDatabase`. */
export interface ReplicatedDatabaseProps extends StatefulDatabaseProps {
  /**
   * Number of members.
   * @default 3
   */
  readonly replicas?: number;
  /**
   * Names of the zones the cluster has (`topology.kubernetes.io/zone` values). Members are restricted
   * to them and spread over them; synth checks replicas against zones and quorum.
   * @default - zones not declared: no zone affinity, preferred zone spreading, no zone-loss check
   */
  readonly zones?: string[];
  /**
   * Number of zones, when their names are not to be pinned.
   * @default - the length of `zones`, or undeclared
   */
  readonly zoneCount?: number;
  /**
   * Spread over zones.
   * @default - Spread.required({ maxSkew: 1, minDomains: <zones> }) when zones are declared, else Spread.preferred();
   * Spread.none() for a Cassandra ring whose racks are each pinned to a zone (the rack is the zone spread)
   */
  readonly zoneSpread?: Spread;
  /**
   * Spread over nodes.
   * @default Spread.preferred()
   */
  readonly hostSpread?: Spread;
  /**
   * Accept a layout where losing one zone loses quorum (e.g. a single-zone cluster).
   * @default false
   */
  readonly allowQuorumLossOnZoneFailure?: boolean;
  /**
   * Replace the budget over all members with disjoint budgets, one for the primary (minAvailable 1), one for
   * the replicas (at most one down), as the Data on Kubernetes whitepaper advises, and one holding a member whose
   * role label is missing at that instant (minAvailable 1). Drains of the primary's node then wait for a
   * switchover, which the report and `switchoverCommand` describe.
   * Engines whose members carry role labels only (Patroni, Sentinel, Group Replication). Synth refuses budgets that
   * would select one pod twice (e.g. a custom engine with equal primary and replica role values): the eviction API
   * refuses to evict such a pod.
   * @default false
   */
  readonly roleBudgets?: boolean;
  /**
   * PostgreSQL: synchronous standbys (Patroni `synchronous_mode` with `synchronous_node_count`).
   * Commits wait for them; a failover never loses a committed transaction.
   * @default 0 (asynchronous replication)
   * @see https://patroni.readthedocs.io/en/latest/replication_modes.html
   */
  readonly synchronousStandbys?: number;
  /**
   * MongoDB: election priority of each member, by ordinal (0 never becomes primary).
   * @default - 1 for every member
   * @see https://www.mongodb.com/docs/manual/reference/replica-configuration/#mongodb-rsconf-rsconf.members-n-.priority
   */
  readonly memberPriorities?: number[];
  /**
   * Cassandra: racks, each one StatefulSet pinned to its zone; `replicas` are divided evenly.
   * @default - one rack per declared zone, or one rack `rack1`
   */
  readonly racks?: CassandraRack[];
  /**
   * Cassandra: replication factor of the application keyspaces in this datacenter (and of system_auth).
   * Sizes the budget and the zone-loss check.
   * @default 3
   */
  readonly replicationFactor?: number;
}
