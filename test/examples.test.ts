import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { assertValidManifests } from './support/validate';

const EXAMPLES = path.resolve(__dirname, '../examples');
const names = fs.readdirSync(EXAMPLES).filter((n) => fs.existsSync(path.join(EXAMPLES, n, 'main.ts')));

/** Runs an example app with its output redirected to a temporary folder and reads back its YAML. */
function runExample(name: string): any[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `example-${name}-`));
  process.env.CDK8S_OUTDIR = outdir;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jest.isolateModules(() => require(path.join(EXAMPLES, name, 'main.ts')));
  } finally {
    delete process.env.CDK8S_OUTDIR;
  }
  return fs.readdirSync(outdir).flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(outdir, file), 'utf8')).map((d) => d.toJS()).filter((d) => d));
}

describe('examples', () => {
  test('there is one per engine, and one replicated app with every engine', () => {
    expect(names.sort()).toEqual(['cassandra', 'mongodb', 'mysql', 'postgres', 'redis', 'replicated']);
  });

  test.each(names)('%s synthesizes valid objects', (name) => {
    const manifests = runExample(name);
    expect(manifests.filter((m) => m.kind === 'StatefulSet').length).toBeGreaterThan(0);
    assertValidManifests(manifests);
  });

  test('the README shows the postgres example exactly as it is', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
    const example = fs.readFileSync(path.join(EXAMPLES, 'postgres', 'main.ts'), 'utf8');
    const shown = example.replace("from '../../src'", "from 'cdk8s-databases'");
    expect(readme).toContain('```ts\n' + shown + '```');
  });
});
