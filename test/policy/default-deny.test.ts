import { Engine, PostgresVersion, ReplicatedDatabase, RuleStatus } from '../../src';
import { PolicyContext } from '../../src/policy/policy-context';
import { defaultDeny } from '../../src/policy/rules/dok/default-deny';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, only, synthValid } from '../support/synth';

const networkPolicy = (name: string, spec: Record<string, unknown>, namespace = 'db') => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec,
});
const fromApi = { from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432, protocol: 'TCP' }] };

describe('DOK-DEFAULT-DENY', () => {
  test('compliant: a namespace-wide deny-all (empty podSelector) plus a policy allowing the API', () => {
    const denyAll = networkPolicy('deny-all', { podSelector: {}, policyTypes: ['Ingress'] });
    const allowApi = networkPolicy('orders', { podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'orders' } }, policyTypes: ['Ingress'], ingress: [fromApi] });
    expect(verdictOf(defaultDeny, statefulSet('orders'), [denyAll, allowApi]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('compliant: a policy without policyTypes applies to ingress', () => {
    expect(verdictOf(defaultDeny, statefulSet('orders'), [networkPolicy('orders', { podSelector: {}, ingress: [fromApi] })]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: only an Egress policy, a policy of another namespace and one selecting other pods', () => {
    const others = [
      networkPolicy('egress', { podSelector: {}, policyTypes: ['Egress'] }),
      networkPolicy('elsewhere', { podSelector: {}, policyTypes: ['Ingress'] }, 'web'),
      networkPolicy('web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] }),
    ];
    expectNonCompliant(verdictOf(defaultDeny, statefulSet('orders'), others),
      /^no NetworkPolicy of namespace db selects the pods of StatefulSet db\/orders for Ingress: they accept connections from every pod and address$/);
  });

  test('non-compliant: an ingress rule `{}` allows everything again', () => {
    const allowAll = networkPolicy('open', { podSelector: {}, policyTypes: ['Ingress'], ingress: [fromApi, {}] });
    expectNonCompliant(verdictOf(defaultDeny, statefulSet('orders'), [allowAll]),
      /^NetworkPolicy db\/open selects the pods of StatefulSet db\/orders with an ingress rule that allows every source on every port$/);
  });

  test('non-compliant: a rule without `from` admits every source whatever its ports', () => {
    const portOnly = networkPolicy('port-only', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 5432, protocol: 'TCP' }] }] });
    expectNonCompliant(verdictOf(defaultDeny, statefulSet('orders'), [portOnly]),
      /^NetworkPolicy db\/port-only selects the pods of StatefulSet db\/orders with an ingress rule that allows every source on port 5432\/TCP$/);
  });

  test('non-compliant: peers `namespaceSelector: {}` and ipBlock 0.0.0.0/0 (except the metadata endpoint) admit every source', () => {
    const everyNamespace = networkPolicy('every-namespace', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: {} }] }] });
    const everyAddress = networkPolicy('every-address', {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }], ports: [{ port: 5432, protocol: 'TCP' }] }],
    });
    expectNonCompliant(verdictOf(defaultDeny, statefulSet('orders'), [everyNamespace, everyAddress]),
      /^NetworkPolicy db\/every-namespace .* allows every source on every port; NetworkPolicy db\/every-address .* allows every source on port 5432\/TCP$/);
  });

  test('compliant: an ipBlock 0.0.0.0/0 whose except covers the pod network, and a namespaceSelector {} narrowed by a podSelector', () => {
    const outsideOnly = networkPolicy('outside', {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }, { namespaceSelector: {}, podSelector: { matchLabels: { app: 'api' } } }] }],
    });
    expect(verdictOf(defaultDeny, statefulSet('orders'), [outsideOnly]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('malformed ingress (not a list) does not throw', () => {
    const broken = networkPolicy('broken', { podSelector: {}, policyTypes: ['Ingress'], ingress: 0 });
    expect(defaultDeny.evaluate(statefulSet('orders'), new PolicyContext([statefulSet('orders'), broken])).status).toBe(RuleStatus.COMPLIANT);
  });

  test('not applicable: a stateless StatefulSet', () => {
    const stateless = statefulSet('cache', { labels: { app: 'cache' } });
    delete stateless.spec.volumeClaimTemplates;
    expect(verdictOf(defaultDeny, stateless).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('compliant: the NetworkPolicy a ReplicatedDatabase renders', () => {
    const chart = newChart('db');
    new ReplicatedDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ['a', 'b', 'c'] });
    const manifests = synthValid(chart);
    expect(defaultDeny.evaluate(only(manifests, 'StatefulSet'), new PolicyContext(manifests)).status).toBe(RuleStatus.COMPLIANT);
  });
});
