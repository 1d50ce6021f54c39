import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Resvg } from '@resvg/resvg-js';
import { ApiObject, App, Chart, Cron, Size } from 'cdk8s';
import { BackupMethod, BackupSchedule, Engine, Policy, PostgresVersion, ReplicatedDatabase, Retention } from '../src';

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/** An app of one replicated PostgreSQL with snapshots, synthesized with the policy check; returns its report folder. */
function synthesizedReport(): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-report-'));
  const app = new App({ outdir });
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  const db = new ReplicatedDatabase(chart, 'orders', {
    name: 'orders', engine: Engine.postgres({ version: PostgresVersion.V16 }), zones: ZONES, storageSize: Size.gibibytes(20),
  });
  new BackupSchedule(chart, 'backups', {
    database: db,
    timeZone: 'Europe/Berlin',
    methods: [BackupMethod.volumeSnapshot({ snapshotClassName: 'csi-snap', schedule: Cron.schedule({ minute: '0', hour: '2' }), retention: Retention.of({ keepLast: 7 }) })],
  });
  Policy.report(app);
  app.synth();
  return path.join(outdir, 'cdk8s-databases-report');
}

describe('the report of each chart', () => {
  const dir = synthesizedReport();

  test('a folder per chart beside the app\'s report, outside the folder kubectl applies', () => {
    expect(fs.readdirSync(dir).sort()).toEqual(['report.json', 'report.md', 'shop']);
    expect(fs.readdirSync(path.join(dir, 'shop')).sort()).toEqual(['orders.svg', 'report.json', 'report.md']);
  });

  test('report.json: the databases, backups, schedules in words, the picture and the chart\'s policy findings', () => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'shop', 'report.json'), 'utf8'));
    expect(json.chart).toBe('shop');
    // Asynchronous Patroni by default: one member keeps writes going.
    expect(json.databases.map((d: any) => d.summary)).toEqual(['3 replicas over 3 zones; survives loss of 2 zones or 2 nodes; drains evict one pod at a time; quorum 1']);
    expect(json.schedules).toEqual([{ cronJob: 'orders-snapshots', schedule: '0 2 * * *', timeZone: 'Europe/Berlin', inWords: 'every day at 02:00 Europe/Berlin' }]);
    expect(json.pictures).toEqual(['orders.svg']);
    expect(json.policy.packs).toEqual(['data-on-kubernetes', 'security-baseline']);
    // Every finding is one of this chart's objects, and the tallies add up in the app's report.
    for (const f of json.policy.findings) expect(f.constructPath.startsWith('shop/')).toBe(true);
    const app = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(app.policy.findings.length).toBe(json.policy.findings.length);
  });

  test('report.md: the policy verdict, the picture, the schedules in words', () => {
    const md = fs.readFileSync(path.join(dir, 'shop', 'report.md'), 'utf8');
    expect(md).toMatch(/^# shop\n\n## Policy\n\n\*\*(passed|FAILED)\*\* \(data-on-kubernetes, security-baseline; fails on error\)/);
    expect(md).toContain('![orders (postgresql 16.6)](orders.svg)');
    expect(md).toContain('- orders-snapshots: every day at 02:00 Europe/Berlin (`0 2 * * *`)');
  });

  test('the picture: zones as columns, members with their roles and budgets, the backups with their RPO; rendered to PNG', () => {
    const raw = fs.readFileSync(path.join(dir, 'shop', 'orders.svg'), 'utf8');
    const svg = raw.replace(/&#45;/g, '-');
    for (const text of [...ZONES, 'orders-0', 'orders-1', 'orders-2', 'primary', 'replica', 'budget: orders', 'one member down at a time', 'snapshots',
      'every day at 02:00 Europe/Berlin']) {
      expect(svg).toContain(text);
    }
    // The zones are side by side: the three zone titles share one baseline, at growing x.
    const titles = ZONES.map((z) => new RegExp(`<text[^>]*x="(-?[\\d.]+)" y="(-?[\\d.]+)"[^>]*>${z}</text>`).exec(svg)!);
    expect(new Set(titles.map((m) => m[2])).size).toBe(1);
    expect(titles.map((m) => Number(m[1]))).toEqual([...titles.map((m) => Number(m[1]))].sort((a, b) => a - b));
    const png = new Resvg(raw, { fitTo: { mode: 'width', value: 1200 }, font: { loadSystemFonts: true } }).render().asPng();
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    fs.mkdirSync(path.resolve(__dirname, '../test-reports'), { recursive: true });
    fs.writeFileSync(path.resolve(__dirname, '../test-reports/report-orders.png'), png);
  });
});

describe('pictures can be turned off for very large apps', () => {
  test('context cdk8s-databases/report-pictures: false writes no SVG, and the report says why', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-report-'));
    const app = new App({ outdir });
    app.node.setContext('cdk8s-databases/report-pictures', false);
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new ReplicatedDatabase(chart, 'orders', { name: 'orders', engine: Engine.postgres({ version: PostgresVersion.V16 }), zones: ZONES });
    app.synth();
    const dir = path.join(outdir, 'cdk8s-databases-report', 'shop');
    expect(fs.readdirSync(dir).sort()).toEqual(['report.json', 'report.md']);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect([json.pictures, json.picturesSkipped]).toEqual([[], 'the app\'s context sets cdk8s-databases/report-pictures to false']);
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).not.toContain('.svg');
  });
});

describe('file names from ids', () => {
  test('a chart id of dots stays inside the report folder; two databases of one name in two namespaces get two pictures', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-report-'));
    const app = new App({ outdir });
    const chart = new Chart(app, '..');
    // Other tools' StatefulSets (plain objects): the report draws them too.
    for (const ns of ['a', 'b']) {
      new ApiObject(chart, `pg-${ns}`, {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'pg', namespace: ns },
        spec: {
          serviceName: 'pg',
          replicas: 1,
          selector: { matchLabels: { app: 'pg' } },
          template: {
            metadata: { labels: { app: 'pg' } },
            spec: { containers: [{ name: 'pg', image: 'postgres:16.6' }] },
          },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
        },
      } as any);
    }
    Policy.report(app);
    app.synth();
    // Only the YAML and the report folder in the outdir: nothing of the report escaped into it.
    expect(fs.readdirSync(outdir).filter((f) => f !== 'cdk8s-databases-report').every((f) => f.endsWith('.k8s.yaml'))).toBe(true);
    const dir = path.join(outdir, 'cdk8s-databases-report', '--');
    expect(fs.readdirSync(dir).sort()).toEqual(['pg-2.svg', 'pg.svg', 'report.json', 'report.md']);
  });
});
