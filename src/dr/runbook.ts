import { ApiObject } from 'cdk8s';
import { LABEL_DR_ACTION, SwitchJobs } from './switch-jobs';

/** One site as the runbook names it. */
export interface RunbookSite {
  readonly name: string;
  readonly namespace: string;
  readonly databaseName: string;
  /** The YAML file the site's chart synthesizes to (relative to the app's output folder). */
  readonly file: string;
  /** The members' data claims. */
  readonly claims: string[];
  readonly jobs: SwitchJobs;
}

/** The failover and failback of a pair, step by step, with the exact commands. */
export interface Runbook {
  readonly failover: string[];
  readonly failback: string[];
}

/**
 * Runs a suspended Job of a site: deleted and created again from the site's YAML first, because a Job that ran
 * before (a drill, the last switch) stays complete for its TTL, and resuming a complete Job runs nothing while
 * `kubectl wait` reports success at once. `kubectl apply -l` creates only the objects with that action's label.
 */
function runJob(site: RunbookSite, job: ApiObject | undefined): string {
  if (!job) return '';
  const k = `kubectl --context ${site.name} -n ${site.namespace}`;
  const action = job.metadata.getLabel(LABEL_DR_ACTION);
  return `\`${k} delete job ${job.name} --ignore-not-found --wait && ${k} apply -f ${site.file} -l ${LABEL_DR_ACTION}=${action} `
    + `&& ${k} patch job ${job.name} --type merge -p '{"spec":{"suspend":false}}' `
    + `&& ${k} wait --for=condition=complete job/${job.name} --timeout=15m\``;
}

/** What the construct tells the runbook about its strategy. */
export interface RunbookNotes {
  readonly promote: string;
  /** How the old site comes back, given the site it rejoins under and the one it follows. */
  readonly rejoin: (from: RunbookSite, to: RunbookSite) => string;
  /** Steps after the promotion, before clients come (e.g. a first base backup of a restored site). */
  readonly afterPromote?: (to: RunbookSite) => string | undefined;
}

/**
 * The order is the one that never has two writers: fence the old active site first (when it is reachable), then
 * promote, then redirect; the old site rejoins only as a follower (demote, or a rebuild), never by itself. The
 * commands assume kubeconfig contexts named after the sites, and the synthesized YAML in the current folder.
 */
export function writeRunbook(kind: 'databaseReplication' | 'backupRestore' | 'volumeReplication',
  active: RunbookSite, passive: RunbookSite, notes: RunbookNotes): Runbook {
  const steps = (from: RunbookSite, to: RunbookSite) => [
    `Decide: ${from.name} is lost or must stop serving (the RTO's decision term starts here).`,
    `Fence ${from.name} if it is reachable, so it takes no more writes: ${runJob(from, from.jobs.fence)}`
      + (kind === 'databaseReplication'
        ? ` (new transactions read-only, client sessions ended, then it waits until ${to.name} has every WAL record and turns ${from.name} `
          + `into a standby cluster of ${to.name}; if ${to.name} does not catch up in time the Job fails saying how much promoting now loses). `
        : '. ')
      + 'If it is not reachable, cut its clients off at the network or DNS before going on: a site that comes back by itself must find no client.',
    `Promote ${to.name}: ${runJob(to, to.jobs.promote)} (${notes.promote}).`,
    ...[notes.afterPromote?.(to)].filter((s): s is string => s !== undefined),
    `Redirect clients to ${to.databaseName} on ${to.name} (its read-write Service), and check the applications write there.`,
    `Make the YAML say what runs: set \`activeSite: '${to.name}'\` in the DRPair, review the diff of both sites and apply it.`,
    kind === 'databaseReplication'
      ? `If ${from.name} was fenced, it follows ${to.name} already. If it was unreachable, it comes back as a primary of its own: before `
        + `its clients reach it, demote it to follow ${to.name}: ${runJob(from, from.jobs.demote)} (${notes.rejoin(from, to)}).`
      : `When ${from.name} is back: ${notes.rejoin(from, to)}.`,
  ];
  return { failover: steps(active, passive), failback: steps(passive, active) };
}

/** What the runbook says of each strategy's promotion and of the old site's return. */
export function strategyNotes(kind: string): RunbookNotes {
  if (kind === 'databaseReplication') {
    return {
      promote: 'Patroni drops `standby_cluster` and the standby leader becomes the leader, on a new timeline. A fenced old site follows it '
        + 'from there on: the fence left it a standby cluster of this site',
      rejoin: () => 'Patroni sets `standby_cluster` on the old site; its leader rewinds with pg_rewind (use_pg_rewind) to the new timeline, and the Job '
        + 're-clones a member that replayed past the fork; a site whose slot on the other side was invalidated (past `maxSlotWalKeep`) is rebuilt from a base backup',
    };
  }
  if (kind === 'backupRestore') {
    return {
      promote: 'the Job refuses a site that still has claims from an earlier run, clears Patroni\'s state of the scope, and starts the members: Spilo clones '
        + 'the newest base backup of the other site\'s archive and replays its WAL to the end',
      afterPromote: (to) => `Take a first base backup of ${to.name} (its archive has WAL but no base backup until its schedule fires): `
        + `\`kubectl --context ${to.name} -n ${to.namespace} exec $(kubectl --context ${to.name} -n ${to.namespace} get pod -l app.kubernetes.io/instance=${to.databaseName},spilo-role=master -o name) `
        + '-c postgresql -- sh -c \'envdir /run/etc/wal-e.d/env /scripts/postgres_backup.sh "$PGDATA"\'\`',
      rejoin: (from) => 'apply the flipped YAML there (it waits at zero replicas). Before it can be the restore target again, delete the claims of its last run once '
        + `nothing on them is needed: \`kubectl --context ${from.name} -n ${from.namespace} delete pvc ${from.claims.join(' ')}\`; its promote Job refuses to start while they exist`,
    };
  }
  return {
    promote: 'its volumes become primary and the members start on the replicated data, by crash recovery. With csi-addons the claims '
      + 'must already be bound to the mirrored images on this cluster (Ramen restores the PersistentVolumes and claims; the library cannot, '
      + 'since the volume handles exist only at run time): until then the VolumeReplications report that the claim is missing and the Job waits. '
      + 'With Stork the claims are the migrated ones, and `storkctl activate migration` does the same scaling',
    rejoin: () => 'run its fence Job (zero replicas; csi-addons: its volumes marked secondary). A csi-addons volume that took writes after the last '
      + 'copy stays in error until `replicationState: resync` is set on its VolumeReplication, which discards those writes: never automatic. '
      + 'With Stork, the MigrationSchedule runs from the site that is active once the flipped YAML is applied, through the ClusterPair of that '
      + 'name on that cluster (create it in both directions)',
  };
}
