import { IConstruct } from 'constructs';
import { DatabasePeer } from './database-peer';
import { isCidr } from '../private/cidr';
import { DatabaseConfigError, check } from '../private/errors';
import { isDnsLabel, isLabelValue, isQualifiedKey } from '../private/names';
import { ConnectionsContext, PeerJson, PeerSpec, cdk8sPlusPeerSpec, peerJson } from '../private/peers';
import { describeValue } from '../private/value-types';

const ACCEPTED = 'give a cdk8s-plus workload or selector of any cdk8s-plus version (`Deployment`, `Pods.select(...)`, '
  + '`Namespaces.select(...)`, `NetworkPolicyIpBlock.ipv4(...)`) or a `DatabasePeer` (`DatabasePeer.pods({ labels })`, '
  + '`DatabasePeer.wholeNamespace(name)`, `DatabasePeer.ipBlock(cidr)`)';

/**
 * Who may reach a database. The database's NetworkPolicy denies all ingress but what is allowed
 * here: the client port from `allowFrom` peers, the admin port from `allowAdminFrom` peers.
 *
 * A peer in another namespace than the database's is admitted with a namespaceSelector on that namespace's
 * `kubernetes.io/metadata.name` label plus its podSelector; one in the database's namespace with its podSelector.
 */
export class DatabaseConnections {
  /** @internal */
  public static _forDatabase(database: IConstruct, context: ConnectionsContext): DatabaseConnections {
    return new DatabaseConnections(database, context);
  }

  private readonly clientPeers: PeerJson[] = [];
  private readonly adminPeers: PeerJson[] = [];

  private constructor(private readonly database: IConstruct, private readonly context: ConnectionsContext) {}

  /**
   * Admits a peer to the client port: a workload or selector of cdk8s-plus (28, 33 or another version:
   * `Deployment`, `StatefulSet`, `Pods.select(...)`, `Namespaces.select(...)`, `NetworkPolicyIpBlock.ipv4(...)`),
   * or a `DatabasePeer` (pods by labels, a namespace, an IP block).
   * @param peer the client. A cdk8s-plus workload in another namespace is admitted in that namespace only.
   */
  public allowFrom(peer: IConstruct | DatabasePeer): void {
    this.clientPeers.push(...this.render('allowFrom', peer));
  }

  /**
   * Admits a peer to the admin port (control plane). Only an engine that declares a port of role
   * `PortRole.ADMIN` has one (a custom engine); on any other the call throws rather than admit nothing.
   * @param peer the client, as for `allowFrom`
   */
  public allowAdminFrom(peer: IConstruct | DatabasePeer): void {
    const rendered = this.render('allowAdminFrom', peer);
    check(this.context.adminPorts.length > 0, this.database,
      `\`connections.allowAdminFrom\`: ${this.context.engine} has no admin port (its ports: ${this.context.ports}), so the peer would be admitted nowhere. `
      + 'Use `connections.allowFrom(...)` for clients of the database; an admin port exists only on a custom engine that declares one with `PortRole.ADMIN` '
      + '(`Engine.custom({ ports: [..., { name, port, role: PortRole.ADMIN }] })`).');
    this.adminPeers.push(...rendered);
  }

  /**
   * Copies the Secrets `connectionEnv()` reads into `targetNamespace`, so applications there can use `connectionEnv()`
   * (Kubernetes resolves a pod's Secret references in the pod's namespace only): the client credentials and, where
   * clients verify the server (replicated PostgreSQL with `tls`), the CA certificate (`ca.crt` only, never the
   * private key). A CronJob `<name>-share` in the database's namespace refreshes the copies every ten minutes, so
   * rotated credentials follow; a Role in `targetNamespace` lets it create Secrets there and update only the copies.
   * Admitting the application on the network is still `allowFrom(...)`.
   * @param targetNamespace the application's namespace
   */
  public shareSecretsWith(targetNamespace: string): void {
    this.context.shareSecrets(targetNamespace);
  }

  /** @internal */
  public _clientPeers(): PeerJson[] {
    return [...this.clientPeers];
  }

  /** @internal */
  public _adminPeers(): PeerJson[] {
    return [...this.adminPeers];
  }

  private render(method: string, peer: unknown): PeerJson[] {
    const spec = peer instanceof DatabasePeer ? this.checkDatabasePeer(method, peer) : cdk8sPlusPeerSpec(peer);
    if (typeof spec === 'string') {
      throw new DatabaseConfigError(this.database, `\`connections.${method}\` got ${describeValue(peer)}, but ${spec}: ${ACCEPTED}.`);
    }
    if (spec === undefined) {
      throw new DatabaseConfigError(this.database, `\`connections.${method}\` got ${describeValue(peer)}, which is not a network peer: ${ACCEPTED}.`);
    }
    return peerJson(spec, this.context.namespace);
  }

  /** The inputs of a `DatabasePeer`, checked here where the error can name the database. */
  private checkDatabasePeer(method: string, peer: DatabasePeer): PeerSpec {
    const given = peer._given;
    const at = `\`connections.${method}(${peer._factory}(...))\``;
    if (peer._factory === 'DatabasePeer.pods') {
      const labels = given.labels;
      check(typeof labels === 'object' && labels !== null && Object.keys(labels).length > 0, this.database,
        `${at}: \`labels\` is empty or missing, which would admit every pod of the namespace. Give the labels of the client's pods, or use \`DatabasePeer.wholeNamespace(name)\` to admit a whole namespace.`);
      for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
        check(isQualifiedKey(key) && typeof value === 'string' && isLabelValue(value), this.database,
          `${at}: label ${key}=${String(value)} is not a valid label: keys are an optional DNS prefix and '/' then at most 63 letters, digits, '-', '_' or '.'; values at most 63 of them.`);
      }
    }
    if (peer._factory !== 'DatabasePeer.ipBlock' && (peer._factory === 'DatabasePeer.wholeNamespace' || given.namespace !== undefined)) {
      check(typeof given.namespace === 'string' && isDnsLabel(given.namespace), this.database,
        `${at}: namespace "${String(given.namespace)}" is not a valid namespace name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit.`);
    }
    if (peer._factory === 'DatabasePeer.ipBlock') {
      const blocks = [given.cidr, ...(Array.isArray(given.except) ? given.except : given.except === undefined ? [] : [given.except])];
      for (const block of blocks) {
        check(isCidr(block), this.database,
          `${at}: "${String(block)}" is not a CIDR block: give an address and its mask, such as "10.8.0.0/16" or "fd00::/64".`);
      }
      check(given.except === undefined || Array.isArray(given.except), this.database, `${at}: \`exceptBlocks\` must be a list of CIDR blocks.`);
    }
    return peer._spec;
  }
}
