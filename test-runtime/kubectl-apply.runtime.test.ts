/**
 * The README's way to deploy, run for real: every example is synthesized into its own folder, and the real kubectl
 * runs `kubectl apply -f <folder> --dry-run=client` on it, against a stand-in for the API server's discovery
 * endpoints (the resources of Kubernetes 1.28 with the library's prerequisites' CRDs). kubectl reads every
 * .json/.yaml/.yml file in the folder, maps each object's kind to a resource and reports it created: a file that is
 * not a Kubernetes object, or a kind the cluster does not serve, fails the apply.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { DiscoveryStandin } from './harness/discovery-standin';
import { kubectl } from './support/kubectl';

const EXAMPLES = path.resolve(__dirname, '../examples');
const NAMES = fs.readdirSync(EXAMPLES).filter((n) => fs.existsSync(path.join(EXAMPLES, n, 'main.ts')));

/** Runs an example with its output redirected into `outdir`, as `cdk8s synth` would write it. */
function synthExample(name: string, outdir: string): void {
  process.env.CDK8S_OUTDIR = outdir;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jest.isolateModules(() => require(path.join(EXAMPLES, name, 'main.ts')));
  } finally {
    delete process.env.CDK8S_OUTDIR;
  }
}

/** `Kind/name` of every object of the folder's YAML files, or of the one file given. */
function objectsIn(dir: string, file?: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.k8s.yaml') && (file === undefined || f === file)).flatMap((f) =>
    parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS()).filter((o) => o)
      .map((o) => `${o.kind}/${o.metadata.name}`));
}

describe('kubectl apply -f dist/ of every example', () => {
  let api: DiscoveryStandin;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-apply-'));
  beforeAll(async () => { api = await DiscoveryStandin.start(); });
  afterAll(async () => {
    await api.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test.each(NAMES)('%s: every object of the folder is applied (the report sits in a subfolder)', async (name) => {
    const dist = path.join(root, name);
    synthExample(name, dist);
    // A DRPair's sites are two clusters: each site's file is applied on its own (`kubectl --context <site> apply -f`).
    const targets = name.startsWith('dr-') ? fs.readdirSync(dist).filter((f) => f.endsWith('.k8s.yaml')) : [''];
    for (const target of targets) {
      const expected = objectsIn(dist, target || undefined);
      expect(expected.length).toBeGreaterThan(0);
      const r = await kubectl(['apply', '-f', path.join(dist, target), '--dry-run=client', '--validate=false', '-o', 'name'], api.url);
      expect(r.out).not.toMatch(/error|unable to/i);
      expect(r.code).toBe(0);
      // `-o name` prints <resource>.<group>/<name> per object, e.g. statefulset.apps/orders-db.
      const applied = r.out.trim().split('\n').map((l) => l.replace(/^([^./]+)(\.[^/]+)?\//, '$1/')).sort();
      expect(applied).toEqual(expected.map((o) => o.replace(/^([^/]+)\//, (_, kind: string) => `${kind.toLowerCase()}/`)).sort());
    }
  });

  test('the apply fails on a folder holding a file that is not a Kubernetes object (how the report broke it)', async () => {
    const dist = path.join(root, 'with-report');
    synthExample('postgres', dist);
    fs.writeFileSync(path.join(dist, 'cdk8s-databases.report.json'), JSON.stringify({ databases: [] }));
    const r = await kubectl(['apply', '-f', dist, '--dry-run=client', '--validate=false', '-o', 'name'], api.url);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('cdk8s-databases.report.json');
  });

  test('a kind the cluster does not serve fails the apply (the stand-in is not a yes-machine)', async () => {
    const dist = path.join(root, 'unknown-kind');
    fs.mkdirSync(dist);
    fs.writeFileSync(path.join(dist, 'x.k8s.yaml'), 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: shop\n');
    const r = await kubectl(['apply', '-f', dist, '--dry-run=client', '--validate=false', '-o', 'name'], api.url);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no matches for kind "Widget"/);
  });
});
