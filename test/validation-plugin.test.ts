import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import { PolicyValidationPlugin } from '../src';
import { assertValidManifests } from './support/validate';
import * as PluginModule from '../src/policy/validation-plugin';

// The `cdk8s synth --validate` plugin: with a fake CLI context (what it reports and submits, how it refuses bad
// properties), then through the real cdk8s CLI on a throw-away cdk8s project.

const REPO = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-plugin-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A team's pack written without importing the library (plain rule objects and verdicts), as the plugin allows. */
const TEAM_PACK = `
const ownerLabel = {
  id: 'TEAM-OWNER-LABEL', level: 'error',
  finding: 'An object has no \`team\` label.',
  explanation: 'Label every object with \`team: <name>\` so that on-call knows who owns it.',
  evaluate: (o) => (o.metadata?.labels?.team ? { status: 'compliant' } : { status: 'non-compliant', detail: 'no \`team\` label' }),
};
const describedConfig = {
  id: 'TEAM-CONFIG-DESCRIBED', level: 'warning',
  finding: 'A ConfigMap has no description annotation.',
  explanation: 'Annotate ConfigMaps with \`team/description\`.',
  evaluate: (o) => (o.kind !== 'ConfigMap' ? { status: 'not-applicable' }
    : o.metadata?.annotations?.['team/description'] ? { status: 'compliant' } : { status: 'non-compliant', detail: 'no description' }),
};
const pairedSecret = {
  id: 'TEAM-PAIRED-SECRET', level: 'info',
  finding: 'A ConfigMap has no Secret of the same name.',
  explanation: 'Pair each ConfigMap with its Secret.',
  evaluate: (o, context) => (o.kind !== 'ConfigMap' ? { status: 'not-applicable' }
    : context.find('Secret', o.metadata.namespace ?? 'default', o.metadata.name) ? { status: 'compliant' }
      : { status: 'non-compliant', detail: 'no Secret ' + o.metadata.name }),
};
module.exports = { teamPack: { name: 'team', rules: [ownerLabel, describedConfig, pairedSecret] } };
`;

let files = 0;
function write(name: string, text: string): string {
  const file = path.join(tmp, `${files++}-${name}`);
  fs.writeFileSync(file, text);
  return file;
}

const teamPack = write('team-pack.js', TEAM_PACK);

function configMap(name: string, labels: Record<string, string> = { team: 'payments' }, annotations?: Record<string, string>): any {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop', labels, ...(annotations ? { annotations } : {}) }, data: { a: 'b' } };
}
function secret(name: string, labels: Record<string, string> = { team: 'payments' }): any {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'shop', labels }, type: 'Opaque' };
}

/** A manifest file as cdk8s writes it (multi-document YAML), of valid Kubernetes objects. */
function manifest(...objects: any[]): string {
  assertValidManifests(objects);
  return write('chart.k8s.yaml', Yaml.stringify(...objects));
}

interface FakeRun {
  readonly violations: any[];
  readonly submitted: { status: string; metadata: Record<string, string> }[];
  readonly logged: string[];
}

/** Runs the plugin as the CLI does (`new Class(properties)`, then `validate(context)`) against a recording context. */
async function runPlugin(properties: any, manifests: string[]): Promise<FakeRun> {
  const run: FakeRun = { violations: [], submitted: [], logged: [] };
  const context = {
    manifests,
    metadata: {},
    report: {
      addViolation: (v: any) => run.violations.push(v),
      submit: (status: string, metadata: Record<string, string>) => run.submitted.push({ status, metadata }),
    },
    logger: { log: (line: string) => run.logged.push(line) },
  };
  await new PolicyValidationPlugin(properties).validate(context);
  return run;
}

describe('PolicyValidationPlugin with a fake CLI context', () => {
  test('one violation per rule, each naming its objects, manifest and detail; errors submit failure once', async () => {
    const first = manifest(configMap('orders', {}), secret('orders'), configMap('audit'));
    const second = manifest(secret('audit', {}));
    const run = await runPlugin({ packs: [teamPack] }, [first, second]);

    expect(run.submitted).toEqual([{ status: 'failure', metadata: expect.objectContaining({ packs: 'team', failOn: 'error', objects: '4', errors: '2' }) }]);
    expect(run.violations.map((v) => v.ruleName)).toEqual([
      'TEAM-OWNER-LABEL: An object has no `team` label.',
      'TEAM-CONFIG-DESCRIBED: A ConfigMap has no description annotation.',
    ]);
    const [owner, described] = run.violations;
    expect(owner.recommendation).toBe('(error) Label every object with `team: <name>` so that on-call knows who owns it.');
    expect(owner.fix).toContain('`ignore-check.cdk8s-databases.io/TEAM-OWNER-LABEL: <reason>`');
    // `orders` names a ConfigMap and a Secret: the CLI would show one of them's construct path for both, so the kind is given.
    expect(owner.violatingResources).toEqual([
      { resourceName: 'ConfigMap shop/orders', locations: ['ConfigMap shop/orders: no `team` label'], manifestPath: first },
      { resourceName: 'Secret shop/audit', locations: ['Secret shop/audit: no `team` label'], manifestPath: second },
    ]);
    expect(described.recommendation).toBe('(warning, below failOn error: reported, does not fail) Annotate ConfigMaps with `team/description`.');
    expect(described.violatingResources.map((r: any) => r.locations[0])).toEqual(['ConfigMap shop/audit: no description', 'ConfigMap shop/orders: no description']);
    // The Secret `audit` of the second manifest pairs the ConfigMap `audit` of the first: every manifest is checked together.
    expect(run.violations.some((v) => v.ruleName.startsWith('TEAM-PAIRED-SECRET'))).toBe(false);
  });

  test('a name used by one object only is the resource name, so that the CLI finds its construct path', async () => {
    const file = manifest(configMap('settings', {}, { 'team/description': 'x' }), secret('settings'), secret('lonely', {}));
    const run = await runPlugin({ packs: [teamPack] }, [file]);
    expect(run.violations[0].violatingResources.map((r: any) => r.resourceName)).toEqual(['ConfigMap shop/settings', 'lonely']);
  });

  test('findings below failOn are reported but succeed; failOn warning makes them fail', async () => {
    const file = manifest(configMap('orders'), secret('orders'));
    const atError = await runPlugin({ packs: [teamPack], failOn: 'error' }, [file]);
    expect(atError.submitted.map((s) => s.status)).toEqual(['success']);
    expect(atError.violations.map((v) => v.ruleName)).toEqual(['TEAM-CONFIG-DESCRIBED: A ConfigMap has no description annotation.']);
    const atWarning = await runPlugin({ packs: [teamPack], failOn: 'warning' }, [file]);
    expect(atWarning.submitted.map((s) => s.status)).toEqual(['failure']);
    expect(atWarning.violations[0].recommendation).toMatch(/^\(warning\) Annotate/);
  });

  test('suppressed findings are logged, not violations: from the properties and from the annotation', async () => {
    const annotated = configMap('audit', {}, { 'ignore-check.cdk8s-databases.io/TEAM-OWNER-LABEL': 'owned by the platform team', 'team/description': 'x' });
    const file = manifest(configMap('orders', {}, { 'team/description': 'x' }), annotated, secret('orders'), secret('audit'));
    const run = await runPlugin({
      packs: [teamPack],
      suppressions: [{ ruleId: 'TEAM-OWNER-LABEL', kind: 'ConfigMap', name: 'orders', reason: 'legacy object, owner being found' }],
    }, [file]);
    expect(run.violations).toEqual([]);
    expect(run.submitted).toEqual([{ status: 'success', metadata: expect.objectContaining({ suppressed: '2', errors: '0' }) }]);
    expect(run.logged).toEqual([
      'PolicyValidationPlugin: TEAM-OWNER-LABEL suppressed on ConfigMap shop/audit: owned by the platform team',
      'PolicyValidationPlugin: TEAM-OWNER-LABEL suppressed on ConfigMap shop/orders: legacy object, owner being found',
    ]);
  });

  test('a rule that throws is a violation of its own and fails the check, whatever its level', async () => {
    const pack = write('throwing-pack.js', `module.exports = [{ name: 'flaky', rules: [{ id: 'FLAKY-RULE', level: 'info', finding: 'x', explanation: 'y',
      evaluate: (o) => { if (o.kind === 'Secret') throw new Error('cannot read secrets'); return { status: 'compliant' }; } }] }];`);
    const run = await runPlugin({ packs: [pack] }, [manifest(configMap('orders'), secret('orders'))]);
    expect(run.submitted.map((s) => s.status)).toEqual(['failure']);
    expect(run.violations).toEqual([expect.objectContaining({
      ruleName: 'FLAKY-RULE: the rule failed on these objects (a bug in the rule)',
      violatingResources: [expect.objectContaining({ locations: ['Secret shop/orders: the rule failed on this object: cannot read secrets'] })],
    })]);
  });

  test('a pack module built with the library itself (PolicyPack.of, Verdict) is loaded from a path relative to the project', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'project-'));
    fs.writeFileSync(path.join(dir, 'lib-pack.js'), `const { PolicyPack, RuleLevel, Verdict } = require(${JSON.stringify(path.join(REPO, 'src'))});
module.exports = PolicyPack.of('typed', [{ id: 'TYPED-NO-SECRETS', level: RuleLevel.ERROR, finding: 'A Secret is in the YAML.', explanation: 'Use an external secret store.',
  evaluate: (o) => (o.kind === 'Secret' ? Verdict.nonCompliant('Secret ' + o.metadata.name + ' is written in the manifest') : Verdict.compliant()) }]);`);
    jest.spyOn(process, 'cwd').mockReturnValue(dir);
    try {
      const run = await runPlugin({ packs: ['./lib-pack.js'] }, [manifest(configMap('orders'), secret('orders'))]);
      expect(run.violations.map((v) => v.violatingResources[0].locations[0])).toEqual(['Secret shop/orders: Secret orders is written in the manifest']);
      expect(run.submitted.map((s) => s.status)).toEqual(['failure']);
    } finally {
      jest.restoreAllMocks();
    }
  });

  test('a manifest that cannot be read is a violation and a failure, the others are still checked', async () => {
    const broken = path.join(tmp, 'removed.k8s.yaml');
    const run = await runPlugin({ packs: [teamPack] }, [broken, manifest(secret('lonely', {}))]);
    expect(run.submitted.map((s) => s.status)).toEqual(['failure']);
    expect(run.violations.map((v) => v.ruleName)).toEqual([
      'TEAM-OWNER-LABEL: An object has no `team` label.',
      'MANIFEST-UNREADABLE: a synthesized manifest could not be read',
    ]);
    expect(run.violations[1].violatingResources[0].manifestPath).toBe(broken);
  });

  test('by default both built-in packs are checked', async () => {
    const run = await runPlugin({}, []);
    expect(run.submitted).toEqual([{ status: 'success', metadata: expect.objectContaining({ packs: 'data-on-kubernetes, security-baseline', objects: '0' }) }]);
    const one = await runPlugin({ packs: ['security-baseline'] }, []);
    expect(one.submitted[0].metadata.packs).toBe('security-baseline');
  });

  test('the package exports the class under the name cdk8s.yaml gives as `class`', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(require(path.join(REPO, 'src')).PolicyValidationPlugin).toBe(PluginModule.PolicyValidationPlugin);
  });

  test('a context that is not the CLI\'s is refused', async () => {
    await expect(new PolicyValidationPlugin().validate({ manifests: [] })).rejects.toThrow(/`context` must be the cdk8s CLI's validation context .* `cdk8s synth --validate`/);
  });
});

describe('PolicyValidationPlugin refuses bad properties, naming the property and the fix', () => {
  const emptyModule = write('nothing.js', 'module.exports = { answer: 42 };');
  const badIdModule = write('bad-id.js', 'module.exports = { name: \'team\', rules: [{ id: \'lower-case\', level: \'error\', finding: \'x\', explanation: \'y\', evaluate: () => null }] };');
  test.each([
    [{ failon: 'error' }, /unknown property `failon`: the properties are `packs`, `failOn`, `suppressions`/],
    [{ packs: ['data-on-kubernets'] }, /`packs` names an unknown pack 'data-on-kubernets': use 'data-on-kubernetes', 'security-baseline', or the path of a module/],
    [{ packs: 'security-baseline' }, /`packs` must be a non-empty list of pack names or paths, got "security-baseline"/],
    [{ packs: [] }, /`packs` must be a non-empty list .* \(leave `packs` out for both built-in packs\)/],
    [{ packs: ['./missing-pack.js'] }, /`packs` entry '.\/missing-pack.js' \(resolved from the current folder, the cdk8s project, to .*missing-pack.js\) cannot be loaded: Cannot find module/],
    [{ packs: [emptyModule] }, /exports no PolicyPack: export one, e\.g\. `module.exports = \{ teamPack: PolicyPack.of\('team', \[myRule\]\) \}`/],
    [{ packs: [badIdModule] }, /`packs` entry '.*bad-id.js': PolicyPack.of\('team'\): rule id "lower-case" must be upper case/],
    [{ failOn: 'critical' }, /`failOn` is "critical": use one of error, warning, info/],
    [{ suppressions: { ruleId: 'X' } }, /`suppressions` must be a list of \{ ruleId, reason, kind\?, namespace\?, name\? \}/],
    [{ packs: [teamPack], suppressions: [{ ruleId: 'TEAM-OWNER', reason: 'long enough reason' }] },
      /`suppressions\[0\]`.ruleId "TEAM-OWNER" is not a rule of the packs checked \(team\): use a rule id from RULES.md or your pack, e.g. 'TEAM-OWNER-LABEL'/],
    [{ packs: [teamPack], suppressions: [{ ruleId: 'TEAM-OWNER-LABEL', reason: 'legacy' }] },
      /`suppressions\[0\]`.reason for TEAM-OWNER-LABEL is "legacy": say why breaking the rule is right here, in at least 10 characters/],
    [{ packs: [teamPack], suppressions: [{ ruleId: 'TEAM-OWNER-LABEL', reason: 'legacy object', names: 'x' }] },
      /`suppressions\[0\]` has an unknown field `names`: the fields are ruleId, reason, kind, namespace, name/],
    [{ packs: [teamPack], suppressions: [{ ruleId: 'TEAM-OWNER-LABEL', reason: 'legacy object', kind: '' }] },
      /`suppressions\[0\]`.kind must be a non-empty string \(leave it out to match every kind\)/],
  ])('%j', (properties, message) => {
    expect(() => new PolicyValidationPlugin(properties as any)).toThrow(message);
    expect(() => new PolicyValidationPlugin(properties as any)).toThrow(/^PolicyValidationPlugin \(cdk8s.yaml `validations\[\].properties`\): /);
  });
});

describe('PolicyValidationPlugin run by `cdk8s synth --validate`', () => {
  /** A throw-away cdk8s project whose app writes the given objects and validates them with the plugin from this repo's src. */
  function project(name: string, objects: any[]): string {
    assertValidManifests(objects);
    const dir = path.join(tmp, name);
    fs.mkdirSync(path.join(dir, 'plugin'), { recursive: true });
    // The compiled lib/ does not exist during `npm test`: the plugin is the TypeScript source, through ts-node. The
    // plugin's own module, not src/index.ts: transpiling the whole library takes 5 s of the run (index's export: above).
    fs.writeFileSync(path.join(dir, 'plugin', 'index.js'), `require(${JSON.stringify(path.join(REPO, 'node_modules', 'ts-node'))})`
      + `.register({ transpileOnly: true, project: ${JSON.stringify(path.join(REPO, 'test', 'tsconfig.json'))} });\n`
      + `module.exports = require(${JSON.stringify(path.join(REPO, 'src', 'policy', 'validation-plugin.ts'))});\n`);
    fs.writeFileSync(path.join(dir, 'team-pack.js'), TEAM_PACK);
    fs.writeFileSync(path.join(dir, 'main.js'), `const { App, Chart, ApiObject } = require(${JSON.stringify(path.join(REPO, 'node_modules', 'cdk8s'))});
const app = new App();
const chart = new Chart(app, 'shop', { namespace: 'shop' });
for (const o of ${JSON.stringify(objects)}) new ApiObject(chart, o.kind + '-' + o.metadata.name, o);
app.synth();
`);
    fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), Yaml.stringify({
      language: 'typescript',
      app: 'node main.js',
      output: 'dist',
      validations: [{ package: './plugin', version: '0.0.0', class: 'PolicyValidationPlugin', properties: { packs: ['./team-pack.js'], failOn: 'error' } }],
    }));
    return dir;
  }

  function synth(dir: string): Promise<{ code: number | null; out: string; seconds: number }> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(REPO, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s'), 'synth', '--validate', '--check-upgrade', 'false'],
        { cwd: dir, env: { ...process.env, FORCE_COLOR: '0' } });
      let out = '';
      child.stdout.on('data', (d) => out += d);
      child.stderr.on('data', (d) => out += d);
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out, seconds: (Date.now() - started) / 1000 }));
    });
  }

  test('fails on the app with a violation, naming the rule, the object and its construct path; passes the compliant app', async () => {
    const owned = { ...configMap('settings', { team: 'payments' }, { 'team/description': 'x' }) };
    const orphan = { ...secret('settings', { team: 'payments' }), metadata: { name: 'orphan', namespace: 'shop' } };
    // Both runs at once: each loads the library's source through ts-node, which takes most of the time.
    const [failing, passing] = await Promise.all([
      synth(project('failing-app', [owned, orphan, secret('settings')])),
      synth(project('passing-app', [owned, secret('settings')])),
    ]);
    expect(failing.out).toContain('TEAM-OWNER-LABEL: An object has no `team` label. (1 occurrences)');
    expect(failing.out).toMatch(/- Construct Path: shop\/Secret-orphan\n\s+- Manifest Path: dist\/shop.k8s.yaml\n\s+- Resource Name: orphan\n\s+- Locations:\n\s+> Secret shop\/orphan: no `team` label/);
    expect(failing.out).toContain('Validation failed. See above reports for details');
    expect(failing.code).toBe(2);
    expect(passing.out).toContain('Validations ended succesfully');
    expect(passing.out).not.toContain('TEAM-OWNER-LABEL');
    expect(passing.code).toBe(0);
    expect(Math.max(failing.seconds, passing.seconds)).toBeLessThan(100);
  }, 120_000);
});
