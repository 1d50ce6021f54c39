import { EngineContainer, EngineJob, RackPlan, ReplicationContext, ReplicationPlan } from './engine-definition';
import { ReplicationMode } from './engine-port';
import { plainEnv } from './probes';

export interface RingParts {
  readonly datacenter: string;
  container(rackFile: string): EngineContainer;
  cassandraYaml(seeds: string): string;
  rolesJob(firstCql?: string): EngineJob;
}

/**
 * A Cassandra datacenter of racks: each rack one StatefulSet pinned to one zone, each node told its
 * datacenter and rack through GossipingPropertyFileSnitch, the first node of each rack a seed.
 * NetworkTopologyStrategy then places a range's replicas on distinct racks, so a zone outage costs
 * each range at most one replica when racks >= replication factor.
 * @see https://cassandra.apache.org/doc/latest/cassandra/architecture/dynamo.html#replication-strategy
 */
export function ringPlan(ctx: ReplicationContext, parts: RingParts): ReplicationPlan {
  const racks: RackPlan[] = ctx.racks ?? [];
  const rf = ctx.replicationFactor ?? 3;
  const quorum = Math.floor(rf / 2) + 1;
  const domain = ctx.members[0].slice(ctx.members[0].indexOf('.') + 1);
  const seeds = racks.slice(0, 3).map((r) => `${r.statefulSetName}-0.${domain}`).join(',');
  const rackFile = (r: RackPlan) => `cassandra-rackdc-${r.name}.properties`;
  const base = parts.container('RACK_FILE');
  const env = base.env.filter((e) => e.name !== 'JVM_EXTRA_OPTS');
  const jvmOpts = base.env.find((e) => e.name === 'JVM_EXTRA_OPTS')!.value!;
  return {
    mode: ReplicationMode.RING,
    quorum,
    container: { ...base, env },
    rackEnv: (r) => [plainEnv('JVM_EXTRA_OPTS', jvmOpts.replace('RACK_FILE', rackFile(r)))],
    extraPorts: [],
    configFiles: {
      'cassandra.yaml': parts.cassandraYaml(seeds),
      ...Object.fromEntries(racks.map((r) => [rackFile(r), `dc=${parts.datacenter}\nrack=${r.name}\n`])),
    },
    replacesConfig: true,
    formationJob: parts.rolesJob(
      `ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', '${parts.datacenter}': ${rf}}`),
    failoverNotes: `No primary: with replication factor ${rf}, reads and writes at QUORUM need ${quorum} replicas of each range. `
      + 'Keyspaces must use NetworkTopologyStrategy with this datacenter; after system_auth changes replication, run `nodetool repair system_auth` on each node. '
      + 'A replaced node keeps its identity through its PersistentVolumeClaim.',
  };
}
