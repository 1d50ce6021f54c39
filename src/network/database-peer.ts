import { PeerSpec } from '../private/peers';

/** Pods admitted by their labels. */
export interface DatabasePeerPodsOptions {
  /** Labels the pods carry. A pod must carry all of them. */
  readonly labels: { [key: string]: string };
  /**
   * Namespace of the pods. Another namespace than the database's is matched by its `kubernetes.io/metadata.name`
   * label, which Kubernetes sets on every namespace.
   * @default - the database's namespace
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-namespace-by-its-name
   */
  readonly namespaceName?: string;
}

/**
 * A client of a database described as plain data, for `connections.allowFrom(...)` and
 * `connections.allowAdminFrom(...)`: pods by labels, every pod of a namespace, or an IP block. Use it where no
 * cdk8s-plus workload stands for the client (an application deployed by Helm or another repository); a cdk8s-plus
 * workload (any cdk8s-plus version) is accepted as it is.
 *
 * Each becomes one `from` entry of the database's NetworkPolicy.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
 */
export class DatabasePeer {
  /**
   * Pods carrying every one of `labels`, in the database's namespace or in `namespaceName`.
   *
   * Example: `DatabasePeer.pods({ labels: { app: 'billing' }, namespaceName: 'billing' })`.
   */
  public static pods(options: DatabasePeerPodsOptions): DatabasePeer {
    return new DatabasePeer('DatabasePeer.pods', {
      podSelector: { matchLabels: { ...options?.labels } },
      namespaceNames: options?.namespaceName !== undefined ? [options.namespaceName] : undefined,
    }, { labels: options?.labels, namespace: options?.namespaceName });
  }

  /** Every pod of the namespace `name` (e.g. a CI namespace running migrations). */
  public static wholeNamespace(name: string): DatabasePeer {
    return new DatabasePeer('DatabasePeer.wholeNamespace', { podSelector: {}, namespaceNames: [name] }, { namespace: name });
  }

  /**
   * Addresses in a CIDR block (IPv4 `10.8.0.0/16` or IPv6 `fd00::/64`), less the `exceptBlocks` inside it: clients
   * outside the cluster (a VPN, a peered network). Pod IPs change; select pods with `pods(...)` instead.
   * @param cidr the block, with its mask
   * @param exceptBlocks blocks inside `cidr` that stay denied (the NetworkPolicy's `except`)
   */
  public static ipBlock(cidr: string, exceptBlocks?: string[]): DatabasePeer {
    return new DatabasePeer('DatabasePeer.ipBlock', { ipBlock: { cidr, except: exceptBlocks } }, { cidr, except: exceptBlocks });
  }

  /** @internal the factory that made the peer, for error messages */
  public readonly _factory: string;
  /** @internal what the peer admits */
  public readonly _spec: PeerSpec;
  /** @internal what the user gave, checked against the database that admits the peer */
  public readonly _given: PeerInput;

  private constructor(factory: string, spec: PeerSpec, given: PeerInput) {
    this._factory = factory;
    this._spec = spec;
    this._given = given;
  }
}

/** The raw inputs of a factory, checked when a database admits the peer (where errors can name the database). */
interface PeerInput {
  readonly labels?: unknown;
  readonly namespace?: unknown;
  readonly cidr?: unknown;
  readonly except?: unknown;
}
