import { k8s } from 'cdk8s-plus-28';
import { SWITCH_TIMEOUT_SECONDS } from './switch-jobs';
import { StorkConsistency, VolumeReplicationBackend, storkPassiveAnnotations } from './volume-replication';
import { DatabaseAssembly } from '../assembly/database-assembly';
import { engineBackup } from '../backup/backup-method';
import type { ReplicatedDatabase } from '../constructs/replicated-database';
import { dataClaims } from '../private/claim-names';

/** What the switch Jobs of a replicated-volume site do besides scaling. */
export interface VolumeSwitch {
  readonly promoteFirst?: string;
  readonly fenceAfter?: string;
  readonly rules?: k8s.PolicyRule[];
}

const CSI_ADDONS_GROUP = 'replication.storage.openshift.io';
const STORK_GROUP = 'stork.libopenstorage.org';

/**
 * One site of a pair whose volumes the storage replicates: the back-end's objects over the members' data claims, and
 * the steps the fence and promote Jobs add around the scaling.
 * - csi-addons: promote marks every VolumeReplication `primary` and waits for the driver to report it before the
 *   members start; fence marks them `secondary` once no member runs (a demoted volume is read-only to the driver).
 * - Stork: fence suspends the site's MigrationSchedule (when the site is reachable) so that no copy runs backwards
 *   after the switch; the passive site's claims are the migrated ones, bound by name when its members start.
 */
export function volumeSite(database: ReplicatedDatabase, assembly: DatabaseAssembly, backend: VolumeReplicationBackend,
  site: { readonly namespace: string; readonly active: boolean }): { switch: VolumeSwitch } {
  const claims = dataClaims(assembly.statefulSetViews);
  backend._objects(database, {
    namespace: site.namespace,
    databaseName: assembly.name,
    claims,
    statefulSetNames: assembly.statefulSetViews.map((v) => v.metadata.name),
    labels: assembly.labels.forComponent('dr'),
    claimSelector: assembly.labels.selector,
    primary: site.active,
  }, storkConsistency(assembly));
  if (backend._kind === 'csi-addons') {
    const mark = (state: string) => `for vr in ${claims.join(' ')}; do kubectl patch "volumereplication.${CSI_ADDONS_GROUP}/$vr" --type merge -p '{"spec":{"replicationState":"${state}"}}'; done`;
    // One wait for all of them, within one bound.
    const wait = (state: string) => `kubectl wait ${claims.map((c) => `volumereplication.${CSI_ADDONS_GROUP}/${c}`).join(' ')} --for=jsonpath='{.status.state}'=${state} --timeout=${SWITCH_TIMEOUT_SECONDS}s`;
    return {
      switch: {
        promoteFirst: [mark('primary'), wait('Primary')].join('\n'),
        fenceAfter: [mark('secondary'), wait('Secondary')].join('\n'),
        rules: [{ apiGroups: [CSI_ADDONS_GROUP], resources: ['volumereplications'], resourceNames: claims, verbs: ['get', 'patch'] },
          { apiGroups: [CSI_ADDONS_GROUP], resources: ['volumereplications'], verbs: ['list', 'watch'] }],
      },
    };
  }
  // `storkctl activate migration` scales what carries this annotation: Stork's own way up works on the passive site too.
  if (!site.active) {
    for (const [sts, view] of assembly.statefulSets.map((s, i) => [s, assembly.statefulSetViews[i]] as const)) {
      for (const [key, value] of Object.entries(storkPassiveAnnotations(view.spec.replicas))) {
        sts.metadata.addAnnotation(key, value);
      }
    }
  }
  const schedule = `${assembly.name}-dr`;
  return {
    switch: {
      // The schedule exists only on the site that was active when the YAML was applied: absent is not an error, any other
      // failure (RBAC, no Stork) is.
      fenceAfter: [
        `if out=$(kubectl get "migrationschedule.${STORK_GROUP}/${schedule}" -o name 2>&1); then`,
        `  kubectl patch "migrationschedule.${STORK_GROUP}/${schedule}" --type merge -p '{"spec":{"suspend":true}}'`,
        'else',
        `  case "$out" in *NotFound*|*"not found"*) echo "no MigrationSchedule ${schedule} on this site" ;; *) echo "reading MigrationSchedule ${schedule}: $out"; exit 1 ;; esac`,
        'fi',
      ].join('\n'),
      rules: [{ apiGroups: [STORK_GROUP], resources: ['migrationschedules'], resourceNames: [schedule], verbs: ['get', 'patch'] }],
    },
  };
}

/**
 * The engine's own quiesce around each Stork copy, as its volume snapshots use it (src/backup/engine-backup.ts): one
 * command that makes the files complete (prepare), or a lock and an unlock. An engine whose quiesce needs a session
 * held open (MySQL's FLUSH TABLES WITH READ LOCK) gets none: its copy is crash-consistent, which InnoDB recovers.
 */
function storkConsistency(assembly: DatabaseAssembly): StorkConsistency {
  const quiesce = engineBackup(assembly).quiesce;
  const podSelector = assembly.labels.selector;
  const container = assembly.def.family;
  if (quiesce.mode === 'prepare') return { preExec: { podSelector, container, command: quiesce.prepare } };
  if (quiesce.mode === 'lock') {
    return { preExec: { podSelector, container, command: quiesce.lock }, postExec: { podSelector, container, command: quiesce.unlock } };
  }
  return {};
}
