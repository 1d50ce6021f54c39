import { instanceMembersIn } from './instance-index';
import { ipBlockAdmitsAll, isolatesDirection } from './network-peers';
import { runtimeKeysOf, selects, templateLabelsOf } from './runtime-labels';
import { SelectorIndex } from './selector-index';
import { containersOf, isDatabaseWorkload, labelsOf, objectNamespace, objectRef, replicasOf } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/** A port a member listens on. */
interface MemberPort {
  readonly number: number;
  readonly name?: string;
  readonly protocol: string;
}

/** Ports scraped by monitoring, not used between members: peers need not reach them. */
const METRICS_PORT = /metrics|prometheus|exporter/i;

/** A selector term list without the runtime label keys: a term on a role label may or may not match, so it is not held against peers. */
function lenient(selector: any, keys: string[]): any {
  if (!selector || typeof selector !== 'object' || keys.length === 0) return selector;
  return {
    matchLabels: Object.fromEntries(Object.entries(selector.matchLabels ?? {}).filter(([k]) => !keys.includes(k))),
    matchExpressions: (Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []).filter((e: any) => !keys.includes(e?.key)),
  };
}

/**
 * The matchLabels every pod a policy selects must have (`lenient` drops the runtime keys, which the index looks up by
 * key); undefined for a selector of another shape, which the index then tries on every pod.
 */
function matchLabelsOf(selector: any): Record<string, unknown> | undefined {
  const matchLabels = selector && typeof selector === 'object' ? selector.matchLabels : undefined;
  return matchLabels && typeof matchLabels === 'object' && !Array.isArray(matchLabels) ? matchLabels : undefined;
}

/** The ports the members serve each other on: every declared container port but the metrics ones. */
function peerPorts(sts: any): MemberPort[] {
  return containersOf(sts.spec?.template?.spec).filter((c) => c.role !== 'init container').flatMap(({ container }) =>
    (Array.isArray(container?.ports) ? container.ports : [])
      .filter((p: any) => typeof p?.containerPort === 'number' && !METRICS_PORT.test(p.name ?? ''))
      .map((p: any): MemberPort => ({ number: p.containerPort, name: p.name, protocol: p.protocol ?? 'TCP' })));
}

/** Labels of a namespace as NetworkPolicy namespaceSelectors see them: its object's labels and the automatic name label. */
function namespaceLabels(namespace: string, context: PolicyContext): Record<string, string> {
  const object = context.ofKind('Namespace').find((n) => n.metadata?.name === namespace);
  return { ...labelsOf(object), 'kubernetes.io/metadata.name': namespace };
}

/** Whether a from/to peer of a rule in `policy` admits the database's own pods. */
function peerAdmits(peer: any, policy: any, sts: any, context: PolicyContext): boolean {
  const keys = runtimeKeysOf(sts);
  const labels = templateLabelsOf(sts, sts.spec?.template);
  if (peer?.ipBlock) return ipBlockAdmitsAll(peer.ipBlock);
  const namespaceOk = peer?.namespaceSelector
    ? selects(peer.namespaceSelector, namespaceLabels(objectNamespace(sts), context))
    : objectNamespace(policy) === objectNamespace(sts);
  const podOk = peer?.podSelector ? selects(lenient(peer.podSelector, keys), labels) : true;
  return namespaceOk && podOk && (peer?.namespaceSelector !== undefined || peer?.podSelector !== undefined);
}

/** Whether a rule's ports admit `port` (no ports: all of them; named ports resolve on the destination pod). */
function portAdmits(rulePorts: any, port: MemberPort): boolean {
  if (!Array.isArray(rulePorts) || rulePorts.length === 0) return true;
  return rulePorts.some((p: any) => {
    if ((p?.protocol ?? 'TCP') !== port.protocol) return false;
    if (p?.port === undefined) return true;
    if (typeof p.port === 'string') return p.port === port.name;
    return typeof p.endPort === 'number' ? port.number >= p.port && port.number <= p.endPort : p.port === port.number;
  });
}

/**
 * NetworkPolicies that isolate database pods must still let the members reach each other: replication, elections and
 * gossip run over the members' own ports, and a policy written for clients alone silently splits the cluster
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/: allowed traffic is the union of the rules of
 * every policy selecting the pod).
 */
export const peerTraffic: IPolicyRule = {
  id: 'DOK-PEER-TRAFFIC',
  level: RuleLevel.ERROR,
  finding: 'NetworkPolicies isolate a replicated database and do not let its members reach each other\'s ports.',
  explanation: 'When a NetworkPolicy selects the members of a replicated database, some ingress rule (and egress rule, if egress is '
    + 'isolated) must admit the database\'s own pods on every port the members serve (metrics ports aside), or replication and '
    + 'failover break. Add a rule whose podSelector matches the pod template, with those ports.',
  evaluate(o: any, context: PolicyContext): Verdict {
    if (!isDatabaseWorkload(o) || instanceMembersIn(o, context).reduce((n, s) => n + replicasOf(s), 0) <= 1) return Verdict.notApplicable();
    const keys = runtimeKeysOf(o);
    const labels = templateLabelsOf(o, o.spec?.template);
    const ports = peerPorts(o);
    // The policies of its namespace that select its pods; a term on a runtime role label may select them.
    const namespace = objectNamespace(o);
    const policies: SelectorIndex<any> = context.memo(`DOK-PEER-TRAFFIC:network-policies:${namespace}`,
      () => new SelectorIndex(context.inNamespace('NetworkPolicy', namespace), (p) => matchLabelsOf(p.spec?.podSelector)));
    const mine = policies.candidates([labels], keys).filter((p) => selects(lenient(p.spec?.podSelector, keys), labels));
    if (mine.length === 0) return Verdict.notApplicable();
    return Verdict.fromProblems([
      ...unreachable('ingress', mine.filter((p) => isolatesDirection(p, 'Ingress')), 'from', o, ports, context),
      ...unreachable('egress', mine.filter((p) => isolatesDirection(p, 'Egress')), 'to', o, ports, context),
    ]);
  },
};

/** The member ports the policies' rules in one direction leave closed to the members (none when nothing isolates it). */
function unreachable(field: 'ingress' | 'egress', policies: any[], peerField: 'from' | 'to', sts: any,
  ports: MemberPort[], context: PolicyContext): string[] {
  if (policies.length === 0) return [];
  const rules = policies.flatMap((p) => (Array.isArray(p.spec?.[field]) ? p.spec[field] : []).map((rule: any) => ({ policy: p, rule })));
  const closed = ports.filter((port) => !rules.some(({ policy, rule }) => {
    const peers = rule?.[peerField];
    const admitsPeers = !Array.isArray(peers) || peers.length === 0 || peers.some((peer: any) => peerAdmits(peer, policy, sts, context));
    return admitsPeers && portAdmits(rule?.ports, port);
  }));
  if (closed.length === 0) return [];
  const names = policies.map((p) => `\`${p.metadata?.name}\``).join(', ');
  return [`${field} is isolated by ${names} and no rule lets the members of ${objectRef(sts)} reach each other on `
    + closed.map((p) => `${p.number}/${p.protocol}${p.name ? ` (${p.name})` : ''}`).join(', ')];
}
