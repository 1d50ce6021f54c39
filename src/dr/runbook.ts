import { ApiObject } from 'cdk8s';
import { SwitchJobs } from './switch-jobs';

/** One site as the runbook names it. */
export interface RunbookSite {
  readonly name: string;
  readonly namespace: string;
  readonly databaseName: string;
  readonly jobs: SwitchJobs;
}

/** The failover and failback of a pair, step by step, with the exact commands. */
export interface Runbook {
  readonly failover: string[];
  readonly failback: string[];
}

const resume = (site: RunbookSite, job: ApiObject | undefined) => job
  ? `kubectl --context ${site.name} -n ${site.namespace} patch job ${job.name} --type merge -p '{"spec":{"suspend":false}}' `
    + `&& kubectl --context ${site.name} -n ${site.namespace} wait --for=condition=complete job/${job.name} --timeout=10m`
  : '';

/**
 * The order is the one that never has two writers: fence the old active site first (when it is reachable), then
 * promote, then redirect; the old site rejoins only as a follower (demote, or a rebuild), never by itself.
 */
export function writeRunbook(kind: 'databaseReplication' | 'backupRestore' | 'volumeReplication',
  active: RunbookSite, passive: RunbookSite, notes: { readonly promote: string; readonly rejoin: string }): Runbook {
  const steps = (from: RunbookSite, to: RunbookSite) => [
    `Decide: ${from.name} is lost or must stop serving (the RTO's decision term starts here).`,
    `Fence ${from.name} if it is reachable, so it takes no more writes: ${resume(from, from.jobs.fence)}. `
      + 'If it is not reachable, cut its clients off at the network or DNS before going on: a site that comes back by itself must find no client.',
    `Promote ${to.name}: ${resume(to, to.jobs.promote)} (${notes.promote}).`,
    `Redirect clients to ${to.databaseName} on ${to.name} (its read-write Service), and check the applications write there.`,
    `Make the YAML say what runs: set \`activeSite: '${to.name}'\` in the DRPair, review the diff of both sites and apply it.`,
    kind === 'databaseReplication'
      ? `If ${from.name} was fenced, it follows ${to.name} already. If it was unreachable, it comes back as a primary of its own: before `
        + `its clients reach it, demote it to follow ${to.name}: ${resume(from, from.jobs.demote)} (${notes.rejoin}).`
      : `When ${from.name} is back: ${notes.rejoin}.`,
  ];
  return { failover: steps(active, passive), failback: steps(passive, active) };
}
