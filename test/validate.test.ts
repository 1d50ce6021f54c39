import { ApiObject } from 'cdk8s';
import { newChart, synthValid } from './support/synth';
import { CRDS_PRESENT, manifestProblems } from './support/validate';

// The validator is what makes every other test meaningful: prove that it fails on bad objects.
describe('manifest validator', () => {
  const sts = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, labels: { app: 'x' } },
    spec: {
      serviceName: 'x',
      selector: { matchLabels: { app: 'x' } },
      template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'db', image: 'postgres:16.6' }] } },
      ...extra,
    },
  });

  test('accepts a valid StatefulSet', () => {
    expect(manifestProblems(sts('orders'))).toEqual([]);
  });

  test('rejects a schema violation', () => {
    expect(manifestProblems(sts('orders', { replicas: 'three' })).join()).toMatch(/schema: .*replicas/);
  });

  test('rejects names that are not DNS-1123, and StatefulSet names over 52 characters', () => {
    expect(manifestProblems(sts('Orders_DB')).join()).toMatch(/not a valid DNS-1123 subdomain/);
    expect(manifestProblems(sts('a'.repeat(53))).join()).toMatch(/StatefulSet name longer than 52/);
    expect(manifestProblems(sts('a'.repeat(52)))).toEqual([]);
  });

  test('rejects label values over 63 characters and floating image tags', () => {
    const bad = sts('orders');
    bad.metadata.labels = { app: 'x'.repeat(64) };
    expect(manifestProblems(bad).join()).toMatch(/label "app" value/);
    const latest = sts('orders');
    (latest.spec.template.spec.containers[0] as any).image = 'postgres:latest';
    expect(manifestProblems(latest).join()).toMatch(/no pinned tag/);
    (latest.spec.template.spec.containers[0] as any).image = 'postgres';
    expect(manifestProblems(latest).join()).toMatch(/no pinned tag/);
  });

  test('rejects a container that sets the same env var twice', () => {
    const bad = sts('orders');
    (bad.spec.template.spec.containers[0] as any).env = [{ name: 'A', value: '1' }, { name: 'A', value: '2' }];
    expect(manifestProblems(bad).join()).toMatch(/sets env A twice/);
  });

  test('rejects Service names that are not DNS-1035 labels', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: '1orders' }, spec: { ports: [{ port: 1 }] } };
    expect(manifestProblems(svc).join()).toMatch(/DNS-1035/);
  });

  test('synthValid throws on an invalid object in a chart', () => {
    const chart = newChart();
    new ApiObject(chart, 'bad', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad Name' } });
    expect(() => synthValid(chart)).toThrow(/ConfigMap\/Bad Name: name is not a valid DNS-1123 subdomain/);
  });

  (CRDS_PRESENT ? test : test.skip)('checks custom resources against the CRD schemas in ../shared/crds, including pruned fields', () => {
    const cert = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'c' },
      spec: { secretName: 's', issuerRef: { name: 'i' }, dnsNames: ['a'] },
    };
    expect(manifestProblems(cert)).toEqual([]);
    expect(manifestProblems({ ...cert, spec: { ...cert.spec, secretName: 3 } }).join()).toMatch(/CRD schema/);
    expect(manifestProblems({ ...cert, spec: { ...cert.spec, bogus: true } }).join()).toMatch(/would prune: \.spec\.bogus/);
  });

  if (!CRDS_PRESENT) {
    test('CRD schemas are absent (../shared/crds): custom resources are checked by name and labels only', () => {
      console.warn('../shared/crds not found: CRD schema validation skipped');
    });
  }
});
