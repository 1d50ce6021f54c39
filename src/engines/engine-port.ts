/** The role a port plays; data-plane (client, peer) and control-plane (admin, metrics) ports are kept apart. */
export enum PortRole {
  /** Application traffic; the only role on the client Service. */
  CLIENT = 'client',
  /** Traffic between members of the same database (replication, gossip). */
  PEER = 'peer',
  /** Administration interfaces; never on the client Service. */
  ADMIN = 'admin',
  /** Prometheus scrape port of the exporter sidecar; never on the client Service. */
  METRICS = 'metrics',
}

/** One port of an engine. */
export interface EnginePort {
  /** IANA-style port name (at most 15 characters, lower case), used in Services and probes. */
  readonly name: string;
  /** Container port number. */
  readonly port: number;
  /** What the port is for. */
  readonly role: PortRole;
}


/** How members of a replicated engine share work. */
export enum ReplicationMode {
  /** One writable primary, read-only replicas, automatic failover (Patroni, Redis Sentinel, MySQL Group Replication). */
  PRIMARY_REPLICA = 'primary-replica',
  /** Members vote; writes need a majority (MongoDB replica sets). */
  CONSENSUS = 'consensus',
  /** Every node owns token ranges replicated on `replicationFactor` nodes (Cassandra). */
  RING = 'ring',
}

