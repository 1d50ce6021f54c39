import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Size, Yaml, YamlOutputType } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Engine, PodManagementPolicy, PostgresVersion, StatefulDatabase } from '../src';
import { assertValidManifests } from './support/validate';
import { runApplyCheck } from '../src/day2/apply-check-cli';

// The `cdk8s-databases-apply-check` command on folders written by real `app.synth()` runs.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apply-check-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let outputs = 0;
/** Synthesizes one database into a new folder, as `cdk8s synth` would, and returns the folder. */
function synthTo(props: Record<string, unknown> = {}, yamlOutputType = YamlOutputType.FILE_PER_CHART): string {
  const outdir = path.join(tmp, `out${outputs++}`);
  const app = new App({ outdir, yamlOutputType });
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  new StatefulDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', ...props } as any);
  assertValidManifests(chart.toJson());
  app.synth();
  return outdir;
}

function run(...argv: string[]): { code: number; out: string } {
  const lines: string[] = [];
  const code = runApplyCheck(argv, (line) => lines.push(line));
  return { code, out: lines.join('\n') };
}

describe('cdk8s-databases-apply-check', () => {
  const base = synthTo();

  test('the same output: exit 0, no findings', () => {
    const { code, out } = run('--previous', base, '--current', synthTo());
    expect(code).toBe(0);
    expect(out).toMatch(/^No findings: .* applies cleanly over .*\.$/);
  });

  test('an immutable field: exit 1, the finding grouped under its verdict with the way through', () => {
    const current = synthTo({ podManagementPolicy: PodManagementPolicy.PARALLEL });
    const { code, out } = run('--previous', base, '--current', current);
    expect(code).toBe(1);
    expect(out.split('\n')).toEqual([
      'REJECTED: the API server refuses the update (1)',
      '  StatefulSet shop/orders spec.podManagementPolicy',
      '    `spec.podManagementPolicy` changes from "OrderedReady" to "Parallel"; the API server refuses updates to it (ValidateStatefulSetUpdate)',
      '    fix: run `kubectl delete statefulset/orders -n shop --cascade=orphan`, then apply: the pods and their claims stay, and the new StatefulSet adopts them (its pods restart only where the pod template changed)',
      '1 finding(s), 1 blocking the apply.',
    ]);
  });

  test('a restart of the only member is reported but does not fail the check: exit 0', () => {
    const { code, out } = run('--previous', base, '--current', synthTo({ cpu: kplus.Cpu.millis(2000) }));
    expect(code).toBe(0);
    expect(out).toContain('RESTARTS_ALL: every member restarts at once (1)\n  StatefulSet shop/orders spec.template');
    expect(out).toContain('1 finding(s), 0 blocking the apply.');
  });

  test('several verdicts: blocking ones first; --json prints the findings as data', () => {
    const current = synthTo({ storageSize: Size.gibibytes(20), cpu: kplus.Cpu.millis(2000) });
    const text = run('--previous', base, '--current', current);
    expect(text.code).toBe(1);
    expect(text.out.indexOf('REJECTED:')).toBeLessThan(text.out.indexOf('RESTARTS_ALL:'));
    const { code, out } = run('--json', '--previous', base, '--current', current);
    expect(code).toBe(1);
    expect(JSON.parse(out).map((f: any) => `${f.verdict} ${f.field}`)).toEqual([
      'REJECTED spec.volumeClaimTemplates[data].spec.resources.requests.storage',
      'RESTARTS_ALL spec.template',
    ]);
  });

  test('a renamed database: data loss, exit 1', () => {
    const { code, out } = run('--previous', base, '--current', synthTo({ name: 'sales' }));
    expect(code).toBe(1);
    expect(out).toContain('DATA_LOSS: data is lost or left behind (1)\n  StatefulSet shop/orders metadata.name');
  });

  test('--current defaults to dist in the working directory', () => {
    const project = path.join(tmp, 'project');
    fs.mkdirSync(project);
    fs.cpSync(base, path.join(project, 'dist'), { recursive: true });
    const cwd = process.cwd();
    process.chdir(project);
    try {
      expect(run('--previous', base)).toEqual({ code: 0, out: expect.stringContaining('No findings: dist applies cleanly') });
    } finally {
      process.chdir(cwd);
    }
  });

  test('manifests in JSON files and multi-document YAML files are read; a JSON file of no manifest (a report) is left out', () => {
    const json = path.join(tmp, 'json');
    fs.mkdirSync(json);
    const manifests = fs.readdirSync(base).filter((f) => f.endsWith('.yaml')).flatMap((f) => Yaml.load(path.join(base, f)));
    expect(manifests.length).toBeGreaterThan(5);
    fs.writeFileSync(path.join(json, 'all.json'), JSON.stringify(manifests));
    fs.writeFileSync(path.join(json, 'report.json'), JSON.stringify({ databases: [{ name: 'orders' }] }));
    expect(run('--previous', base, '--current', json).code).toBe(0);
    const renamed = manifests.map((m: any) => (m.kind === 'StatefulSet' ? { ...m, metadata: { ...m.metadata, name: 'sales' } } : m));
    fs.writeFileSync(path.join(json, 'all.json'), JSON.stringify(renamed));
    expect(run('--previous', base, '--current', json).code).toBe(1);
  });

  test('a folder per chart, a file per object (FOLDER_PER_CHART_FILE_PER_RESOURCE): subfolders are read', () => {
    const nested = (props: Record<string, unknown> = {}) => synthTo(props, YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE);
    const previous = nested();
    expect(fs.readdirSync(previous).filter((f) => f.endsWith('.yaml'))).toEqual([]);
    expect(run('--previous', previous, '--current', nested())).toEqual({ code: 0, out: expect.stringMatching(/^No findings: /) });
    expect(run('--previous', previous, '--current', base).code).toBe(0);
    const { code, out } = run('--previous', previous, '--current', nested({ podManagementPolicy: PodManagementPolicy.PARALLEL }));
    expect(code).toBe(1);
    expect(out).toContain('REJECTED: the API server refuses the update (1)\n  StatefulSet shop/orders spec.podManagementPolicy');
  });

  test.each([
    [[], '--previous <dir> is required'],
    [['--previous'], '--previous needs a directory'],
    [['--previous', '--json'], '--previous needs a directory'],
    [['--previous', 'a', '--force'], 'unknown argument "--force"'],
  ])('bad arguments %j: exit 2 with the usage', (argv, message) => {
    const { code, out } = run(...argv);
    expect(code).toBe(2);
    expect(out.split('\n')[0]).toBe(`cdk8s-databases-apply-check: ${message}`);
    expect(out).toContain('usage: cdk8s-databases-apply-check --previous <dir> [--current <dir>] [--json]');
  });

  test('a folder that does not exist or holds no manifest: exit 2, naming it', () => {
    const missing = path.join(tmp, 'missing');
    expect(run('--previous', missing, '--current', base)).toEqual({
      code: 2,
      out: `cdk8s-databases-apply-check: ApplySafety: \`previousDir\` (${missing}) is not a directory: give the folder the synth wrote its manifests to`,
    });
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    expect(run('--previous', base, '--current', empty)).toEqual({
      code: 2,
      out: `cdk8s-databases-apply-check: ApplySafety: \`currentDir\` (${empty}) holds no .yaml, .yml or .json file, in it or its subfolders: give the folder the synth wrote its manifests to`,
    });
  });

  test('a file that is not valid JSON: exit 2, naming the file', () => {
    const bad = path.join(tmp, 'bad');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'broken.json'), '{ "kind": ');
    const { code, out } = run('--previous', base, '--current', bad);
    expect(code).toBe(2);
    expect(out).toContain(`ApplySafety: ${path.join(bad, 'broken.json')} is not valid JSON:`);
  });

  test('a YAML file that does not parse to Kubernetes objects: exit 2, naming the file and the document', () => {
    const bad = path.join(tmp, 'bad-yaml');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\nkind: A\n  metadata: : [\n');
    expect(run('--previous', base, '--current', bad)).toEqual({
      code: 2,
      out: `cdk8s-databases-apply-check: ApplySafety: document 2 of ${path.join(bad, 'broken.yaml')} is not a Kubernetes object (apiVersion, kind and metadata.name): fix the file or move it out of the folder`,
    });
  });
});
