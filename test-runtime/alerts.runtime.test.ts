/**
 * The BackupSchedule alerts evaluated by Prometheus itself: the PrometheusRule of a synthesized BackupSchedule is
 * written as a rule file and `promtool test rules` replays kube-state-metrics series against it.
 * Series and labels as kube-state-metrics exports them (internal/store/cronjob.go, job.go): Job conditions give
 * three series (condition="true"|"false"|"unknown"); kube_cronjob_status_last_successful_time only exists after
 * a first success; kube_job_complete only exists once the Job has a Complete condition.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Cron, Duration, Testing, Yaml } from 'cdk8s';
import { BackupMethod, BackupSchedule, BackupTarget, Engine, PostgresVersion, ReplicatedDatabase, Retention } from '../src';
import { assertValidManifests } from '../test/support/validate';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const NS = 'shop';
/** Labels Prometheus adds when it scrapes kube-state-metrics: the joins must ignore them. */
const SCRAPE = { job: 'kube-state-metrics', instance: '10.0.0.5:8080' };
const SNAPSHOTS = 'orders-snapshots';
const SNAPSHOT_GAP = 6 * 3600 + 3600; // every 6 h, plus an hour for the run
const VERIFY = 'orders-verify';

function promtool(args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`promtool not found ("${PROMTOOL}"): run .ci/install-runtime-deps as root (installs Debian's prometheus package), or set PROMTOOL.`);
  }
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The rule groups of the PrometheusRule a BackupSchedule with alerts synthesizes to, read back from the YAML file. */
function synthesizedGroups(): any[] {
  const app = Testing.app();
  const chart = new Chart(app, 'shop', { namespace: NS });
  const pg = new ReplicatedDatabase(chart, 'pg', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders', zones: ['a', 'b', 'c'] });
  new BackupSchedule(chart, 'b', {
    database: pg,
    methods: [
      BackupMethod.volumeSnapshot({ snapshotClassName: 'csi-snap', schedule: Cron.schedule({ minute: '0', hour: '*/6' }), retention: Retention.keepLast(8) }),
      BackupMethod.logicalDump({
        schedule: Cron.schedule({ minute: '30', hour: '2' }),
        target: BackupTarget.pvc({ claimName: 'backups' }),
        retention: Retention.of({ keepLast: 14, maxAge: Duration.days(30) }),
      }),
    ],
    alerts: true,
    verification: { schedule: Cron.schedule({ minute: '0', hour: '5' }) },
  });
  app.synth();
  const files = fs.readdirSync(app.outdir).filter((f) => f.endsWith('.k8s.yaml'));
  const docs = files.flatMap((f) => Yaml.load(path.join(app.outdir, f)));
  assertValidManifests(docs);
  fs.rmSync(app.outdir, { recursive: true });
  const rules = docs.filter((d) => d?.kind === 'PrometheusRule');
  if (rules.length !== 1) throw new Error(`expected one PrometheusRule in ${files.join(', ')}, found ${rules.length}`);
  return rules[0].spec.groups;
}

const GROUPS = synthesizedGroups();
const RULES: any[] = GROUPS.flatMap((g) => g.rules);

// ---- series in promtool's notation, one sample a minute from time 0 (time() is then seconds since 0) ----
const MIN = 60;
const labelsOf = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
/** Runs of [value (undefined: absent), from minute, until minute (excluded)], in order and adjacent. */
function runs(...rs: [number | undefined, number, number][]): string {
  return rs.filter(([, from, until]) => until > from)
    .map(([v, from, until]) => (v === undefined ? `_x${until - from}` : until - from === 1 ? `${v}` : `${v}x${until - from - 1}`))
    .join(' ');
}
/** Absent before minute `from`, then `value` until minute `until` (excluded). */
const samples = (value: number, from: number, until: number) => runs([undefined, 0, from], [value, from, until]);
interface Series { readonly series: string; readonly values: string }
const series = (name: string, labels: Record<string, string>, values: string): Series =>
  ({ series: `${name}${labelsOf({ ...labels, ...SCRAPE })}`, values });

/** A CronJob created at minute `created`, its first (and last) success at minute `success` if any. */
function cronJob(name: string, end: number, o: { created: number; success?: number; namespace?: string }): Series[] {
  const l = { namespace: o.namespace ?? NS, cronjob: name };
  const out = [series('kube_cronjob_created', l, samples(o.created * MIN, o.created, end))];
  if (o.success !== undefined) out.push(series('kube_cronjob_status_last_successful_time', l, samples(o.success * MIN, o.success, end)));
  return out;
}

/** A Job of a CronJob: created at minute `created`, finished at minute `finished` ('complete' or 'failed'). */
function job(owner: string, jobName: string, end: number, o: { created: number; finished: number; outcome: 'complete' | 'failed'; failedPods?: number }): Series[] {
  const l = { namespace: NS, job_name: jobName };
  const conditions = (metric: string, from: number) => ['true', 'false', 'unknown'].map((c) =>
    series(metric, { ...l, condition: c }, samples(c === 'true' ? 1 : 0, from, end)));
  return [
    series('kube_job_owner', { ...l, owner_kind: 'CronJob', owner_name: owner, owner_is_controller: 'true' }, samples(1, o.created, end)),
    series('kube_job_created', l, samples(o.created * MIN, o.created, end)),
    series('kube_job_status_start_time', l, samples(o.created * MIN, o.created, end)),
    // Failed pods: the old expression's input. A Job whose retry succeeded still counts its failed pod.
    series('kube_job_status_failed', { ...l, reason: '' },
      runs([undefined, 0, o.created], [0, o.created, o.finished], [o.failedPods ?? (o.outcome === 'failed' ? 2 : 0), o.finished, end])),
    ...(o.outcome === 'complete'
      ? [...conditions('kube_job_complete', o.finished), series('kube_job_status_completion_time', l, samples(o.finished * MIN, o.finished, end))]
      : conditions('kube_job_failed', o.finished)),
  ];
}

function rule(alert: string, cronJobName: string): any {
  const found = RULES.filter((r) => r.alert === alert && r.expr.includes(`"${cronJobName}"`));
  if (found.length !== 1) throw new Error(`expected one ${alert} rule for ${cronJobName}, found ${found.length}`);
  return found[0];
}
/** The alert promtool should report: the rule's labels and the series' labels, its annotations expanded. */
function firing(alert: string, cronJobName: string, labels: Record<string, string>): any {
  const r = rule(alert, cronJobName);
  const annotations = Object.fromEntries(Object.entries(r.annotations as Record<string, string>)
    .map(([k, v]) => [k, v.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, name: string) => labels[name])]));
  return { exp_labels: { ...r.labels, ...SCRAPE, ...labels }, exp_annotations: annotations };
}
/** A time as promtool writes it: 7h20m, 50m, 10h. */
const at = (minutes: number) => `${minutes >= 60 ? `${Math.floor(minutes / 60)}h` : ''}${minutes % 60 || minutes === 0 ? `${minutes % 60}m` : ''}`;

interface Case {
  readonly name: string;
  readonly series: Series[];
  readonly checks: { readonly minute: number; readonly alert: string; readonly firing: any[] }[];
}

const END = 12 * 60;
const CASES: Case[] = [
  {
    name: 'never succeeded, younger than the allowed gap: quiet (another namespace\'s old CronJob of that name is ignored)',
    series: [...cronJob(SNAPSHOTS, END, { created: 0 }), ...cronJob(SNAPSHOTS, END, { created: 0, namespace: 'other' })],
    checks: [
      { minute: 6 * 60, alert: 'DatabaseBackupTooOld', firing: [] },
      // Over the gap (7 h) for 10 min: still pending (for: 15m).
      { minute: 7 * 60 + 10, alert: 'DatabaseBackupTooOld', firing: [] },
    ],
  },
  {
    name: 'never succeeded, older than the allowed gap: fires',
    series: cronJob(SNAPSHOTS, END, { created: 0 }),
    checks: [{ minute: 7 * 60 + 20, alert: 'DatabaseBackupTooOld', firing: [firing('DatabaseBackupTooOld', SNAPSHOTS, { namespace: NS, cronjob: SNAPSHOTS })] }],
  },
  {
    name: 'succeeded recently: quiet',
    series: cronJob(SNAPSHOTS, END, { created: 0, success: 6 * 60 }),
    checks: [
      { minute: 6 * 60 + 50, alert: 'DatabaseBackupTooOld', firing: [] },
      { minute: 12 * 60, alert: 'DatabaseBackupTooOld', firing: [] },
    ],
  },
  {
    name: 'last success older than the allowed gap: fires',
    series: cronJob(SNAPSHOTS, END, { created: 0, success: 60 }),
    checks: [
      { minute: 7 * 60 + 20, alert: 'DatabaseBackupTooOld', firing: [] },
      { minute: 9 * 60, alert: 'DatabaseBackupTooOld', firing: [firing('DatabaseBackupTooOld', SNAPSHOTS, { namespace: NS, cronjob: SNAPSHOTS })] },
    ],
  },
  {
    name: 'newest verification Job failed after an older success: fires, naming that Job',
    series: [
      ...job(VERIFY, `${VERIFY}-100`, END, { created: 10, finished: 20, outcome: 'complete' }),
      ...job(VERIFY, `${VERIFY}-200`, END, { created: 60, finished: 90, outcome: 'failed' }),
    ],
    checks: [
      { minute: 50, alert: 'DatabaseRestoreVerificationFailed', firing: [] },
      { minute: 120, alert: 'DatabaseRestoreVerificationFailed', firing: [firing('DatabaseRestoreVerificationFailed', VERIFY, { namespace: NS, job_name: `${VERIFY}-200`, owner_name: VERIFY })] },
    ],
  },
  {
    name: 'verification failed, then a newer Job succeeded: fires, then quiet while the failed Job stays in history',
    series: [
      ...job(VERIFY, `${VERIFY}-100`, END, { created: 10, finished: 20, outcome: 'failed' }),
      ...job(VERIFY, `${VERIFY}-200`, END, { created: 60, finished: 90, outcome: 'complete' }),
    ],
    checks: [
      { minute: 50, alert: 'DatabaseRestoreVerificationFailed', firing: [firing('DatabaseRestoreVerificationFailed', VERIFY, { namespace: NS, job_name: `${VERIFY}-100`, owner_name: VERIFY })] },
      // The newer Job is running: not finished, the failure still stands.
      { minute: 80, alert: 'DatabaseRestoreVerificationFailed', firing: [firing('DatabaseRestoreVerificationFailed', VERIFY, { namespace: NS, job_name: `${VERIFY}-100`, owner_name: VERIFY })] },
      { minute: 95, alert: 'DatabaseRestoreVerificationFailed', firing: [] },
      { minute: 600, alert: 'DatabaseRestoreVerificationFailed', firing: [] },
    ],
  },
  {
    name: 'newest snapshot Job failed: DatabaseBackupFailed for that CronJob only',
    series: [
      ...job(SNAPSHOTS, `${SNAPSHOTS}-100`, END, { created: 10, finished: 20, outcome: 'failed' }),
      ...job(VERIFY, `${VERIFY}-100`, END, { created: 10, finished: 20, outcome: 'complete' }),
    ],
    checks: [
      { minute: 60, alert: 'DatabaseBackupFailed', firing: [firing('DatabaseBackupFailed', SNAPSHOTS, { namespace: NS, job_name: `${SNAPSHOTS}-100`, owner_name: SNAPSHOTS })] },
      { minute: 60, alert: 'DatabaseRestoreVerificationFailed', firing: [] },
    ],
  },
  {
    name: 'a snapshot Job whose first pod failed and whose retry succeeded (backoffLimit 1): quiet',
    series: job(SNAPSHOTS, `${SNAPSHOTS}-100`, END, { created: 10, finished: 20, outcome: 'complete', failedPods: 1 }),
    checks: [{ minute: 60, alert: 'DatabaseBackupFailed', firing: [] }],
  },
];

function promtoolTests(cases: Case[]): any {
  return {
    rule_files: ['rules.yaml'],
    evaluation_interval: '1m',
    tests: cases.map((c) => ({
      name: c.name,
      interval: '1m',
      input_series: c.series,
      alert_rule_test: c.checks.map((k) => ({ eval_time: at(k.minute), alertname: k.alert, exp_alerts: k.firing })),
    })),
  };
}

/** Runs promtool in a fresh folder holding rules.yaml (the groups) and tests.yaml (the cases). */
function inWorkdir(groups: any[], cases: Case[], args: string[]): { code: number | null; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alerts-'));
  try {
    fs.writeFileSync(path.join(dir, 'rules.yaml'), Yaml.stringify({ groups }));
    fs.writeFileSync(path.join(dir, 'tests.yaml'), Yaml.stringify(promtoolTests(cases)));
    return promtool(args, dir);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}

describe('BackupSchedule alerts under promtool', () => {
  test('promtool is installed', () => {
    const r = promtool(['--version'], os.tmpdir());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/promtool, version 2\./);
  });

  test('the synthesized rules: too old and newest run failed per backup CronJob, verification failed', () => {
    expect(RULES.map((r) => [r.alert, r.labels.severity])).toEqual([
      ['DatabaseBackupTooOld', 'critical'], ['DatabaseBackupTooOld', 'critical'],
      ['DatabaseBackupFailed', 'warning'], ['DatabaseBackupFailed', 'warning'],
      ['DatabaseRestoreVerificationFailed', 'critical'],
    ]);
    expect(rule('DatabaseBackupTooOld', SNAPSHOTS).expr).toContain(`> ${SNAPSHOT_GAP}`);
  });

  test('promtool check rules accepts the rule file', () => {
    // Lint findings (duplicate rules) print FAILED but exit 0 unless --lint-fatal.
    const r = inWorkdir(GROUPS, [], ['check', 'rules', '--lint-fatal', 'rules.yaml']);
    expect(r.out).toContain(`SUCCESS: ${RULES.length} rules found`);
    expect(r.out).not.toContain('FAILED');
    expect(r.code).toBe(0);
  });

  test.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = inWorkdir(GROUPS, [c], ['test', 'rules', 'tests.yaml']);
    expect(r.out).toContain('SUCCESS');
    expect(r.out).not.toContain('FAILED');
    expect(r.code).toBe(0);
  });

  test('the cases catch issue 9: the previous expressions fail them', () => {
    const ns = `namespace="${NS}",`;
    const old = GROUPS.map((g) => ({
      ...g,
      rules: g.rules.filter((r: any) => r.alert !== 'DatabaseBackupFailed').map((r: any) => ({
        ...r,
        expr: r.alert === 'DatabaseBackupTooOld'
          ? `time() - kube_cronjob_status_last_successful_time{${ns}cronjob="${SNAPSHOTS}"} > ${SNAPSHOT_GAP}`
          : `kube_job_status_failed{${ns}job_name=~"${VERIFY}-.*"} > 0`,
      })),
    }));
    const never = CASES.find((c) => c.name.startsWith('never succeeded, older'))!;
    const retried = CASES.find((c) => c.name.startsWith('verification failed, then'))!;
    const r = inWorkdir(old, [never, retried], ['test', 'rules', 'tests.yaml']);
    expect(r.code).toBe(1);
    // Never succeeded: no last-success series, no alert.
    expect(r.out).toMatch(new RegExp(`alertname: DatabaseBackupTooOld, time: ${at(7 * 60 + 20)},\\s*exp:\\[\\s*0:(?:(?!alertname:)[\\s\\S])*?\\],\\s*got:\\[\\]`));
    // A newer Job succeeded: the failed one still counts, the alert stays.
    for (const t of [95, 600]) {
      expect(r.out).toMatch(new RegExp(`alertname: DatabaseRestoreVerificationFailed, time: ${at(t)},\\s*exp:\\[\\],\\s*got:\\[\\s*0:`));
    }
  });
});
