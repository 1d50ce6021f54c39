/**
 * Synth benchmark: N databases in one chart, ours against the floor (the same manifests as plain cdk8s
 * ApiObjects from literal JSON), alternating runs in one process, medians reported. Besides: the synth report's share
 * of ours (it is written by the App's validation, which synthYaml runs) and the policy check over the same apps.
 * Run with `npm run bench`: writes results.md and results.json to bench/.build (git-ignored), so a run never
 * changes tracked files. `BENCH_OUT=bench npm run bench` updates the committed record, bench/results.md.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Cron } from 'cdk8s';
import {
  BackupMethod, BackupSchedule, BackupTarget, Engine, Policy, PostgresVersion, ReplicatedDatabase, Retention, StatefulDatabase,
} from '../src';
import { PICTURES_CONTEXT, SynthReport } from '../src/report/synth-report';

// Compiled to bench/.build/bench/: the project root is three levels up.
const ROOT = path.resolve(__dirname, '../../..');
const SIZES = [1, 10, 100, 1000];
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-databases-bench-'));

type Kind = 'StatefulDatabase' | 'ReplicatedDatabase';

function newApp(pictures = true): { app: App; chart: Chart } {
  const app = new App({ outdir: OUTDIR });
  if (!pictures) app.node.setContext(PICTURES_CONTEXT, false);
  return { app, chart: new Chart(app, 'bench', { namespace: 'bench' }) };
}

const S3 = BackupTarget.s3({ endpoint: 'https://s3.example.com', bucket: 'bench-backups', credentialsSecretName: 'backup-s3' });

/** N databases through the constructs; each ReplicatedDatabase with a BackupSchedule (snapshots and dumps). */
function build(chart: Chart, kind: Kind, n: number): void {
  const engine = Engine.postgres({ version: PostgresVersion.V16 });
  for (let i = 0; i < n; i++) {
    if (kind === 'StatefulDatabase') {
      new StatefulDatabase(chart, `db${i}`, { engine, name: `db${i}` });
      continue;
    }
    const db = new ReplicatedDatabase(chart, `db${i}`, { engine, name: `db${i}`, replicas: 3, zones: ZONES });
    new BackupSchedule(chart, `backup${i}`, {
      database: db,
      methods: [
        BackupMethod.volumeSnapshot({ snapshotClassName: 'csi-snap', schedule: Cron.schedule({ minute: '0', hour: '*/6' }), retention: Retention.keepLast(8) }),
        BackupMethod.logicalDump({ schedule: Cron.schedule({ minute: '30', hour: '2' }), target: S3, retention: Retention.keepLast(14) }),
      ],
    });
  }
}

/**
 * Ours: synthesized to YAML in memory, with the synth report but without its pictures (the floor writes no report; the
 * pictures' cost is a fixed child process plus a little per database, timed and targeted on its own below).
 */
function ours(kind: Kind, n: number): string {
  const { app, chart } = newApp(false);
  build(chart, kind, n);
  return app.synthYaml();
}

/** The floor: the very same manifests, written by hand as ApiObjects from literal JSON. */
function floor(manifests: any[]): string {
  const { app, chart } = newApp();
  manifests.forEach((m, i) => new ApiObject(chart, `o${i}`, m));
  return app.synthYaml();
}

function manifestsOf(kind: Kind, n: number): any[] {
  const { chart } = newApp();
  build(chart, kind, n);
  return JSON.parse(JSON.stringify(chart.toJson()));
}

/** An app built untimed, for timing one step of its synth alone. */
function built(kind: Kind, n: number, pictures: boolean): App {
  const { app, chart } = newApp(pictures);
  build(chart, kind, n);
  return app;
}

function time<T>(fn: () => T): { ms: number; out: T } {
  const start = process.hrtime.bigint();
  const out = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, out };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits = 3) => Number(x.toFixed(digits));

interface Row {
  n: number;
  objects: number;
  oursMs: number;
  floorMs: number;
  msPerDatabase: number;
  msPerObject: number;
  ratioToFloor: number;
  peakRssMb: number;
  /** The synth report alone (its validation), with the pictures and without them. */
  reportMs: number;
  reportNoPicturesMs: number;
  /** `Policy.checkApp` (renders every object, then runs the built-in rules), and the rules alone over the rendered JSON. */
  policyMs: number;
  rulesMs: number;
}

function measure(kind: Kind): Row[] {
  const rows: Row[] = [];
  for (const n of SIZES) {
    const manifests = manifestsOf(kind, n);
    const runs = n >= 1000 ? 3 : n >= 100 ? 5 : 11;
    const oursMs: number[] = [];
    const floorMs: number[] = [];
    // Warm-up, and the identity check: both must produce the same YAML.
    const a = ours(kind, n);
    const b = floor(manifests);
    if (a !== b) throw new Error(`${kind} N=${n}: ours and floor differ`);
    for (let r = 0; r < runs; r++) {
      oursMs.push(time(() => ours(kind, n)).ms);
      floorMs.push(time(() => floor(manifests)).ms);
    }
    // The report's steps and the policy check, each on an app built untimed (fewer runs: each needs a build of its own).
    const reportMs: number[] = [];
    const reportNoPicturesMs: number[] = [];
    const policyMs: number[] = [];
    const rulesMs: number[] = [];
    for (let r = 0; r < Math.max(1, runs - 2); r++) {
      const plain = built(kind, n, false);
      reportNoPicturesMs.push(time(() => SynthReport.of(plain).node.validate()).ms);
      policyMs.push(time(() => Policy.checkApp(plain)).ms);
      rulesMs.push(time(() => Policy.check(manifests)).ms);
      const pictured = built(kind, n, true);
      reportMs.push(time(() => SynthReport.of(pictured).node.validate()).ms);
    }
    const o = median(oursMs);
    const f = median(floorMs);
    rows.push({
      n,
      objects: manifests.length,
      oursMs: round(o, 1),
      floorMs: round(f, 1),
      msPerDatabase: round(o / n),
      msPerObject: round(o / manifests.length, 4),
      ratioToFloor: round(o / f, 2),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      reportMs: round(median(reportMs), 1),
      reportNoPicturesMs: round(median(reportNoPicturesMs), 1),
      policyMs: round(median(policyMs), 1),
      rulesMs: round(median(rulesMs), 1),
    });
    const last = rows[rows.length - 1];
    console.error(`${kind} N=${n}: ours ${last.oursMs} ms, floor ${last.floorMs} ms, ratio ${last.ratioToFloor}; `
      + `report ${last.reportMs} ms (${last.reportNoPicturesMs} without pictures); policy check ${last.policyMs} ms (rules ${last.rulesMs} ms)`);
  }
  return rows;
}

const met = (ok: boolean) => (ok ? ': met' : ': NOT MET');

/** The synth report's share of ours: its validation alone, with and without the pictures (one Graphviz child process). */
function reportLines(rows: Row[]): string[] {
  const lines = ['Synth report (its JSON and Markdown are part of ours above; timed alone, with and without pictures, on an app built untimed):', '',
    '| N | report ms | of which pictures ms | report ms / database | ours without the report / floor | ours with the pictures / floor |',
    '|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.n} | ${r.reportMs} | ${round(r.reportMs - r.reportNoPicturesMs, 1)} | ${round(r.reportMs / r.n)} | `
      + `${round((r.oursMs - r.reportNoPicturesMs) / r.floorMs, 2)} | ${round((r.oursMs - r.reportNoPicturesMs + r.reportMs) / r.floorMs, 2)} |`);
  }
  // The pictures: one Graphviz child process per synth (its start is the fixed part), then a few ms per database.
  const by = Object.fromEntries(rows.map((r) => [r.n, r]));
  const perDatabase = (by[1000].reportMs - by[1000].reportNoPicturesMs - (by[1].reportMs - by[1].reportNoPicturesMs)) / 999;
  return [...lines, '',
    `Pictures per database at N=1000 (beyond the fixed start at N=1): ${round(perDatabase, 2)} ms (target <= 3 ms)${met(perDatabase <= 3)}.`, ''];
}

/**
 * Policy.checkApp over the same apps (what Policy.enforce adds to a synth). Targets: linear in the databases of one
 * namespace (rules compare objects, a quadratic rule shows here first), and at N=1000 at most three quarters of the floor (a plain synth of the same YAML).
 */
function policyLines(rows: Row[]): string[] {
  const lines = ['Policy check (`Policy.checkApp(app)`: renders every object, then the built-in packs; rules alone: `Policy.check` over the rendered JSON):', '',
    '| N | objects | check ms | ms / database | rules alone ms | check / floor |', '|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.n} | ${r.objects} | ${r.policyMs} | ${round(r.policyMs / r.n)} | ${r.rulesMs} | ${round(r.policyMs / r.floorMs, 2)} |`);
  const by = Object.fromEntries(rows.map((r) => [r.n, r]));
  const growth = by[1000].policyMs / 1000 / (by[100].policyMs / 100) - 1;
  const share = by[1000].policyMs / by[1000].floorMs;
  return [...lines, '',
    `Policy linearity: ms per database at N=1000 is ${round(growth * 100, 1)} % from N=100 (target within 20 %)${met(Math.abs(growth) <= 0.2)}.`,
    `Policy share at N=1000: check / floor ${round(share, 2)} (target <= 0.75)${met(share <= 0.75)}.`, ''];
}

/** Module load in a fresh process: cdk8s-plus-28 alone, then the library on top of it. */
function requireMs(): { plusMs: number; libraryMs: number } {
  const script = `
    const t0 = process.hrtime.bigint(); require('cdk8s-plus-28');
    const t1 = process.hrtime.bigint(); require(${JSON.stringify(path.join(ROOT, 'lib'))});
    const t2 = process.hrtime.bigint();
    console.log(JSON.stringify({ plus: Number(t1 - t0) / 1e6, lib: Number(t2 - t1) / 1e6 }));`;
  const samples = Array.from({ length: 7 }, () => JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT }).toString()));
  return { plusMs: round(median(samples.map((s) => s.plus)), 1), libraryMs: round(median(samples.map((s) => s.lib)), 1) };
}

/** End-to-end `cdk8s synth` of the postgres example with its compiled app (examples/.build). */
function cliSynthMs(): number {
  const dir = path.join(ROOT, 'examples', 'postgres');
  const cli = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');
  const samples = Array.from({ length: 3 }, () => {
    const start = process.hrtime.bigint();
    execFileSync(cli, ['synth', '--check-upgrade', 'false'], { cwd: dir, stdio: 'ignore' });
    return Number(process.hrtime.bigint() - start) / 1e6;
  });
  return round(median(samples), 0);
}

function main(): void {
  const results: Record<string, Record<string, Row>> = {};
  const lines: string[] = [];
  for (const kind of ['StatefulDatabase', 'ReplicatedDatabase'] as Kind[]) {
    const rows = measure(kind);
    results[kind] = Object.fromEntries(rows.map((r) => [String(r.n), r]));
    lines.push(`### ${kind}${kind === 'ReplicatedDatabase' ? ' (3 replicas, PostgreSQL, 3 zones, with a BackupSchedule of snapshots and dumps)' : ' (PostgreSQL)'}`, '',
      '| N | objects | ours ms | floor ms | ms / database | ms / object | ours / floor | peak RSS MB |', '|---|---|---|---|---|---|---|---|');
    for (const r of rows) lines.push(`| ${r.n} | ${r.objects} | ${r.oursMs} | ${r.floorMs} | ${r.msPerDatabase} | ${r.msPerObject} | ${r.ratioToFloor} | ${r.peakRssMb} |`);
    const per100 = results[kind]['100'].msPerDatabase;
    const per1000 = results[kind]['1000'].msPerDatabase;
    const at1000 = results[kind]['1000'];
    lines.push('', `Linearity: ms per database at N=1000 is ${round((per1000 / per100 - 1) * 100, 1)} % from N=100 (target within 20 %)${met(Math.abs(per1000 / per100 - 1) <= 0.2)}.`,
      `Ratio at N=1000: ${at1000.ratioToFloor} (target <= 1.3)${met(at1000.ratioToFloor <= 1.3)}.`, '');
    lines.push(...reportLines(rows), ...policyLines(rows));
  }
  const load = requireMs();
  const cli = cliSynthMs();
  const json = {
    ...Object.fromEntries(Object.entries(results).map(([k, rows]) => [k, Object.fromEntries(Object.entries(rows).map(([n, r]) =>
      [n, {
        msPerDatabase: r.msPerDatabase,
        ratioToFloor: r.ratioToFloor,
        peakRssMb: r.peakRssMb,
        objects: r.objects,
        reportMs: r.reportMs,
        reportNoPicturesMs: r.reportNoPicturesMs,
        policyMs: r.policyMs,
        rulesMs: r.rulesMs,
      }]))])),
    requireMs: load.libraryMs,
    cdk8sPlusRequireMs: load.plusMs,
    cliSynthExampleMs: cli,
    machine: { cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}` },
  };
  const md = [
    '# Synth benchmark', '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.arch()}.`,
    'Each N runs ours and the floor alternately in one process (11 runs, 5 at N=100, 3 at N=1000, after one warm-up) and reports medians. The floor is the',
    'same manifests built as plain cdk8s ApiObjects from literal JSON (read back from our own output); the benchmark asserts both',
    'produce identical YAML. Peak RSS is the process high-water mark after that N (it only grows over the run).',
    'Ours includes the synth report without its pictures (the context cdk8s-databases/report-pictures: false; the floor writes no report). The report, with and without pictures, and the policy check are also timed alone, on apps',
    'built untimed (medians of 9 runs, 3 at N=100, 1 at N=1000).', '',
    ...lines,
    '### Cold start', '',
    `- \`require('cdk8s-plus-28')\`: ${load.plusMs} ms; \`require('cdk8s-databases')\` on top of it: ${load.libraryMs} ms (target <= 100 ms beyond cdk8s-plus-28).`,
    `- \`cdk8s synth\` of examples/postgres with its compiled app, end to end: ${cli} ms (median of 3).`, '',
  ].join('\n');
  const out = path.resolve(ROOT, process.env.BENCH_OUT ?? path.join('bench', '.build'));
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'results.md'), md);
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(json, null, 2) + '\n');
  fs.rmSync(OUTDIR, { recursive: true, force: true });
  console.log(md);
  console.log(`Written to ${path.relative(ROOT, out) || '.'}/results.{md,json}.`);
}

main();
