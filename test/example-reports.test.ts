import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * The reports of every example, committed as fixtures under test/fixtures/example-reports/<example>/: a change to
 * the report (or to what the examples synthesize) shows in review as a diff of these files. Regenerate them with
 * `UPDATE_REPORT_FIXTURES=1 npx jest test/example-reports.test.ts`.
 */
const EXAMPLES = path.resolve(__dirname, '../examples');
const FIXTURES = path.resolve(__dirname, 'fixtures/example-reports');
const UPDATE = process.env.UPDATE_REPORT_FIXTURES === '1';
const names = fs.readdirSync(EXAMPLES).filter((n) => fs.existsSync(path.join(EXAMPLES, n, 'main.ts')));

/** Every file under `dir`, by path relative to it. */
function filesUnder(dir: string, prefix = ''): Map<string, string> {
  const files = new Map<string, string>();
  for (const e of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.join(prefix, e.name);
    if (e.isDirectory()) for (const [k, v] of filesUnder(dir, rel)) files.set(k, v);
    else files.set(rel, fs.readFileSync(path.join(dir, rel), 'utf8'));
  }
  return files;
}

function synthesizedReport(name: string): Map<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `example-report-${name}-`));
  process.env.CDK8S_OUTDIR = outdir;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jest.isolateModules(() => require(path.join(EXAMPLES, name, 'main.ts')));
  } finally {
    delete process.env.CDK8S_OUTDIR;
  }
  const report = filesUnder(path.join(outdir, 'cdk8s-databases-report'));
  fs.rmSync(outdir, { recursive: true, force: true });
  return report;
}

describe('the committed reports of the examples', () => {
  test.each(names)('%s: report.json, report.md and the pictures, per chart, equal the fixtures', (name) => {
    const report = synthesizedReport(name);
    const fixture = path.join(FIXTURES, name);
    if (UPDATE) {
      fs.rmSync(fixture, { recursive: true, force: true });
      for (const [rel, text] of report) {
        fs.mkdirSync(path.dirname(path.join(fixture, rel)), { recursive: true });
        fs.writeFileSync(path.join(fixture, rel), text);
      }
    }
    expect(fs.existsSync(fixture)).toBe(true);
    const committed = filesUnder(fixture);
    expect([...report.keys()].sort()).toEqual([...committed.keys()].sort());
    for (const [rel, text] of report) expect({ file: rel, text }).toEqual({ file: rel, text: committed.get(rel) });
    // Every database has its picture, and every chart's report says whether the policy passed.
    for (const [rel, text] of report) {
      if (!rel.endsWith(`${path.sep}report.json`)) continue;
      const json = JSON.parse(text);
      const dir = path.dirname(rel);
      for (const picture of json.pictures) expect(report.has(path.join(dir, picture))).toBe(true);
      expect(json.policy?.passed).toBe(true);
    }
  });
});
