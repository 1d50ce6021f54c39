import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Size } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { ApplySafety, ApplyVerdict, Engine, PostgresVersion, StatefulDatabase } from '../src';
import { newChart, synthValid } from './support/synth';
import { assertValidManifests } from './support/validate';

const EXAMPLES = path.resolve(__dirname, '../examples');
const outdirs = new Map<string, string>();
function outdirOf(name: string): string {
  if (!outdirs.has(name)) outdirs.set(name, fs.mkdtempSync(path.join(os.tmpdir(), `example-${name}-`)));
  return outdirs.get(name)!;
}

const names = fs.readdirSync(EXAMPLES).filter((n) => fs.existsSync(path.join(EXAMPLES, n, 'main.ts')));

/** Runs an example app with its output redirected to a temporary folder and reads back its YAML. */
function runExample(name: string): any[] {
  return [...runExampleFiles(name).values()].flat();
}

/** The YAML of an example by file: a DRPair writes one file per cluster. */
function runExampleFiles(name: string): Map<string, any[]> {
  const outdir = outdirOf(name);
  process.env.CDK8S_OUTDIR = outdir;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jest.isolateModules(() => require(path.join(EXAMPLES, name, 'main.ts')));
  } finally {
    delete process.env.CDK8S_OUTDIR;
  }
  return new Map(fs.readdirSync(outdir).filter((f) => f.endsWith('.k8s.yaml')).map((file) => [file,
    parseAllDocuments(fs.readFileSync(path.join(outdir, file), 'utf8')).map((d) => d.toJS()).filter((d) => d)]));
}

describe('examples', () => {
  test('there is one per engine, a custom engine (ClickHouse), one replicated app with every engine, a day-2 change and the DR pairs', () => {
    expect(names.sort()).toEqual(['backups', 'cassandra', 'clickhouse', 'day2', 'dr-cold', 'dr-postgres', 'dr-volumes', 'mongodb', 'mysql', 'postgres', 'redis', 'replicated']);
  });

  test.each(names)('%s synthesizes valid objects', (name) => {
    const files = runExampleFiles(name);
    const manifests = [...files.values()].flat();
    expect(manifests.filter((m) => m.kind === 'StatefulSet').length).toBeGreaterThan(0);
    // A DRPair's sites are two clusters: each file is checked as one cluster (the same names may be on both).
    if (name.startsWith('dr-')) for (const m of files.values()) assertValidManifests(m);
    else assertValidManifests(manifests);
  });

  test.each(['replicated', 'backups'])('%s: `kubectl apply -f dist/` sees only Kubernetes objects (the report is in a subfolder)', (name) => {
    runExample(name);
    // kubectl reads every .json, .yaml and .yml directly in the folder (not subfolders without -R).
    const files = fs.readdirSync(outdirOf(name), { withFileTypes: true }).filter((f) => f.isFile() && /\.(json|ya?ml)$/.test(f.name));
    expect(files.map((f) => f.name).every((f) => f.endsWith('.k8s.yaml'))).toBe(true);
    for (const f of files) {
      for (const doc of parseAllDocuments(fs.readFileSync(path.join(outdirOf(name), f.name), 'utf8'))) {
        const obj = doc.toJSON();
        expect([typeof obj.apiVersion, typeof obj.kind, typeof obj.metadata?.name]).toEqual(['string', 'string', 'string']);
      }
    }
    // The report: the whole app's report.json and report.md, and a folder per chart (its report and pictures).
    const reportDir = path.join(outdirOf(name), 'cdk8s-databases-report');
    const charts = files.map((f) => f.name.replace(/\.k8s\.yaml$/, ''));
    expect(fs.readdirSync(reportDir).sort()).toEqual(['report.json', 'report.md', ...charts].sort());
    for (const chart of charts) expect(fs.readdirSync(path.join(reportDir, chart))).toEqual(expect.arrayContaining(['report.json', 'report.md']));
  });

  test('the replicated example writes the synth report beside its YAML', () => {
    runExample('replicated');
    const report = JSON.parse(fs.readFileSync(path.join(outdirOf('replicated'), 'cdk8s-databases-report', 'report.json'), 'utf8'));
    expect(report.databases.map((d: any) => [d.name, d.summary])).toEqual([
      ['orders-pg', '3 replicas over 3 zones; survives loss of 1 zone or 1 node; drains evict one pod at a time; quorum 2'],
      ['billing-mysql', '3 replicas over 3 zones; survives loss of 1 zone or 1 node; drains evict one pod at a time; quorum 2'],
      ['catalog-mongo', '3 replicas over 3 zones; survives loss of 1 zone or 1 node; drains evict one pod at a time; quorum 2'],
      ['sessions', '3 replicas over 3 zones; survives loss of 1 zone or 1 node; drains evict one pod at a time; quorum 2'],
      ['events', '6 replicas over 3 zones; survives loss of 1 zone or 1 node; drains evict one pod at a time; QUORUM needs 2 of 3 replicas per range'],
    ]);
  });

  test.each([
    ['dr-postgres', ['orders-site-a.k8s.yaml', 'orders-site-b.k8s.yaml'], 'databaseReplication pair: site-a active, site-b passive; RPO unbounded, RTO 18 min 40 s'],
    ['dr-cold', ['ledger-primary.k8s.yaml', 'ledger-recovery.k8s.yaml'], undefined],
    ['dr-volumes', ['inventory-dc1.k8s.yaml', 'inventory-dc2.k8s.yaml', 'sessions-dc1.k8s.yaml', 'sessions-dc2.k8s.yaml'], undefined],
  ])('%s: one YAML file per site and the pair\'s figures and runbook in the report', (name, files, summary) => {
    expect([...runExampleFiles(name as string).keys()].sort()).toEqual(files);
    const report = JSON.parse(fs.readFileSync(path.join(outdirOf(name as string), 'cdk8s-databases-report', 'report.json'), 'utf8'));
    for (const pair of report.disasterRecovery) {
      expect(pair.failover.some((step: string) => /patch job \S+-dr-promote-[0-9a-f]{6} --type merge/.test(step))).toBe(true);
      expect(pair.rtoTerms.length).toBeGreaterThanOrEqual(6);
    }
    if (summary) expect(report.disasterRecovery[0].summary).toBe(summary);
  });

  afterAll(() => {
    for (const dir of outdirs.values()) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the README shows the postgres example exactly as it is', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
    const example = fs.readFileSync(path.join(EXAMPLES, 'postgres', 'main.ts'), 'utf8');
    const shown = example.replace("from '../../src'", "from 'cdk8s-databases'");
    expect(readme).toContain('```ts\n' + shown + '```');
  });

  test('day2 applies over the database as it was first applied: the claim grows, the member restarts once, the migration is a new Job', () => {
    const first = newChart('shop');
    new StatefulDatabase(first, 'db', {
      name: 'orders-db', engine: Engine.postgres({ version: PostgresVersion.of('16.6') }), databaseName: 'orders', storageSize: Size.gibibytes(50),
    });
    const now = runExample('day2');
    const findings = ApplySafety.check(synthValid(first), now);
    expect(findings.filter((f) => ApplySafety.isBlocking(f))).toEqual([]);
    expect(findings.map((f) => `${f.verdict} ${f.kind} ${f.name} ${f.field}`)).toEqual([`${ApplyVerdict.RESTARTS_ALL} StatefulSet orders-db spec.template`]);
    const claim = now.find((m) => m.kind === 'PersistentVolumeClaim');
    expect([claim.metadata.name, claim.spec.resources.requests.storage]).toEqual(['data-orders-db-0', '200Gi']);
    expect(now.find((m) => m.kind === 'StatefulSet').spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
    expect(now.filter((m) => m.kind === 'Job').map((j) => j.metadata.name)).toContainEqual(expect.stringMatching(/^orders-db-migrate-[0-9a-f]{6}$/));
  });
});
