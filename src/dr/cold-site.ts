import { k8s } from 'cdk8s-plus-28';
import { DatabaseAssembly } from '../assembly/database-assembly';
import { patroniObjectNames } from '../engines/postgres-patroni';
import { dataClaims } from '../private/claim-names';

/** The claims of a database's members, in the StatefulSets' order. */
export function memberClaims(assembly: DatabaseAssembly): string[] {
  return dataClaims(assembly.statefulSetViews);
}

/**
 * Before a cold site starts as a restore of the other's archive:
 * - its members' claims must not exist: a site that ran before (the old active site, on failback) would start on the
 *   data it had when it was left, silently behind the other site, and Spilo clones only into an empty data directory.
 *   Deleting them is a person's decision (the runbook says when), never the Job's.
 * - Patroni's objects of the scope go (`<scope>-config`, `-leader`, `-failover`, `-sync`): with the `initialize` key of
 *   its earlier life, Patroni skips the bootstrap (the clone) and creates the members as replicas from the site's OWN
 *   archive (patroni/ha.py `bootstrap`: the method runs only while `cluster.initialize` is None; Spilo's
 *   `create_replica_methods` has WAL-G with `no_master`), which ends at the first failover.
 */
export function coldPromotion(assembly: DatabaseAssembly): { promoteFirst: string; rules: k8s.PolicyRule[] } {
  const claims = memberClaims(assembly);
  const patroniObjects = patroniObjectNames(assembly.name);
  return {
    promoteFirst: [
      `for pvc in ${claims.join(' ')}; do`,
      '  if out=$(kubectl get "persistentvolumeclaim/$pvc" -o name 2>&1); then',
      '    echo "claim $pvc exists: this site ran before and holds the data it had then, behind the other site. Delete its claims once nothing on them is needed'
        + ` (kubectl delete pvc ${claims.join(' ')}), then run this Job again: the members then start as a restore of the archive of the other site."; exit 1`,
      '  fi',
      '  case "$out" in *NotFound*|*"not found"*) ;; *) echo "reading claim $pvc: $out"; exit 1 ;; esac',
      'done',
      `kubectl delete configmap ${patroniObjects.join(' ')} --ignore-not-found --wait=false`,
    ].join('\n'),
    rules: [
      { apiGroups: [''], resources: ['persistentvolumeclaims'], resourceNames: claims, verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: patroniObjects, verbs: ['delete'] },
    ],
  };
}
