import { Engine, PolicyContext, PostgresVersion, RuleStatus, StatefulDatabase } from '../../src';
import { pinnedImage } from '../../src/policy/rules/security/pinned-image';
import { expectNonCompliant, verdictOf } from '../support/policy';
import { newChart, synthValid } from '../support/synth';
import { manifestProblems } from '../support/validate';

/**
 * The test validator refuses unpinned images itself (the library must never emit one): an unpinned object is checked
 * for every other problem, then judged directly.
 */
function verdictOfUnpinned(object: any) {
  expect(manifestProblems(object).filter((p) => !/has no pinned tag/.test(p))).toEqual([]);
  return pinnedImage.evaluate(object, new PolicyContext([object]));
}

const cronJob = (containers: any[], initContainers: any[] = []) => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'orders-dumps', namespace: 'db' },
  spec: {
    schedule: '0 2 * * *',
    jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', initContainers, containers } } } },
  },
});

describe('SEC-PINNED-IMAGE', () => {
  test('compliant: version tags (a registry port is not a tag) and digests', () => {
    const job = cronJob([
      { name: 'dump', image: 'registry.internal.example:5000/mirror/library/postgres:16.6' },
      { name: 'upload', image: 'amazon/aws-cli@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' },
      { name: 'ship', image: 'busybox:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' },
    ]);
    expect(verdictOf(pinnedImage, job).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: no tag (the registry port does not count) and latest, in init containers and sidecars too', () => {
    const job = cronJob([{ name: 'dump', image: 'postgres:latest' }], [
      { name: 'wait', image: 'registry.internal.example:5000/busybox' },
      { name: 'proxy', image: 'envoyproxy/envoy', restartPolicy: 'Always' },
    ]);
    expectNonCompliant(verdictOfUnpinned(job), new RegExp('^container "wait" image registry.internal.example:5000/busybox has no tag \\(the runtime pulls latest\\); '
      + 'container "proxy" image envoyproxy/envoy has no tag \\(the runtime pulls latest\\); container "dump" image postgres:latest uses the moving tag latest$'));
  });

  test('non-compliant: an ephemeral debug container of a Pod', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orders-0', namespace: 'db' },
      spec: { containers: [{ name: 'db', image: 'postgres:16.6' }], ephemeralContainers: [{ name: 'debugger', image: 'busybox' }] },
    };
    expectNonCompliant(verdictOfUnpinned(pod), /^container "debugger" image busybox has no tag/);
  });

  test('not applicable: objects without containers', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orders-config', namespace: 'db' }, data: {} };
    expect(verdictOf(pinnedImage, cm).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('every image a StatefulDatabase synthesizes is pinned', () => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    const manifests = synthValid(chart);
    const context = new PolicyContext(manifests);
    const workloads = manifests.filter((m) => pinnedImage.evaluate(m, context).status !== RuleStatus.NOT_APPLICABLE);
    expect(workloads.length).toBeGreaterThanOrEqual(3);
    const notCompliant = workloads.map((w) => ({ name: w.metadata.name, ...pinnedImage.evaluate(w, context) }))
      .filter((verdict) => verdict.status !== RuleStatus.COMPLIANT);
    expect(notCompliant).toEqual([]);
  });
});
