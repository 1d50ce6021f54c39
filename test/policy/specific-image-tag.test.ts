import { Engine, PolicyContext, PostgresVersion, RuleStatus, StatefulDatabase } from '../../src';
import { specificImageTag } from '../../src/policy/rules/security/specific-image-tag';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, synthValid } from '../support/synth';

const withImages = (...images: string[]) => statefulSet('orders', {
  podSpec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
});

describe('SEC-SPECIFIC-IMAGE-TAG', () => {
  test('compliant: full versions, two-part versions, patch and pre-release marks, digests', () => {
    const sts = withImages('postgres:16.6', 'busybox:1.36.1', 'ghcr.io/zalando/spilo-16:3.3-p3', 'example/app:2-rc1',
      'redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
    expect(verdictOf(specificImageTag, sts).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: a major version alone, with or without a variant', () => {
    expectNonCompliant(verdictOf(specificImageTag, withImages('postgres:16', 'node:20-alpine', 'ghcr.io/example/tool:v1')),
      /^container "c0" image postgres:16 uses the floating version tag 16; container "c1" image node:20-alpine uses the floating version tag 20-alpine; container "c2" image ghcr.io\/example\/tool:v1 uses the floating version tag v1$/);
  });

  test('not applicable: objects without containers', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'orders', namespace: 'db' }, spec: { ports: [{ port: 5432 }] } };
    expect(verdictOf(specificImageTag, svc).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('the images a StatefulDatabase synthesizes name specific versions', () => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    const manifests = synthValid(chart);
    const context = new PolicyContext(manifests);
    const workloads = manifests.filter((m) => specificImageTag.evaluate(m, context).status !== RuleStatus.NOT_APPLICABLE);
    expect(workloads.length).toBeGreaterThanOrEqual(3);
    const notCompliant = workloads.map((w) => ({ name: w.metadata.name, ...specificImageTag.evaluate(w, context) }))
      .filter((verdict) => verdict.status !== RuleStatus.COMPLIANT);
    expect(notCompliant).toEqual([]);
  });
});
