import { containersOf, objectNamespace, podSpecOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

interface Reference {
  readonly kind: 'Secret' | 'ConfigMap' | 'VolumeSnapshot';
  readonly name: string;
  readonly where: string;
}

/**
 * A pod reads Secrets and ConfigMaps of its own namespace only, and a claim restores VolumeSnapshots of its own
 * namespace only (core/v1 API reference: "the name of the secret in the pod's namespace"; the CSI external-provisioner
 * looks the dataSource up in the claim's namespace). A name that exists in the set only in another namespace is a
 * reference the kubelet or provisioner will never resolve: the pod stays in ContainerCreating, the claim Pending.
 * A `dataSourceRef.namespace` of another namespace needs a ReferenceGrant and the alpha CrossNamespaceVolumeDataSource
 * feature gate (KEP-3294), off on every managed cluster.
 */
export const crossNamespaceReference: IPolicyRule = {
  id: 'DOK-CROSS-NAMESPACE-REFERENCE',
  level: RuleLevel.ERROR,
  finding: 'A pod or a claim refers to a Secret, ConfigMap or VolumeSnapshot that exists only in another namespace.',
  explanation: 'Pods read Secrets and ConfigMaps, and claims restore VolumeSnapshots, of their own namespace only: the pod '
    + 'never starts, the claim never binds. Create the object (a copy of the Secret, a snapshot of the volume) in the '
    + 'namespace of the workload, or move the workload. A cross-namespace `dataSourceRef` needs a ReferenceGrant and '
    + 'the alpha CrossNamespaceVolumeDataSource feature gate. References marked `optional: true`, and Secrets an ExternalSecret, '
    + 'SealedSecret or cert-manager Certificate of the workload\'s namespace creates, are not held against it.',
  evaluate(o: any, context: PolicyContext): Verdict {
    const claims = claimSpecsOf(o);
    const spec = podSpecOf(o);
    if (!spec && claims.length === 0) return Verdict.notApplicable();
    const namespace = objectNamespace(o);
    const problems: string[] = [];
    for (const ref of [...podReferences(spec), ...claims.flatMap((c) => snapshotReferences(c.spec, c.where))]) {
      if (context.find(ref.kind, namespace, ref.name)) continue;
      if (ref.kind === 'Secret' && generatedSecrets(context).has(`${namespace}/${ref.name}`)) continue;
      const elsewhere = namespacesByName(context, ref.kind).get(ref.name) ?? [];
      if (elsewhere.length) {
        problems.push(`${ref.where} refers to ${ref.kind} \`${ref.name}\`, which the set holds only in namespace `
          + `${elsewhere.map((n) => `\`${n}\``).join(', ')}, not in \`${namespace}\``);
      }
    }
    for (const c of claims) {
      const refNamespace = c.spec?.dataSourceRef?.namespace;
      if (typeof refNamespace === 'string' && refNamespace && refNamespace !== namespace) {
        problems.push(`${c.where} dataSourceRef reads ${c.spec.dataSourceRef.kind} \`${c.spec.dataSourceRef.name}\` from namespace `
          + `\`${refNamespace}\`: needs a ReferenceGrant there and the CrossNamespaceVolumeDataSource feature gate`);
      }
    }
    return Verdict.fromProblems(problems);
  },
};

/** The namespaces holding an object of `kind` by each name, in the set's order, built once per check and kind. */
function namespacesByName(context: PolicyContext, kind: string): Map<unknown, string[]> {
  return context.memo(`DOK-CROSS-NAMESPACE-REFERENCE:namespaces-by-name:${kind}`, () => {
    const index = new Map<unknown, Set<string>>();
    for (const x of context.ofKind(kind)) {
      const namespaces = index.get(x.metadata?.name) ?? new Set<string>();
      namespaces.add(objectNamespace(x));
      index.set(x.metadata?.name, namespaces);
    }
    return new Map([...index].map(([name, namespaces]) => [name, [...namespaces]]));
  });
}

/**
 * Secrets that objects of the set will create, as `namespace/name`: an ExternalSecret's target (external-secrets.io,
 * `spec.target.name`, by default its own name), a SealedSecret's (bitnami.com, its own name), a cert-manager Certificate's
 * `spec.secretName`. A pod waits for them to appear in its namespace, so a reference to one is resolved.
 */
function generatedSecrets(context: PolicyContext): Set<string> {
  return context.memo('DOK-CROSS-NAMESPACE-REFERENCE:generated-secrets', () => {
    const names = new Set<string>();
    const add = (o: any, name: unknown) => {
      if (typeof name === 'string' && name) names.add(`${objectNamespace(o)}/${name}`);
    };
    const group = (o: any) => (typeof o?.apiVersion === 'string' ? o.apiVersion.split('/')[0] : '');
    for (const o of context.ofKind('ExternalSecret')) if (group(o) === 'external-secrets.io') add(o, o.spec?.target?.name || o.metadata?.name);
    for (const o of context.ofKind('SealedSecret')) if (group(o) === 'bitnami.com') add(o, o.metadata?.name);
    for (const o of context.ofKind('Certificate')) if (group(o) === 'cert-manager.io') add(o, o.spec?.secretName);
    return names;
  });
}

/**
 * Secrets and ConfigMaps a pod spec names: volumes (projected included), env, envFrom, imagePullSecrets. A reference
 * marked `optional: true` is left out: the kubelet starts the pod without it (core/v1 SecretVolumeSource.optional).
 */
function podReferences(spec: any): Reference[] {
  if (!spec) return [];
  const refs: Reference[] = [];
  const add = (kind: Reference['kind'], ref: any, nameField: string, where: string) => {
    const name = ref?.[nameField];
    if (typeof name === 'string' && name && ref?.optional !== true) refs.push({ kind, name, where });
  };
  for (const v of asArray(spec.volumes)) {
    add('Secret', v?.secret, 'secretName', `volume \`${v?.name}\``);
    add('ConfigMap', v?.configMap, 'name', `volume \`${v?.name}\``);
    add('Secret', v?.csi?.nodePublishSecretRef, 'name', `CSI volume \`${v?.name}\``);
    for (const s of asArray(v?.projected?.sources)) {
      add('Secret', s?.secret, 'name', `projected volume \`${v?.name}\``);
      add('ConfigMap', s?.configMap, 'name', `projected volume \`${v?.name}\``);
    }
  }
  for (const { role, container } of containersOf(spec)) {
    const where = `${role} \`${container?.name}\``;
    for (const e of asArray(container?.env)) {
      add('Secret', e?.valueFrom?.secretKeyRef, 'name', `${where} env ${e?.name}`);
      add('ConfigMap', e?.valueFrom?.configMapKeyRef, 'name', `${where} env ${e?.name}`);
    }
    for (const e of asArray(container?.envFrom)) {
      add('Secret', e?.secretRef, 'name', `${where} envFrom`);
      add('ConfigMap', e?.configMapRef, 'name', `${where} envFrom`);
    }
  }
  for (const s of asArray(spec.imagePullSecrets)) add('Secret', s, 'name', 'imagePullSecrets');
  return refs;
}

/** Claim specs: a PersistentVolumeClaim's own, a StatefulSet's claim templates, a pod's generic ephemeral volumes. */
function claimSpecsOf(o: any): { spec: any; where: string }[] {
  if (o?.kind === 'PersistentVolumeClaim') return [{ spec: o.spec, where: 'the claim' }];
  const templates = o?.kind === 'StatefulSet'
    ? asArray(o.spec?.volumeClaimTemplates).map((t: any) => ({ spec: t?.spec, where: `claim template \`${t?.metadata?.name}\`` }))
    : [];
  const ephemeral = asArray(podSpecOf(o)?.volumes).filter((v: any) => v?.ephemeral?.volumeClaimTemplate)
    .map((v: any) => ({ spec: v.ephemeral.volumeClaimTemplate.spec, where: `ephemeral volume \`${v.name}\`` }));
  return [...templates, ...ephemeral];
}

/** VolumeSnapshots a claim restores, from `dataSource` or a same-namespace `dataSourceRef`. */
function snapshotReferences(spec: any, where: string): Reference[] {
  const refs: Reference[] = [];
  for (const [field, ref] of [['dataSource', spec?.dataSource], ['dataSourceRef', spec?.dataSourceRef]] as const) {
    if (ref?.kind !== 'VolumeSnapshot' || typeof ref?.name !== 'string') continue;
    if (field === 'dataSourceRef' && ref.namespace) continue; // judged as a cross-namespace dataSourceRef
    refs.push({ kind: 'VolumeSnapshot', name: ref.name, where: `${where} ${field}` });
  }
  // The API server copies dataSourceRef into dataSource (and back) when only one is set: report one of them.
  return refs.filter((r, i) => refs.findIndex((x) => x.name === r.name) === i);
}

function asArray(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}
