/**
 * Volume expansion, applied for real: the real kubectl runs `kubectl apply` (not a dry run) of the claim the library
 * emits when `storageSize` grows past `originalStorageSize`, against a stand-in API server holding the live claim as
 * the StatefulSet controller and the PV controller left it (bound, its volume named, the default StorageClass filled
 * in, no last-applied annotation). The stand-in records the patch kubectl sends and holds it to the API server's rule
 * for claim updates (spec immutable but for `resources.requests`, storage never smaller).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Size } from 'cdk8s';
import { stringify } from 'yaml';
import { Engine, PostgresVersion, StatefulDatabase, StatefulDatabaseProps } from '../src';
import { DiscoveryStandin } from './harness/discovery-standin';
import { kubectl } from './support/kubectl';
import { newChart, synthValid } from '../test/support/synth';

const NAMESPACE = 'shop';
const CLAIM = 'data-orders-0';
const CLAIM_PATH = `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims/${CLAIM}`;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const NEVER_PRUNE = { 'argocd.argoproj.io/sync-options': 'Prune=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' };

function synth(props: Partial<StatefulDatabaseProps>): any[] {
  const chart = newChart(NAMESPACE);
  new StatefulDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', ...props });
  return synthValid(chart);
}

/** The claim as the StatefulSet controller created it from `set`'s template, once the PV controller bound it. */
function liveClaim(set: any): any {
  const template = set.spec.volumeClaimTemplates[0];
  const size = template.spec.resources.requests.storage;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: CLAIM,
      namespace: NAMESPACE,
      uid: '6f1c2a4e-0d6b-4c1e-9a57-0c3b1f2d9e11',
      resourceVersion: '48213',
      creationTimestamp: '2026-01-12T09:14:03Z',
      labels: { ...template.metadata.labels, ...set.spec.selector.matchLabels },
      annotations: {
        'pv.kubernetes.io/bind-completed': 'yes',
        'pv.kubernetes.io/bound-by-controller': 'yes',
        'volume.beta.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com',
        'volume.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com',
      },
      finalizers: ['kubernetes.io/pvc-protection'],
    },
    spec: {
      ...template.spec,
      // No storageClassName in the template: the DefaultStorageClass admission plugin filled it in.
      storageClassName: 'gp3',
      volumeName: 'pvc-6f1c2a4e-0d6b-4c1e-9a57-0c3b1f2d9e11',
    },
    status: { phase: 'Bound', accessModes: template.spec.accessModes, capacity: { storage: size } },
  };
}

describe('kubectl apply of a grown claim patches only its storage request', () => {
  let api: DiscoveryStandin;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-expansion-'));
  beforeEach(async () => { api = await DiscoveryStandin.start(); });
  afterEach(async () => { await api.stop(); });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** Writes the claims of `manifests` into a file of their own and applies it. */
  async function applyClaims(manifests: any[], name: string) {
    const file = path.join(root, `${name}.k8s.yaml`);
    fs.writeFileSync(file, manifests.filter((m) => m.kind === 'PersistentVolumeClaim').map((m) => stringify(m)).join('---\n'));
    return kubectl(['apply', '-f', file, '--validate=false'], api.url);
  }

  test('10Gi → 20Gi: one strategic merge patch of the storage request (and the annotations), accepted; a second apply changes nothing', async () => {
    const before = synth({});
    const set = before.find((m) => m.kind === 'StatefulSet');
    api.putObject(CLAIM_PATH, liveClaim(set));

    const after = synth({ storageSize: Size.gibibytes(20), originalStorageSize: Size.gibibytes(10) });
    // The template the StatefulSet was created with is unchanged: applying it is no forbidden update.
    expect(after.find((m) => m.kind === 'StatefulSet').spec.volumeClaimTemplates).toEqual(set.spec.volumeClaimTemplates);

    const r = await applyClaims(after, 'grow');
    expect(r.out).toContain(`persistentvolumeclaim/${CLAIM} configured`);
    // The claim was made by the controller, not by kubectl: kubectl says so once and records what it applied.
    expect(r.out).toContain(`persistentvolumeclaims/${CLAIM} is missing the ${LAST_APPLIED} annotation`);
    expect(r.code).toBe(0);
    const patches = api.writes.filter((w) => w.method === 'PATCH');
    expect(patches).toHaveLength(1);
    const [patch] = patches;
    expect(patch.path).toBe(CLAIM_PATH);
    expect(patch.contentType).toBe('application/strategic-merge-patch+json');
    // The spec part is the storage request alone; metadata gains the annotations (ours and kubectl's record), nothing else.
    expect(patch.body.spec).toEqual({ resources: { requests: { storage: '20Gi' } } });
    expect(Object.keys(patch.body).sort()).toEqual(['metadata', 'spec']);
    expect(Object.keys(patch.body.metadata)).toEqual(['annotations']);
    expect(Object.keys(patch.body.metadata.annotations).sort()).toEqual([...Object.keys(NEVER_PRUNE), LAST_APPLIED].sort());

    const live = api.object(CLAIM_PATH);
    expect(live.spec.resources.requests.storage).toBe('20Gi');
    expect(live.spec.storageClassName).toBe('gp3');
    expect(live.spec.volumeName).toBe('pvc-6f1c2a4e-0d6b-4c1e-9a57-0c3b1f2d9e11');
    expect(live.metadata.annotations).toMatchObject({ ...NEVER_PRUNE, 'pv.kubernetes.io/bind-completed': 'yes' });

    const again = await applyClaims(after, 'grow');
    expect(again.out).toContain(`persistentvolumeclaim/${CLAIM} unchanged`);
    expect(api.writes.filter((w) => w.method === 'PATCH')).toHaveLength(1);
  });

  test('20Gi → 40Gi later: originalStorageSize stays 10Gi, the claim grows again', async () => {
    api.putObject(CLAIM_PATH, liveClaim(synth({}).find((m) => m.kind === 'StatefulSet')));
    expect((await applyClaims(synth({ storageSize: Size.gibibytes(20), originalStorageSize: Size.gibibytes(10) }), 'first')).code).toBe(0);
    const r = await applyClaims(synth({ storageSize: Size.gibibytes(40), originalStorageSize: Size.gibibytes(10) }), 'second');
    expect(r.code).toBe(0);
    expect(api.writes.map((w) => w.body.spec)).toEqual([
      { resources: { requests: { storage: '20Gi' } } },
      { resources: { requests: { storage: '40Gi' } } },
    ]);
  });

  test('a fresh install: the claim is created at the new size (before the StatefulSet controller would create it)', async () => {
    const r = await applyClaims(synth({ storageSize: Size.gibibytes(20), originalStorageSize: Size.gibibytes(10) }), 'fresh');
    expect(r.out).toContain(`persistentvolumeclaim/${CLAIM} created`);
    expect(api.writes.map((w) => [w.method, w.path, w.body.spec.resources.requests.storage]))
      .toEqual([['POST', `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims`, '20Gi']]);
  });

  test('the stand-in holds kubectl to the API server\'s rule: a claim whose spec differs elsewhere is refused (not a yes-machine)', async () => {
    api.putObject(CLAIM_PATH, liveClaim(synth({}).find((m) => m.kind === 'StatefulSet')));
    const changed = synth({ storageSize: Size.gibibytes(20), originalStorageSize: Size.gibibytes(10), storageClassName: 'io2' });
    const r = await applyClaims(changed, 'other-class');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('spec is immutable after creation except resources.requests');
    expect(api.object(CLAIM_PATH).spec.resources.requests.storage).toBe('10Gi');
  });
});
