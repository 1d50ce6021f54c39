// Our reading of CronJob schedules against the CronJob controller's own library: a small Go program
// (support/cron-next) built against Debian's robfig/cron v3 source prints, for each schedule and time zone,
// whether ParseStandard accepts it, its next run times, and the worst gap over the window of src/backup/cron.ts.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as fc from 'fast-check';
import { cronZone, ParsedCron, parseCron, robfigNext, timeZoneProblem, worstGapMinutes } from '../src/backup/cron';

const ROBFIG = '/usr/share/gocode/src/github.com/robfig/cron/spec.go';
const goFound = spawnSync('go', ['version']).status === 0;
const ready = goFound && fs.existsSync(ROBFIG);
if (!ready) {
  console.warn(`cron-semantics: SKIPPED, needs ${goFound ? '' : '`go` (golang-go) and '}${ROBFIG} (golang-github-robfig-cron-dev): run .ci/install-runtime-deps`);
}

interface Case { schedule: string; timeZone?: string }
interface Answer { error?: string; runs?: number[]; worst?: number; gaveUpAt?: number }

/** Instants to list runs from: both DST changes of 2025 and 2026 in either hemisphere, and a plain day. */
const FROM = ['2025-03-25', '2025-10-22', '2026-03-26', '2026-09-24', '2026-04-01', '2025-06-15'].map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
const RUNS = 40;

const FIXED: Case[] = [
  { schedule: '0 4 */1 * 1-5' }, { schedule: '0 4 ? * mon-fri' }, { schedule: '0 4 */2 * 1-5' },
  { schedule: '0 0 * * 7' }, { schedule: '0 0 * * 5-7' }, { schedule: Cron_annually() }, { schedule: '0 3 29 2 *' },
  { schedule: '0 0 31 2 *' }, { schedule: '30 2 * * *', timeZone: 'Europe/Berlin' }, { schedule: '30 2 * * *', timeZone: 'America/New_York' },
  { schedule: '30 1 * * *', timeZone: 'Europe/Berlin' }, { schedule: '0 2 * * 0', timeZone: 'Europe/Berlin' },
  { schedule: '30 2 * * *', timeZone: 'Australia/Lord_Howe' }, { schedule: '0 * * * *', timeZone: 'Europe/Berlin' },
  { schedule: '*/15 * * * *', timeZone: 'America/New_York' }, { schedule: '@yearly', timeZone: 'Europe/Berlin' },
  { schedule: '@weekly' }, { schedule: '@monthly', timeZone: 'Asia/Kolkata' }, { schedule: '@daily', timeZone: 'Pacific/Chatham' },
  { schedule: '*-5 * * * *' }, { schedule: '1,,2 * * * *' }, { schedule: '+5 * * * *' }, { schedule: '0 0 0 * *' },
  { schedule: '0 0 * * 7', timeZone: 'Europe/Berlin' }, { schedule: '0 0 * * *', timeZone: 'Mars/Olympus_Mons' },
  { schedule: '0 0 * * *', timeZone: 'europe/berlin' }, { schedule: '@fortnightly' }, { schedule: '0 0 * *' },
];

/** cdk8s Cron.annually(), without importing cdk8s into the runtime tier. */
function Cron_annually(): string {
  return '0 0 1 1 *';
}

const pick = (xs: string[]) => fc.constantFrom(...xs);
const generated: Case[] = fc.sample(
  fc.record({
    minute: pick(['0', '30', '*/15', '5,35', '0-10/5', '59', '60', '*/0', '+7']),
    hour: pick(['*', '2', '*/6', '1-3', '2,14', '0', '23', '3/4', '24']),
    day: pick(['*', '*/1', '?', '1', '15', '29', '31', '1-7', '*/2', '10-20/3', '30,31', '0', '1,,15']),
    month: pick(['*', '2', 'feb', '1-6', '*/3', 'DEC', '13', '3,10', '?']),
    weekDay: pick(['*', '?', '0', '7', '1-5', 'mon-fri', 'sun', '*/2', '6', '0,6', 'x', '*/1', '5-0']),
    timeZone: fc.constantFrom(undefined, 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Australia/Sydney', 'Europe/London', 'America/Santiago'),
  }),
  { seed: 14, numRuns: 400 },
).map((r) => ({ schedule: `${r.minute} ${r.hour} ${r.day} ${r.month} ${r.weekDay}`, timeZone: r.timeZone }));

(ready ? describe : describe.skip)('schedules as the CronJob controller (robfig/cron) reads them', () => {
  const cases = [...FIXED, ...generated];
  let answers: Answer[] = [];

  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cron-next-'));
    const bin = path.join(dir, 'cron-next');
    execFileSync('go', ['build', '-o', bin, '.'], {
      cwd: path.join(__dirname, 'support', 'cron-next'),
      env: { ...process.env, GO111MODULE: 'off', GOPATH: `/usr/share/gocode:${dir}`, GOCACHE: path.join(dir, 'cache'), GOFLAGS: '' },
    });
    const lines = cases.flatMap((c) => FROM.map((from, k) => `${c.schedule}\t${c.timeZone ?? ''}\t${from}\t${RUNS}${k === 0 ? '\tgap' : ''}`));
    const out = execFileSync(bin, { input: lines.join('\n') + '\n', maxBuffer: 256 * 1024 * 1024 }).toString().trim().split('\n');
    answers = out.map((l) => JSON.parse(l));
    fs.rmSync(dir, { recursive: true, force: true });
  }, 600000);

  test('every schedule: accepted and refused alike, the same run times, the same worst gap', () => {
    expect(answers.length).toBe(cases.length * FROM.length);
    const mismatches: string[] = [];
    let accepted = 0;
    cases.forEach((c, i) => {
      const theirs = answers[i * FROM.length];
      const label = `"${c.schedule}" in ${c.timeZone ?? 'UTC'}`;
      const zoneProblem = c.timeZone === undefined ? undefined : timeZoneProblem(c.timeZone);
      const parsed = parseCron(c.schedule);
      const oursRefuses = zoneProblem !== undefined || typeof parsed === 'string';
      if (oursRefuses !== (theirs.error !== undefined)) {
        mismatches.push(`${label}: robfig ${theirs.error ?? 'accepts'}, ours ${zoneProblem ?? (typeof parsed === 'string' ? parsed : 'accepts')}`);
        return;
      }
      if (oursRefuses) return;
      accepted++;
      const zone = cronZone(c.timeZone);
      FROM.forEach((from, k) => {
        const runs: number[] = [];
        let t: number | undefined = from * 1000;
        for (let n = 0; n < RUNS && t !== undefined; n++) {
          t = robfigNext(parsed as ParsedCron, zone, t);
          if (t !== undefined) runs.push(t / 1000);
        }
        const expected = answers[i * FROM.length + k].runs ?? [];
        if (JSON.stringify(runs) !== JSON.stringify(expected)) {
          const at = runs.findIndex((r, j) => r !== expected[j]);
          mismatches.push(`${label} from ${new Date(from * 1000).toISOString()}: run ${at} ours ${new Date(runs[at] * 1000).toISOString()}, robfig ${new Date(expected[at] * 1000).toISOString()}`);
        }
      });
      const worst = worstGapMinutes(parsed as ParsedCron, c.timeZone);
      if (theirs.gaveUpAt !== undefined) mismatches.push(`${label}: robfig gives up after ${new Date(theirs.gaveUpAt * 1000).toISOString()}`);
      else if (worst !== theirs.worst) mismatches.push(`${label}: worst gap ours ${worst} min, robfig ${theirs.worst} min`);
    });
    console.log(`cron-semantics: ${cases.length} schedules (${accepted} accepted by both), ${FROM.length * RUNS} run times each, ${mismatches.length} mismatches`);
    expect(mismatches).toEqual([]);
    expect(accepted).toBeGreaterThan(100);
  });
});
