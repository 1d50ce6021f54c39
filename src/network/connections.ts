import * as kplus from 'cdk8s-plus-28';
import { PeerJson, peerToJson } from '../private/peers';

/**
 * Who may reach a database. The database's NetworkPolicy denies all ingress but what is allowed
 * here: the client port from `allowFrom` peers, the admin port from `allowAdminFrom` peers.
 */
export class DatabaseConnections {
  private readonly clientPeers: kplus.INetworkPolicyPeer[] = [];
  private readonly adminPeers: kplus.INetworkPolicyPeer[] = [];

  /**
   * Admits a peer to the client port: a cdk8s-plus workload or pod (`Deployment`, `Pods.select(...)`),
   * namespaces (`Namespaces.select(...)`) or an IP block (`NetworkPolicyIpBlock.ipv4(...)`).
   */
  public allowFrom(peer: kplus.INetworkPolicyPeer): void {
    this.clientPeers.push(peer);
  }

  /** Admits a peer to the admin port (control plane), where the engine has one. */
  public allowAdminFrom(peer: kplus.INetworkPolicyPeer): void {
    this.adminPeers.push(peer);
  }

  /** @internal */
  public _clientPeers(): PeerJson[] {
    return this.clientPeers.flatMap(peerToJson);
  }

  /** @internal */
  public _adminPeers(): PeerJson[] {
    return this.adminPeers.flatMap(peerToJson);
  }
}
