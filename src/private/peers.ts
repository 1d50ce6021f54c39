const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** A NetworkPolicy peer as Kubernetes JSON. */
export type PeerJson = Record<string, unknown>;

/** A label selector as Kubernetes JSON (`matchLabels`, `matchExpressions`). */
export type SelectorJson = Record<string, unknown>;

/**
 * What a peer admits, as plain data: pods (by labels, in named namespaces, namespaces selected by labels, or the
 * policy's own namespace when neither is given), or an IP block.
 */
export interface PeerSpec {
  readonly podSelector?: SelectorJson;
  readonly namespaceNames?: string[];
  readonly namespaceSelector?: SelectorJson;
  readonly ipBlock?: { readonly cidr: string; readonly except?: string[] };
}

/**
 * Renders a peer for a NetworkPolicy in `policyNamespace`: one entry per named namespace, qualified by the
 * namespace's name label unless it is the policy's own (where a podSelector alone already means "this namespace").
 */
export function peerJson(spec: PeerSpec, policyNamespace: string | undefined): PeerJson[] {
  if (spec.ipBlock) return [{ ipBlock: { cidr: spec.ipBlock.cidr, ...(spec.ipBlock.except?.length ? { except: spec.ipBlock.except } : {}) } }];
  const podSelector = spec.podSelector ?? {};
  if (!spec.namespaceNames) {
    return [{ podSelector, ...(spec.namespaceSelector ? { namespaceSelector: spec.namespaceSelector } : {}) }];
  }
  const base = spec.namespaceSelector ?? {};
  return spec.namespaceNames.map((name) => (name === policyNamespace && Object.keys(base).length === 0 ? { podSelector } : {
    podSelector,
    namespaceSelector: { ...base, matchLabels: { ...(base.matchLabels as object | undefined), [NAMESPACE_NAME_LABEL]: name } },
  }));
}

/**
 * Reads a cdk8s-plus peer (`toNetworkPolicyPeerConfig()`) as plain data, whichever copy of cdk8s-plus made it
 * (28, 33, ...): their classes differ in type but carry the same fields. Undefined when `peer` is no such peer.
 * @returns the spec, or a string saying why the peer cannot be read
 */
export function cdk8sPlusPeerSpec(peer: unknown): PeerSpec | string | undefined {
  if (typeof peer !== 'object' || peer === null || typeof (peer as any).toNetworkPolicyPeerConfig !== 'function') return undefined;
  const config = (peer as any).toNetworkPolicyPeerConfig();
  const ipBlock = config?.ipBlock;
  if (ipBlock) {
    if (typeof ipBlock.cidr !== 'string') return 'its IP block has no CIDR';
    return { ipBlock: { cidr: ipBlock.cidr, except: Array.isArray(ipBlock.except) ? ipBlock.except : undefined } };
  }
  const pods = config?.podSelector;
  if (!pods) return 'it selects neither pods nor an IP block';
  const podSelector = selectorJson(pods.labelSelector);
  if (podSelector === undefined) return 'its pod selector cannot be read';
  const namespaces = pods.namespaces;
  const namespaceSelector = namespaces?.labelSelector ? selectorJson(namespaces.labelSelector) : undefined;
  return {
    podSelector,
    namespaceNames: Array.isArray(namespaces?.names) ? namespaces.names : undefined,
    namespaceSelector: namespaceSelector && Object.keys(namespaceSelector).length > 0 ? namespaceSelector : undefined,
  };
}

/** A cdk8s-plus `LabelSelector` as JSON, from its fields (`labels`, `expressions`), else from its own renderer. */
function selectorJson(selector: any): SelectorJson | undefined {
  if (selector === undefined || selector === null) return {};
  const labels = selector.labels;
  const expressions = selector.expressions;
  if (typeof labels === 'object' && labels !== null && Array.isArray(expressions)) {
    const matchExpressions = expressions.map((e: any) => ({ key: e.key, operator: e.operator, ...(e.values ? { values: e.values } : {}) }));
    return {
      ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
      ...(Object.keys(labels).length > 0 ? { matchLabels: { ...labels } } : {}),
    };
  }
  if (typeof selector._toKube === 'function') return stripUndefined(selector._toKube());
  return undefined;
}

function stripUndefined(json: Record<string, unknown>): SelectorJson {
  return Object.fromEntries(Object.entries(json ?? {}).filter(([, v]) => v !== undefined));
}

/** A peer selecting every pod in the named namespace (e.g. the monitoring namespace). */
export function namespacePeer(namespace: string): PeerJson {
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } } };
}

/** What a database's `connections` needs to know about it. */
export interface ConnectionsContext {
  /** The database's namespace: peers there need no namespaceSelector. */
  readonly namespace?: string;
  /** "Engine 'postgresql 16.6'", for messages. */
  readonly engine: string;
  /** The engine's ports with their roles, for messages ("postgresql 5432 client, ..."). */
  readonly ports: string;
  /** Ports of role ADMIN; `allowAdminFrom` is refused without one. */
  readonly adminPorts: number[];
  /** Copies the Secrets `connectionEnv()` reads into a namespace (`shareSecretsWith`). */
  readonly shareSecrets: (namespace: string) => void;
}
