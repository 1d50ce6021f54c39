import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import { assertValidManifests } from './support/validate';
import { runPolicyCheck } from '../src/policy/policy-check-cli';

// The `cdk8s-databases-policy-check` command on folders of plain YAML, with a team's pack of its own (the built-in packs
// are checked by their rules' tests).

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-check-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

fs.writeFileSync(path.join(tmp, 'team-pack.js'), `
const ownerLabel = {
  id: 'TEAM-OWNER-LABEL', level: 'error', finding: 'An object has no \`team\` label.',
  explanation: 'Label every object with \`team: <name>\`.',
  evaluate: (o) => (o.metadata?.labels?.team ? { status: 'compliant' } : { status: 'non-compliant', detail: 'no \`team\` label' }),
};
const described = {
  id: 'TEAM-CONFIG-DESCRIBED', level: 'warning', finding: 'A ConfigMap has no description.',
  explanation: 'Annotate ConfigMaps with \`team/description\`.',
  evaluate: (o) => (o.kind !== 'ConfigMap' ? { status: 'not-applicable' }
    : o.metadata?.annotations?.['team/description'] ? { status: 'compliant' } : { status: 'non-compliant', detail: 'no description' }),
};
module.exports = { pack: { name: 'team', rules: [ownerLabel, described] } };
`);

function configMap(name: string, labels: Record<string, string>, annotations: Record<string, string> = {}): any {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop', labels, annotations }, data: { a: 'b' } };
}

/** A folder `out` in a new project folder, with the given files of valid Kubernetes objects; returns the project. */
let projects = 0;
function project(files: Record<string, any[]>): string {
  const dir = path.join(tmp, `project${projects++}`);
  for (const [file, objects] of Object.entries(files)) {
    assertValidManifests(objects);
    fs.mkdirSync(path.dirname(path.join(dir, 'out', file)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'out', file), Yaml.stringify(...objects));
  }
  return dir;
}

function run(cwd: string, ...argv: string[]): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = runPolicyCheck(argv, (line) => lines.push(line), cwd);
  return { code, lines };
}

const TEAM = ['--pack', path.join(tmp, 'team-pack.js')];

describe('cdk8s-databases-policy-check', () => {
  test('a failing finding: exit 1, failing findings first with their file, the fix, and a summary', () => {
    const dir = project({
      'a.k8s.yaml': [configMap('orders', {}, { 'team/description': 'x' }), configMap('audit', { team: 'ops' })],
      'nested/b.yaml': [configMap('billing', { team: 'ops' }, { 'team/description': 'x' })],
    });
    fs.writeFileSync(path.join(dir, 'out', 'notes.txt'), 'not yaml');
    const { code, lines } = run(dir, ...TEAM, 'out');
    expect(lines).toEqual([
      'FAILING (at or above error, or the rule failed): 1',
      `  error  TEAM-OWNER-LABEL  ConfigMap shop/orders  (${path.join('out', 'a.k8s.yaml')})`,
      '    no `team` label',
      '    fix: Label every object with `team: <name>`.',
      'REPORTED (below error): 1',
      `  warning  TEAM-CONFIG-DESCRIBED  ConfigMap shop/audit  (${path.join('out', 'a.k8s.yaml')})`,
      '    no description',
      '    fix: Annotate ConfigMaps with `team/description`.',
      'Failed: 3 object(s) in 2 file(s) against team; 1 failing finding(s), 1 below error, 0 suppressed.',
    ]);
    expect(code).toBe(1);
  });

  test('findings below --fail-on pass (exit 0); --fail-on warning fails them', () => {
    const dir = project({ 'a.yaml': [configMap('audit', { team: 'ops' })] });
    expect(run(dir, ...TEAM, 'out')).toEqual({ code: 0, lines: expect.arrayContaining(['Passed: 1 object(s) in 1 file(s) against team; 1 finding(s) below error, 0 suppressed.']) });
    const strict = run(dir, ...TEAM, '--fail-on', 'warning', 'out');
    expect(strict.code).toBe(1);
    expect(strict.lines[0]).toBe('FAILING (at or above warning, or the rule failed): 1');
  });

  test('a finding suppressed by annotation is listed with its reason and does not fail', () => {
    const dir = project({ 'a.yaml': [configMap('legacy', {}, { 'team/description': 'x', 'ignore-check.cdk8s-databases.io/TEAM-OWNER-LABEL': 'owner being found (JIRA-12)' })] });
    expect(run(dir, ...TEAM, 'out')).toEqual({
      code: 0,
      lines: [
        'SUPPRESSED: 1',
        '  TEAM-OWNER-LABEL  ConfigMap shop/legacy: owner being found (JIRA-12)',
        'Passed: 1 object(s) in 1 file(s) against team; 0 finding(s) below error, 1 suppressed.',
      ],
    });
  });

  test('--json prints the report with the files read; the default input is dist', () => {
    const dir = project({ 'a.yaml': [configMap('orders', {})] });
    fs.renameSync(path.join(dir, 'out'), path.join(dir, 'dist'));
    const { code, lines } = run(dir, ...TEAM, '--json');
    const json = JSON.parse(lines.join('\n'));
    expect(code).toBe(1);
    expect(json).toMatchObject({ files: [path.join('dist', 'a.yaml')], passed: false, failOn: 'error', summary: { errors: 1, warnings: 1 } });
    expect(json.findings.map((f: any) => f.ruleId)).toEqual(['TEAM-OWNER-LABEL', 'TEAM-CONFIG-DESCRIBED']);
  });

  test('a pack path is resolved against the current folder, like the plugin\'s', () => {
    const dir = project({ 'a.yaml': [configMap('orders', { team: 'ops' }, { 'team/description': 'x' })] });
    fs.copyFileSync(path.join(tmp, 'team-pack.js'), path.join(dir, 'pack.js'));
    expect(run(dir, '--pack', './pack.js', 'out').lines).toEqual(['Passed: 1 object(s) in 1 file(s) against team; 0 finding(s) below error, 0 suppressed.']);
  });

  test.each([
    [['--strict'], /^cdk8s-databases-policy-check: unknown argument "--strict"$/],
    [['--fail-on', 'fatal'], /^cdk8s-databases-policy-check: --fail-on "fatal": use one of error, warning, info$/],
    [['--pack'], /^cdk8s-databases-policy-check: --pack needs a value$/],
  ])('bad arguments %j: exit 2 with the usage', (argv, message) => {
    const { code, lines } = run(tmp, ...argv);
    expect(code).toBe(2);
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toMatch(/^usage: cdk8s-databases-policy-check /);
  });

  test.each([
    [['--pack', 'data-on-k8s', 'out'], /\(--pack\): `packs` names an unknown pack 'data-on-k8s': use 'data-on-kubernetes', 'security-baseline', or the path/],
    [['missing-folder'], /^cdk8s-databases-policy-check: missing-folder does not exist: give YAML files or the folder the synth wrote to$/],
    [['empty'], /^cdk8s-databases-policy-check: empty holds no .yaml or .yml file, in it or its subfolders$/],
  ])('bad input %j: exit 2 naming it', (argv, message) => {
    const dir = project({ 'a.yaml': [configMap('orders', { team: 'ops' })] });
    fs.mkdirSync(path.join(dir, 'empty'));
    const { code, lines } = run(dir, ...argv);
    expect(lines).toEqual([expect.stringMatching(message)]);
    expect(code).toBe(2);
  });
});
