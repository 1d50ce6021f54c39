import { ApiObject, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { DrConnectivity } from './dr-connectivity';
import { DatabaseAssembly } from '../assembly/database-assembly';
import type { DrSite } from '../constructs/dr-pair-props';
import type { ReplicatedDatabase } from '../constructs/replicated-database';
import { DatabasePeer } from '../network/database-peer';

/** What one site offers the other: the address its database is reached at across clusters. */
export interface SiteEndpoint {
  readonly host: string;
  readonly port: number;
}

/** The host the other site reaches this site's read-write endpoint at. */
export function siteEndpoint(connectivity: DrConnectivity, site: DrSite, databaseName: string, namespace: string, port: number): SiteEndpoint {
  // MCS: a ServiceExport of the Service named <service> makes <service>.<namespace>.svc.clusterset.local
  // (KEP-1645 "DNS": the clusterset.local zone).
  return { host: connectivity._kind === 'mcs' ? `${databaseName}.${namespace}.svc.clusterset.local` : site.address!, port };
}

/**
 * The objects that let the other site in, and only it: the export (or LoadBalancer) of the read-write endpoint, the
 * NetworkPolicy admission of the other site's ranges, and this site's cross-cluster name in its certificate.
 */
export function linkSite(options: {
  readonly database: ReplicatedDatabase;
  readonly assembly: DatabaseAssembly;
  readonly connectivity: DrConnectivity;
  readonly endpoint: SiteEndpoint;
  readonly peer: DrSite;
  readonly leaderSelector: Record<string, string>;
}): void {
  const { database, assembly, connectivity, endpoint, peer } = options;
  if (connectivity._kind === 'mcs') {
    new ApiObject(database, 'ServiceExport', {
      apiVersion: 'multicluster.x-k8s.io/v1alpha1',
      kind: 'ServiceExport',
      metadata: { name: database.name, labels: assembly.labels.forComponent('dr') },
    });
  } else {
    new k8s.KubeService(database, 'PeerService', {
      metadata: { name: `${database.name}-peer`, labels: assembly.labels.forComponent('dr') },
      spec: {
        type: 'LoadBalancer',
        // Keeps the client's source address (no SNAT to a node): the NetworkPolicy's ipBlock admits the peer by it.
        externalTrafficPolicy: 'Local',
        selector: options.leaderSelector,
        ports: [{ name: 'peer-client', port: endpoint.port, targetPort: k8s.IntOrString.fromNumber(endpoint.port) }],
        // The cloud's firewall keeps every other source out before the NetworkPolicy does.
        loadBalancerSourceRanges: peer.trafficSourceCidrs!,
      },
    });
  }
  for (const cidr of peer.trafficSourceCidrs!) database.connections.allowFrom(DatabasePeer.ipBlock(cidr));
  // The peer connects with verification against the shared CA: the name it uses must be in the certificate.
  const certificate = database.node.tryFindChild('Certificate') as ApiObject | undefined;
  if (certificate) certificate.addJsonPatch(JsonPatch.add('/spec/dnsNames/-', endpoint.host));
}
