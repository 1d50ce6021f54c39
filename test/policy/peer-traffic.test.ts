import { RuleStatus } from '../../src';
import { peerTraffic } from '../../src/policy/rules/dok/peer-traffic';
import { DB_CONTAINERS, DB_LABELS, networkPolicy, synthesizedDatabases, verdictsOver } from '../support/disruption-objects';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';

const clients = { podSelector: { matchLabels: { app: 'api' } } };
const peers = { podSelector: { matchLabels: DB_LABELS } };
const tcp = (...ports: Array<number | string>) => ports.map((port) => ({ port, protocol: 'TCP' }));

describe('DOK-PEER-TRAFFIC', () => {
  test('compliant: clients on the client port, the members on theirs (by name), metrics only from monitoring', () => {
    const sts = statefulSet('orders', { podSpec: DB_CONTAINERS });
    const policy = networkPolicy('orders', {
      podSelector: { matchLabels: DB_LABELS },
      policyTypes: ['Ingress'],
      ingress: [
        { from: [clients], ports: tcp(5432) },
        { from: [peers], ports: tcp(5432, 'patroni') },
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: tcp(9187) },
      ],
    });
    expect(verdictOf(peerTraffic, sts, [policy]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: a policy for clients only cuts the members off each other', () => {
    const sts = statefulSet('orders', { podSpec: DB_CONTAINERS });
    const policy = networkPolicy('orders', { podSelector: { matchLabels: DB_LABELS }, ingress: [{ from: [clients], ports: tcp(5432) }] });
    expectNonCompliant(verdictOf(peerTraffic, sts, [policy]),
      /ingress is isolated by `orders` and no rule lets the members of StatefulSet db\/orders reach each other on 5432\/TCP \(postgresql\), 8008\/TCP \(patroni\)$/);
  });

  test('non-compliant: egress isolated with DNS only, and a peer rule in another policy that admits them by namespace and pods', () => {
    const sts = statefulSet('orders', { podSpec: DB_CONTAINERS });
    const egress = networkPolicy('orders-egress', {
      podSelector: { matchLabels: DB_LABELS },
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }] }],
    });
    const ingress = networkPolicy('orders-peers', {
      podSelector: { matchLabels: DB_LABELS },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'db' } }, podSelector: { matchLabels: DB_LABELS } }] }],
    });
    expectNonCompliant(verdictOf(peerTraffic, sts, [egress, ingress]),
      /^egress is isolated by `orders-egress` and no rule lets the members of StatefulSet db\/orders reach each other on 5432\/TCP \(postgresql\), 8008\/TCP \(patroni\)$/);
  });

  test('API defaults: no policyTypes and an empty egress list isolate ingress only; `policyTypes: []` is defaulted the same way', () => {
    const sts = statefulSet('orders', { podSpec: DB_CONTAINERS });
    const noTypes = networkPolicy('orders', { podSelector: { matchLabels: DB_LABELS }, ingress: [{ from: [peers] }], egress: [] });
    expect(verdictOf(peerTraffic, sts, [noTypes]).status).toBe(RuleStatus.COMPLIANT);
    const emptyTypes = networkPolicy('orders', { podSelector: { matchLabels: DB_LABELS }, policyTypes: [], ingress: [{ from: [clients], ports: tcp(5432) }] });
    expectNonCompliant(verdictOf(peerTraffic, sts, [emptyTypes]),
      /^ingress is isolated by `orders` and no rule lets the members of StatefulSet db\/orders reach each other on 5432\/TCP \(postgresql\), 8008\/TCP/);
  });

  test('compliant: an ipBlock 0.0.0.0/0 except the metadata endpoint admits the members; except 10.0.0.0/8 may not', () => {
    const sts = statefulSet('orders', { podSpec: DB_CONTAINERS });
    const anywhere = (except: string[]) => networkPolicy('orders', {
      podSelector: { matchLabels: DB_LABELS }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except } }] }],
    });
    expect(verdictOf(peerTraffic, sts, [anywhere(['169.254.169.254/32'])]).status).toBe(RuleStatus.COMPLIANT);
    expectNonCompliant(verdictOf(peerTraffic, sts, [anywhere(['10.0.0.0/8'])]), /^ingress is isolated by `orders` and no rule lets the members/);
  });

  test('compliant: a port range covers the peer ports', () => {
    const sts = statefulSet('orders', { podSpec: DB_CONTAINERS });
    const policy = networkPolicy('orders', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [peers], ports: [{ port: 5000, endPort: 9000, protocol: 'TCP' }] }] });
    expect(verdictOf(peerTraffic, sts, [policy]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('not applicable: no policy selects the members, or a single member', () => {
    const other = networkPolicy('web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] });
    expect(verdictOf(peerTraffic, statefulSet('orders', { podSpec: DB_CONTAINERS }), [other]).status).toBe(RuleStatus.NOT_APPLICABLE);
    expect(verdictOf(peerTraffic, statefulSet('orders', { replicas: 1 })).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: what the library synthesizes (MongoDB, Cassandra racks, Patroni with role budgets, MySQL with a role labeller)', () => {
    const { compliant, problems } = verdictsOver(peerTraffic, synthesizedDatabases());
    expect(problems).toEqual([]);
    expect(compliant).toBe(6);
  });
});
