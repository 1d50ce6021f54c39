import { isDatabaseWorkload, objectRef, replicasOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * The StorageClass parameters that set how many copies a replicating storage layer keeps of each volume, by
 * provisioner (each vendor's documented parameter; a class that leaves it unset gets the storage system's default,
 * which this rule does not guess):
 * - Longhorn `driver.longhorn.io`: `numberOfReplicas` (longhorn.io/docs/latest/references/storage-class-parameters)
 * - Portworx `pxd.portworx.com` and the in-tree `kubernetes.io/portworx-volume`: `repl`
 *   (docs.portworx.com/portworx-enterprise/reference/storageclass)
 * - OpenEBS Replicated PV Mayastor `io.openebs.csi-mayastor`: `repl`
 *   (openebs.io/docs/user-guides/replicated-storage-user-guide/replicated-pv-mayastor/configuration/rs-storage-class-parameters)
 * - OpenEBS cStor `cstor.csi.openebs.io`: `replicaCount` (github.com/openebs/cstor-csi, docs/setup-cstor.md)
 * - LINSTOR / Piraeus `linstor.csi.linbit.com`: `linstor.csi.linbit.com/placementCount`, formerly `autoPlace`
 *   (github.com/piraeusdatastore/linstor-csi, docs/storage-class-parameters)
 * Ceph RBD replicates by pool (`size` of the pool), which the StorageClass does not carry: not read here.
 */
const REPLICA_PARAMETERS: Record<string, string[]> = {
  'driver.longhorn.io': ['numberOfReplicas'],
  'pxd.portworx.com': ['repl'],
  'kubernetes.io/portworx-volume': ['repl'],
  'io.openebs.csi-mayastor': ['repl'],
  'cstor.csi.openebs.io': ['replicaCount'],
  'linstor.csi.linbit.com': ['linstor.csi.linbit.com/placementCount', 'placementCount', 'autoPlace'],
};

/**
 * A replicated database on replicated volumes stores every row replicas × storage-replicas times: 3 engine replicas
 * on 3-way replicated volumes are 9 copies ("Managing Cloud Native Data on Kubernetes", O'Reilly, on running databases
 * that replicate over storage that replicates), paid in disk, network and write latency for no extra availability the
 * engine does not already give.
 */
export const nineCopies: IPolicyRule = {
  id: 'DOK-NINE-COPIES',
  level: RuleLevel.WARNING,
  finding: 'A replicated database stores its volumes on a StorageClass that replicates them again.',
  explanation: 'The engine already keeps a copy per replica; a storage layer that also replicates each volume multiplies '
    + 'the copies (3 × 3 = 9), the disk bill and the write latency. Use a StorageClass with one storage replica (e.g. '
    + 'Longhorn numberOfReplicas "1" with data locality, Portworx/Mayastor repl "1") for engines that replicate, or run '
    + 'one engine replica on the replicated storage.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isDatabaseWorkload(o)) return Verdict.notApplicable();
    const replicas = replicasOf(o);
    const problems: string[] = [];
    for (const template of Array.isArray(o.spec?.volumeClaimTemplates) ? o.spec.volumeClaimTemplates : []) {
      const storageClass = storageClassOf(template?.spec, context);
      const storageReplicas = storageReplicasOf(storageClass);
      if (!storageReplicas || storageReplicas.count <= 1 || replicas <= 1) continue;
      problems.push(`claim template \`${template.metadata?.name}\` uses ${objectRef(storageClass)}, whose ${storageReplicas.parameter} `
        + `keeps ${storageReplicas.count} copies of each volume: ${replicas} replicas × ${storageReplicas.count} = `
        + `${replicas * storageReplicas.count} copies of the data`);
    }
    return Verdict.fromProblems(problems);
  },
};

/**
 * The class a claim gets: the one it names, or with none named the set's default class (annotation
 * `storageclass.kubernetes.io/is-default-class: "true"`); `""` asks for no class (a pre-provisioned volume).
 */
function storageClassOf(claimSpec: any, context: PolicyContext): any | undefined {
  const name = claimSpec?.storageClassName;
  const classes = context.ofKind('StorageClass');
  if (typeof name === 'string') return classes.find((s) => s.metadata?.name === name);
  if (name !== undefined && name !== null) return undefined;
  return classes.find((s) => s.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
}

/** The copies a StorageClass keeps of each volume, when one of the known parameters says so. */
function storageReplicasOf(storageClass: any): { parameter: string; count: number } | undefined {
  const names = REPLICA_PARAMETERS[storageClass?.provisioner] ?? [];
  for (const parameter of names) {
    const value = storageClass?.parameters?.[parameter];
    if (value !== undefined && /^\d+$/.test(String(value).trim())) {
      return { parameter: `${parameter}: "${value}"`, count: Number(String(value).trim()) };
    }
  }
  return undefined;
}
