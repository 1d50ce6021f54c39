import { App, Testing } from 'cdk8s';
import { assertValidManifests } from './validate';
import {
  ApplicationUser, BackupTarget, Credentials, DRPair, DRPairProps, DrSite, DrStrategy, Engine, PostgresVersion, ReplicatedDatabaseProps,
} from '../../src';

/** Two sites of three zones each; site-a's connections come from 10.1.0.0/16, site-b's from 10.2.0.0/16. */
export const SITE_A: DrSite = { name: 'site-a', zones: ['a1', 'a2', 'a3'], trafficSourceCidrs: ['10.1.0.0/16'] };
export const SITE_B: DrSite = { name: 'site-b', zones: ['b1', 'b2', 'b3'], trafficSourceCidrs: ['10.2.0.0/16'] };
export const SITES = [SITE_A.name, SITE_B.name];

export const S3 = BackupTarget.s3({ bucket: 'orders-dr', endpoint: 'https://s3.example.com', credentialsSecretName: 'orders-s3' });

/** What a pair's database needs on both sites: Secrets synchronized to both clusters, TLS from a shared CA. */
export function pairDatabase(over: Partial<ReplicatedDatabaseProps> = {}): ReplicatedDatabaseProps {
  return {
    name: 'orders',
    engine: Engine.postgres({ version: PostgresVersion.V16 }),
    credentials: Credentials.fromSecretName('orders-credentials'),
    applicationUser: ApplicationUser.fromSecretName('orders-app'),
    tls: { issuerName: 'shared-ca' },
    ...over,
  };
}

/** A DRPair `orders` in namespace `shop` at the root of `app`: a PostgreSQL warm standby with site-a active, unless told. */
export function newPair(over: Partial<DRPairProps> = {}, app: App = Testing.app()): DRPair {
  return new DRPair(app, 'orders', {
    namespaceName: 'shop',
    sites: [SITE_A, SITE_B],
    activeSite: 'site-a',
    database: pairDatabase(),
    strategy: DrStrategy.databaseReplication(),
    ...over,
  });
}

/** A site's objects as its chart synthesizes them, each validated. */
export function siteManifests(pair: DRPair, site: string): any[] {
  const manifests = pair.chart(site).toJson();
  assertValidManifests(manifests);
  return manifests;
}

/** `Kind/name` of an object: how two syntheses of one site are compared. */
export const keyOf = (m: any) => `${m.kind}/${m.metadata.name}`;

/** The objects that `after` adds, removes or changes against `before`, as sorted `+ Kind/name`, `- ...`, `~ ...`. */
export function objectDiff(before: any[], after: any[]): string[] {
  const a = new Map(before.map((m) => [keyOf(m), m]));
  const b = new Map(after.map((m) => [keyOf(m), m]));
  const out: string[] = [];
  for (const [key, m] of a) {
    if (!b.has(key)) out.push(`- ${key}`);
    else if (JSON.stringify(m) !== JSON.stringify(b.get(key))) out.push(`~ ${key}`);
  }
  for (const key of b.keys()) if (!a.has(key)) out.push(`+ ${key}`);
  return out.sort();
}

/** A container's env as name -> value (or `secret:<name>/<key>`, `configMap:<name>/<key>`). */
export function envOf(container: any): Record<string, string | undefined> {
  return Object.fromEntries((container.env ?? []).map((e: any) => {
    const s = e.valueFrom?.secretKeyRef;
    const c = e.valueFrom?.configMapKeyRef;
    return [e.name, s ? `secret:${s.name}/${s.key}` : c ? `configMap:${c.name}/${c.key}` : e.value];
  }));
}

/** The shell script a one-container Job runs (`sh -c <script>`). */
export const scriptOf = (job: any): string => job.spec.template.spec.containers[0].command[2];

/** Whether a label selector (matchLabels, matchExpressions) selects `labels`. */
export function selects(selector: any, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector?.matchExpressions ?? []).every((e: any) => {
    switch (e.operator) {
      case 'In': return e.values.includes(labels[e.key]);
      case 'NotIn': return !e.values.includes(labels[e.key]);
      case 'Exists': return e.key in labels;
      case 'DoesNotExist': return !(e.key in labels);
      default: throw new Error(`unknown operator ${e.operator}`);
    }
  });
  return byLabel && byExpression;
}

/** A peer of a NetworkPolicy rule: a pod of the policy's namespace with these labels, or an address. */
export type Source = { readonly podLabels: Record<string, string> } | { readonly ip: string };

/** IPv4 only: whether `ip` is in `cidr`. */
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
}

/**
 * Whether the NetworkPolicies let `source` reach a pod with `target` labels on TCP `port`, as the API defines it: a pod
 * no Ingress policy selects admits everything; otherwise some rule of a policy selecting it must admit the source and
 * the port. Namespace selectors never match a same-namespace pod here (the tests' sources are local pods or addresses).
 */
export function admits(manifests: any[], target: Record<string, string>, source: Source, port: number): boolean {
  const policies = manifests.filter((m) => m.kind === 'NetworkPolicy' && selects(m.spec.podSelector, target)
    && (m.spec.policyTypes ?? ['Ingress']).includes('Ingress'));
  if (policies.length === 0) return true;
  const peerMatches = (peer: any) => {
    if ('ip' in source) {
      return peer.ipBlock !== undefined && inCidr(source.ip, peer.ipBlock.cidr)
      && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(source.ip, c));
    }
    return peer.podSelector !== undefined && peer.namespaceSelector === undefined && selects(peer.podSelector, source.podLabels);
  };
  return policies.some((p) => (p.spec.ingress ?? []).some((rule: any) =>
    (rule.from === undefined || rule.from.some(peerMatches))
    && (rule.ports === undefined || rule.ports.some((q: any) => q.port === port && (q.protocol ?? 'TCP') === 'TCP'))));
}
