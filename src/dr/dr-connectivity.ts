/** How the two sites of a DRPair reach each other's database. */
export class DrConnectivity {
  /**
   * Kubernetes Multi-Cluster Services (KEP-1645): each site exports its read-write Service with a `ServiceExport`;
   * the other site reaches it as `<service>.<namespace>.svc.clusterset.local`. The Service names differ per site
   * (`<name>-<site>`), so the two exports never merge into one ServiceImport. Needs an MCS implementation (GKE MCS,
   * Submariner Lighthouse) and the namespace on both clusters. The peer is admitted by address (`ipBlock`): with a CNI
   * that applies CIDR rules only to sources outside its own endpoints (Cilium ClusterMesh), admit the peer with a
   * policy of that CNI instead.
   * @see https://github.com/kubernetes/enhancements/tree/master/keps/sig-multicluster/1645-multi-cluster-services-api
   */
  public static multiClusterServices(): DrConnectivity {
    return new DrConnectivity('mcs');
  }

  /**
   * A LoadBalancer Service per site that only the other site's ranges may reach (`loadBalancerSourceRanges` from the
   * peer's `trafficSourceCidrs`), at the host name each site declares as its `address`.
   */
  public static loadBalancer(): DrConnectivity {
    return new DrConnectivity('lb');
  }

  private constructor(/** @internal */ public readonly _kind: 'mcs' | 'lb') {}
}
