import * as kplus from 'cdk8s-plus-28';

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** A NetworkPolicy peer as Kubernetes JSON. */
export type PeerJson = Record<string, unknown>;

/** Converts a cdk8s-plus peer the way cdk8s-plus's own NetworkPolicy does: one entry per named namespace. */
export function peerToJson(peer: kplus.INetworkPolicyPeer): PeerJson[] {
  const config = peer.toNetworkPolicyPeerConfig();
  if (config.ipBlock) return [{ ipBlock: config.ipBlock._toKube() }];
  if (!config.podSelector) return [];
  const podSelector = config.podSelector.labelSelector._toKube();
  const namespaces = config.podSelector.namespaces;
  if (!namespaces?.names) {
    const namespaceSelector = namespaces?.labelSelector?._toKube();
    return [{ podSelector, ...(namespaceSelector ? { namespaceSelector } : {}) }];
  }
  const base = namespaces.labelSelector?._toKube() ?? {};
  return namespaces.names.map((name) => ({
    podSelector,
    namespaceSelector: {
      ...(base.matchExpressions ? { matchExpressions: base.matchExpressions } : {}),
      matchLabels: { ...base.matchLabels, [NAMESPACE_NAME_LABEL]: name },
    },
  }));
}

/** A peer selecting every pod in the named namespace (e.g. the monitoring namespace). */
export function namespacePeer(namespace: string): PeerJson {
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } } };
}
