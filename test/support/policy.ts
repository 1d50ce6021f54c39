import { assertValidManifests } from './validate';
import { IPolicyRule, PolicyContext, RuleStatus, Verdict } from '../../src';

/**
 * The verdict of one rule on `object`, with `others` rendered beside it. The objects a rule test builds by hand are
 * validated like every synthesized object (schema, names, labels), so a test never argues over YAML no cluster takes.
 */
export function verdictOf(rule: IPolicyRule, object: any, others: any[] = []): Verdict {
  assertValidManifests([object, ...others]);
  return rule.evaluate(object, new PolicyContext([object, ...others]));
}

/** Expects a non-compliant verdict whose detail matches `detail`. */
export function expectNonCompliant(verdict: Verdict, detail: RegExp): void {
  expect(verdict.status).toBe(RuleStatus.NON_COMPLIANT);
  expect(verdict.detail).toMatch(detail);
}

/** A minimal valid StatefulSet of a database (a volume claim template), to edit in tests. */
export function statefulSet(name: string, overrides: {
  replicas?: number;
  namespace?: string;
  labels?: Record<string, string>;
  podSpec?: any;
  annotations?: Record<string, string>;
} = {}): any {
  const labels = overrides.labels ?? { 'app.kubernetes.io/instance': name, 'app.kubernetes.io/component': 'database' };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: overrides.namespace ?? 'db', labels, ...(overrides.annotations ? { annotations: overrides.annotations } : {}) },
    spec: {
      replicas: overrides.replicas ?? 3,
      serviceName: `${name}-headless`,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: overrides.podSpec ?? {
          containers: [{ name: 'db', image: 'postgres:16.6', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } }],
    },
  };
}
