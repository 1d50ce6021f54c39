import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { Chart, Cron, Duration } from 'cdk8s';
import {
  ApplicationUser, BackupMethod, BackupSchedule, BackupTarget, CassandraVersion, Engine, MongoDbVersion, MysqlVersion,
  PostgresVersion, RedisVersion, ReplicatedDatabase, Restore, Retention, StatefulDatabase, ValkeyVersion,
} from '../src';
import { expectRefused } from './support/refused';
import { runWithStubs, writeStub } from './support/stubs';
import { newChart, synthValid } from './support/synth';
import { EngineBackup } from '../src/backup/engine-backup';
import { dumpScript, fetchScript, pvcRetentionScript, s3UploadScript, snapshotScript } from '../src/backup/scripts';
import { toProperties, toYaml } from '../src/private/config-format';
import { breLiteral, cqlString, ereLiteral, heredocText, inDoubleQuotes, shellQuote, shellWord, shellWords } from '../src/private/shell';

// Issue 14: no string a user gives can change the meaning of a script the library generates. Each prop that reaches
// a script is either refused with a DatabaseConfigError naming it, or reaches the script as data: the script still
// parses, and run against stand-ins the value arrives as one literal argument and no command in it runs.

const tmpDirs: string[] = [];
function tmp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Values that would run a command, end a quote, split a word, glob, or pass as an option if spliced into a script. */
function hostile(marker: string): string[] {
  return [
    `$(touch ${marker})`, `\`touch ${marker}\``, `x'; touch ${marker}; '`, `x"; touch ${marker}; "`, `x; touch ${marker}`,
    `x\ntouch ${marker}`, 'x\\', '*', '-rf', "it's", '${PATH}', 'a b', `x|touch ${marker}`, `x&&touch ${marker}`, '',
  ];
}
const SAMPLE = hostile('/tmp/cdk8s-pwned');

/** Every script of the manifests, with the shell that runs it: container commands, probes, hooks, `.sh` files. */
function scriptsOf(manifests: any[]): Array<{ where: string; shell: 'sh' | 'bash'; script: string }> {
  const found: Array<{ where: string; shell: 'sh' | 'bash'; script: string }> = [];
  const visit = (node: any, where: string) => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => visit(n, `${where}[${i}]`));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const cmd = [...(node.command ?? []), ...(node.args ?? [])];
    if (Array.isArray(node.command) && ['sh', 'bash'].includes(cmd[0]) && cmd[1] === '-c' && typeof cmd[2] === 'string') {
      found.push({ where, shell: cmd[0], script: cmd[2] });
    }
    for (const [k, v] of Object.entries(node)) visit(v, `${where}.${k}`);
  };
  for (const m of manifests) {
    visit(m, `${m.kind}/${m.metadata?.name}`);
    if (m.kind === 'ConfigMap') {
      for (const [file, text] of Object.entries(m.data ?? {})) {
        if (file.endsWith('.sh')) found.push({ where: `ConfigMap/${m.metadata.name}/${file}`, shell: 'sh', script: text as string });
      }
    }
  }
  return found;
}

/**
 * Positions of `script` where the shell gives a character its meaning (an unescaped quote, `$`, backquote, blank,
 * operator or glob), by a small lexer of POSIX shell quoting: single and double quotes, backslashes, `$(...)`,
 * backquotes and here-documents (an unquoted delimiter keeps `$`, backquotes and `\` live; a quoted one nothing).
 */
function liveCharacters(script: string): boolean[] {
  const live: boolean[] = new Array(script.length).fill(false);
  type Frame = { kind: 'normal' | 'dq' | 'sq' | 'bq'; depth: number };
  const stack: Frame[] = [{ kind: 'normal', depth: 0 }];
  const pendingHeredocs: Array<{ delimiter: string; quoted: boolean }> = [];
  let i = 0;
  while (i < script.length) {
    const frame = stack[stack.length - 1];
    const c = script[i];
    if (c === '\n' && pendingHeredocs.length > 0 && frame.kind === 'normal') {
      live[i] = true;
      i++;
      for (const h of pendingHeredocs.splice(0)) {
        while (i < script.length) {
          const end = script.indexOf('\n', i) === -1 ? script.length : script.indexOf('\n', i);
          const line = script.slice(i, end);
          if (line.replace(/^\t+/, '') === h.delimiter) { i = end; break; }
          for (let j = i; j < end; j++) {
            if (!h.quoted && '$`\\'.includes(script[j]) && (j === i || script[j - 1] !== '\\')) live[j] = true;
          }
          i = end + 1;
        }
      }
      continue;
    }
    if (frame.kind === 'sq') {
      if (c === "'") { live[i] = true; stack.pop(); }
      i++;
      continue;
    }
    if (c === '\\') { live[i] = true; i += 2; continue; }
    if (frame.kind === 'dq') {
      if (c === '"') { live[i] = true; stack.pop(); } else if (c === '`') { live[i] = true; stack.push({ kind: 'bq', depth: 0 }); } else if (c === '$') {
        live[i] = true;
        if (script[i + 1] === '(') { stack.push({ kind: 'normal', depth: 1 }); i++; }
      }
      i++;
      continue;
    }
    // normal or backquoted
    if (c === '`' && frame.kind === 'bq') { live[i] = true; stack.pop(); i++; continue; }
    if (" \t\n;|&<>()'\"`$*?[".includes(c)) live[i] = true;
    if (c === "'") {stack.push({ kind: 'sq', depth: 0 });} else if (c === '"') {stack.push({ kind: 'dq', depth: 0 });} else if (c === '`') {stack.push({ kind: 'bq', depth: 0 });} else if (c === '$' && script[i + 1] === '(') { stack.push({ kind: 'normal', depth: 1 }); i++; } else if (c === '(') {frame.depth++;} else if (c === ')' && frame.depth > 0) { frame.depth--; if (frame.depth === 0 && stack.length > 1) stack.pop(); } else if (c === '<' && script[i + 1] === '<' && script[i + 2] !== '<') {
      const m = /^<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(script.slice(i));
      if (m) { pendingHeredocs.push({ delimiter: m[2], quoted: m[1] !== '' }); i += m[0].length; continue; }
    }
    i++;
  }
  return live;
}

/** Where `value` occurs in `script` with a character the shell would act on: the value would be code there. */
function liveOccurrences(script: string, value: string): number[] {
  // Quotes and backslashes are left out: an encoding adds or doubles them; a quote that broke out shows as what
  // follows it becoming live.
  const special = /[$`;|&<>()\s*?[]/;
  if (!special.test(value)) return [];
  const live = liveCharacters(script);
  const found: number[] = [];
  for (let at = script.indexOf(value); at !== -1; at = script.indexOf(value, at + 1)) {
    for (let j = 0; j < value.length; j++) {
      if (special.test(value[j]) && live[at + j]) { found.push(at); break; }
    }
  }
  return found;
}

/** `<shell> -n`: the script parses. Returns the parser's complaint, or '' when it parses. */
function syntaxError(shell: 'sh' | 'bash', script: string): string {
  const file = path.join(tmp('syntax-'), 'script');
  fs.writeFileSync(file, script);
  try {
    execFileSync(shell, ['-n', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (e: any) {
    return `${e.stderr ?? e.message}`;
  }
}

/** No script holds `value` where the shell would act on it. */
function expectInert(manifests: any[], value: string): void {
  const live = scriptsOf(manifests).flatMap((s) => liveOccurrences(s.script, value)
    .map((at) => `${s.where}: ${s.script.slice(Math.max(0, at - 60), at + value.length + 20)}`));
  expect(live).toEqual([]);
}

function expectAllParse(manifests: any[]): number {
  const scripts = scriptsOf(manifests);
  const broken = scripts.map((s) => ({ where: s.where, error: syntaxError(s.shell, s.script) })).filter((s) => s.error);
  expect(broken).toEqual([]);
  return scripts.length;
}


/**
 * A stand-in that logs its own name and every argument, NUL-separated, one call per \x01 (arguments may hold
 * line breaks), reads its stdin, then exits with $STUB_EXIT_<name> or 0, printing $STUB_OUT_<name> when set.
 */
function argStub(dir: string, name: string): void {
  writeStub(dir, name, [
    '#!/bin/sh',
    `{ printf '%s\\0' ${name} "$@"; printf '\\001'; } >> "$ARGS_LOG"`,
    // Read what a pipeline feeds it, as the tool would: a writer cut off early fails the pipeline (pipefail).
    'cat > /dev/null',
    `[ -z "\${STUB_OUT_${name.replace(/-/g, '_')}:-}" ] || printf '%s\\n' "$STUB_OUT_${name.replace(/-/g, '_')}"`,
    `exit "\${STUB_EXIT_${name.replace(/-/g, '_')}:-0}"`,
  ].join('\n') + '\n');
}

function loggedCalls(log: string): string[][] {
  if (!fs.existsSync(log)) return [];
  return fs.readFileSync(log, 'utf8').split('\x01').filter((c) => c).map((c) => c.split('\0').slice(0, -1));
}

/** Runs `script` with stand-ins `stubs` logging their arguments; the calls and whether the marker appeared. */
function runLogged(shell: 'sh' | 'bash', script: string, dir: string, stubs: string[], env: Record<string, string> = {}) {
  for (const s of stubs) argStub(dir, s);
  const log = path.join(dir, 'args');
  const r = runWithStubs(shell, script, dir, { ...process.env, ...env, ARGS_LOG: log });
  return { ...r, argv: loggedCalls(log) };
}

describe('src/private/shell.ts: each helper reads back exactly the value', () => {
  const marker = path.join(tmp('quote-'), 'pwned');
  const values = [...hostile(marker), 'plain-name', 'a\tb', '\'\'', '"\'"', '$', '`', '\\\\', '!', '#x', '~', 'x\ny\n'];

  test.each(values.map((v) => [JSON.stringify(v), v]))('%s', (_n, v) => {
    const printed = (script: string) => execFileSync('bash', ['-c', script]).toString();
    expect(printed(`printf '%s' ${shellQuote(v)}`)).toBe(v);
    // One word, whatever it holds (an empty value too).
    expect(printed(`set -- ${shellWord(v)}; printf '%s|' "$#" "$1"`)).toBe(`1|${v}|`);
    expect(printed(`printf '%s' "${inDoubleQuotes(v)}"`)).toBe(v);
    expect(printed(`cat <<EOF\n${heredocText(v)}\nEOF`)).toBe(`${v}\n`);
    expect(execFileSync('sh', ['-c', `set -- ${shellWords([v, 'next'])}; printf '%s|' "$#" "$1" "$2"`]).toString()).toBe(`2|${v}|next|`);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('regular-expression literals match the value itself and nothing else', () => {
    for (const v of ['orders', 'a.b', 'a*b', 'x(y)', '[z]', 'p+q?', 'a|b', 'c$', '^d', 'e{2}', 'f/g', 'h\\i']) {
      const grep = (text: string) => execFileSync('bash', ['-c', `printf '%s\\n' ${shellQuote(text)} | grep -cE ${shellQuote(`^${ereLiteral(v)}$`)} || true`]).toString().trim();
      expect(grep(v)).toBe('1');
      expect(grep(`${v}x`)).toBe('0');
      const sed = execFileSync('bash', ['-c', `printf '%s\\n' ${shellQuote(`${v}-1`)} | sed -n ${shellQuote(`s/^${breLiteral(v)}-\\([0-9]\\)$/\\1/p`)}`]).toString();
      expect(sed).toBe('1\n');
    }
  });

  test('the quoting lexer of these tests finds a value that would be code, and only that', () => {
    const v = "$(touch x)'";
    expect(liveOccurrences(`echo ${v}`, v)).toEqual([5]);
    expect(liveOccurrences(`echo "${v}"`, v)).toEqual([6]);
    expect(liveOccurrences(`echo ${shellQuote(v)}`, v)).toEqual([]);
    // A value that closes the quote around it: what follows the quote is live.
    expect(liveOccurrences("echo 'x'; touch y; ''", "x'; touch y; '")).toEqual([6]);
    expect(liveOccurrences(`echo ${shellQuote("x'; touch y; '")}`, "x'\\''; touch y; '\\''")).toEqual([]);
    expect(liveOccurrences(`echo "${inDoubleQuotes(v)}"`, inDoubleQuotes(v))).toEqual([]);
    expect(liveOccurrences(`X=$(echo "${inDoubleQuotes(v)}" | tr a b)`, inDoubleQuotes(v))).toEqual([]);
    expect(liveOccurrences(`cat <<EOF\n${v}\nEOF\necho ok`, v)).toEqual([10]);
    expect(liveOccurrences(`cat <<'EOF'\n${v}\nEOF\necho ${v}`, v)).toEqual([33]);
    expect(liveOccurrences(`cat <<EOF\n${heredocText(v)}\nEOF\n`, heredocText(v))).toEqual([]);
  });

  test('a CQL string constant doubles its quotes', () => {
    expect(cqlString("dc'1")).toBe("'dc''1'");
  });
});

describe('config files: a value or key stays one entry', () => {
  test('YAML: keys that are not plain are quoted, values that are not plain are quoted', () => {
    const yaml = toYaml({ 'a: b\nc': 'x\ny: z', 'plain_key.x': 'v', '50': 1 });
    expect(yaml).toBe('50: 1\n"a: b\\nc": "x\\ny: z"\nplain_key.x: v\n');
  });

  test('Java properties (Cassandra rackdc): separators, comment marks, backslashes and line breaks are escaped', () => {
    const text = toProperties({ dc: 'a=b:c\n#x\\y', rack: ' r!' });
    expect(text).toBe('dc=a\\=b\\:c\\n\\#x\\\\y\nrack=\\ r\\!\n');
    expect(text.split('\n').filter((l) => l)).toHaveLength(2);
  });
});

const S3 = (o: Partial<{ endpoint: string; bucket: string; prefix: string; credentialsSecretName: string; region: string }> = {}) =>
  BackupTarget.s3({ endpoint: 'https://s3.eu-west-1.amazonaws.com', bucket: 'backups', credentialsSecretName: 's3-keys', ...o });
const PVC = (claimName = 'backups') => BackupTarget.pvc({ claimName });
const NIGHTLY = Cron.schedule({ minute: '0', hour: '2' });
const KEEP = Retention.keepLast(3);
const ZONES = ['a', 'b', 'c'];

describe('props that reach a script are refused when the engine or Kubernetes would not take them', () => {
  const pg = () => Engine.postgres({ version: PostgresVersion.V16 });

  test('the issue\'s sourceName "$(id)" is refused with the fix', () => {
    expectRefused(() => new StatefulDatabase(newChart(), 'db', {
      name: 'db', engine: pg(), restoreFrom: Restore.fromDump({ target: BackupTarget.pvc({ claimName: 'bk' }), sourceName: '$(id)' }),
    }), /^test\/db: `restoreFrom` sourceName "\$\(id\)" is not a database name: use the `name` of the source database/);
  });

  test.each(SAMPLE.map((v) => [JSON.stringify(v), v]))('Restore.fromDump sourceName %s', (_n, v) => {
    expectRefused(() => new StatefulDatabase(newChart(), 'db', { name: 'db', engine: pg(), restoreFrom: Restore.fromDump({ target: PVC(), sourceName: v }) }),
      /`restoreFrom` sourceName/);
  });

  test.each(SAMPLE.map((v) => [JSON.stringify(v), v]))('Restore.fromDump file %s', (_n, v) => {
    expectRefused(() => new StatefulDatabase(newChart(), 'db', { name: 'db', engine: pg(), restoreFrom: Restore.fromDump({ target: PVC(), file: v }) }),
      /`restoreFrom` file/);
  });

  test('a file name that starts like an option or a hidden file, or climbs a folder, is refused', () => {
    for (const file of ['-rf', '..', '.latest']) {
      expectRefused(() => new StatefulDatabase(newChart(), 'db', { name: 'db', engine: pg(), restoreFrom: Restore.fromDump({ target: PVC(), file }) }),
        /`restoreFrom` file/);
    }
  });

  test.each(SAMPLE.map((v) => [JSON.stringify(v), v]))('Restore.pointInTime sourceName and time %s', (_n, v) => {
    const build = (o: { sourceName?: string; time?: string }) => new ReplicatedDatabase(newChart(), 'db', {
      name: 'db',
      engine: pg(),
      zones: ZONES,
      restoreFrom: Restore.pointInTime({ target: S3(), sourceName: o.sourceName ?? 'orders', time: o.time ?? '2026-11-20T10:15:00+00:00' }),
    });
    expectRefused(() => build({ sourceName: v }), /`restoreFrom` sourceName/);
    expectRefused(() => build({ time: v }), /`restoreFrom` time/);
  });

  test.each(SAMPLE.map((v) => [JSON.stringify(v), v]))('Restore.fromVolumeSnapshot snapshot name %s', (_n, v) => {
    expectRefused(() => new StatefulDatabase(newChart(), 'db', { name: 'db', engine: pg(), restoreFrom: Restore.fromVolumeSnapshot(v) }),
      /`restoreFrom snapshotName`/);
  });

  // An engine is made before any construct: the database that binds it reports the problem with its path.
  const cassandra = (o: { datacenter?: string; rack?: string }, replicated = false) => () => replicated
    ? new ReplicatedDatabase(newChart(), 'db', { name: 'db', zones: ZONES, engine: Engine.cassandra({ version: CassandraVersion.V4_1, ...o }) })
    : new StatefulDatabase(newChart(), 'db', { name: 'db', engine: Engine.cassandra({ version: CassandraVersion.V4_1, ...o }) });

  test.each(SAMPLE.map((v) => [JSON.stringify(v), v]))('Engine.cassandra datacenter and rack %s', (_n, v) => {
    expectRefused(cassandra({ datacenter: v }), /`datacenter`/);
    expectRefused(cassandra({ datacenter: v }, true), /`datacenter`/);
    expectRefused(cassandra({ rack: v }), /`rack`/);
  });

  test('the issue\'s datacenter dc"1 is refused with the fix', () => {
    expectRefused(cassandra({ datacenter: 'dc"1' }, true),
      /^test\/db: `engine`: `Engine\.cassandra\(\)` `datacenter` "dc"1" must be at most 63 letters, digits, '_', '\.' and '-', starting with a letter or digit, e\.g\. "dc1"/);
  });

  test.each(SAMPLE.map((v) => [JSON.stringify(v), v]))('S3 and PVC targets %s', (_n, v) => {
    const dump = (target: BackupTarget) => () => {
      const chart = newChart();
      const db = new StatefulDatabase(chart, 'db', { name: 'db', engine: pg() });
      new BackupSchedule(chart, 'b', { database: db, methods: [BackupMethod.logicalDump({ schedule: NIGHTLY, target, retention: KEEP })] });
    };
    expectRefused(dump(S3({ bucket: v })), /`logicalDump` target bucket/);
    // A URL path may hold '-' or be empty: such a value is data in the S3_ENDPOINT env var, and harmless.
    if (/[^A-Za-z0-9._~%/-]/.test(v)) expectRefused(dump(S3({ endpoint: `https://s3.example.com/${v}` })), /`logicalDump` target endpoint/);
    expectRefused(dump(S3({ endpoint: v })), /`logicalDump` target endpoint/);
    expectRefused(dump(S3({ region: v })), /`logicalDump` target region/);
    expectRefused(dump(S3({ credentialsSecretName: v })), /`logicalDump target credentialsSecretName`/);
    expectRefused(dump(PVC(v)), /`logicalDump target claimName`/);
    // S3's safe key characters include '*', ''' and '(': such a prefix is data in the S3_PREFIX env var (see below).
    if (!/^[A-Za-z0-9!_.*'()-]+$/.test(v)) expectRefused(dump(S3({ prefix: v })), /`logicalDump` target prefix/);
  });

  test.each(SAMPLE.map((v) => [JSON.stringify(v), v]))('volume snapshot class %s', (_n, v) => {
    const chart = newChart();
    const db = new StatefulDatabase(chart, 'db', { name: 'db', engine: pg() });
    expectRefused(() => new BackupSchedule(chart, 'b', {
      database: db, methods: [BackupMethod.volumeSnapshot({ snapshotClassName: v, schedule: NIGHTLY, retention: KEEP })],
    }), /`volumeSnapshot snapshotClassName`/);
  });

  test.each(SAMPLE.map((v) => [JSON.stringify(v), v]))('database name, databaseName, racks and config values %s', (_n, v) => {
    expectRefused(() => new StatefulDatabase(newChart(), 'db', { name: v, engine: pg() }), /`name`/);
    expectRefused(() => new StatefulDatabase(newChart(), 'db', { name: 'db', engine: pg(), databaseName: v }), /`databaseName`/);
    expectRefused(() => new ReplicatedDatabase(newChart(), 'db', {
      name: 'db', engine: Engine.cassandra({ version: CassandraVersion.V4_1 }), zones: ZONES, racks: [{ name: v, zone: 'a' }],
    }), /`racks`/);
    if (/[\r\n]/.test(v)) expectRefused(() => new StatefulDatabase(newChart(), 'db', { name: 'db', engine: pg(), config: { work_mem: v } }), /`config`/);
  });

  // The chart's namespace reaches the scripts through member host names: the library refuses one the API server
  // would refuse (quoting still keeps it data, see the defence-in-depth tests below).
  test.each(SAMPLE.filter((v) => v !== '').map((v) => [JSON.stringify(v), v]))('a namespace %s is refused', (_n, v) => {
    const chart = newChart(v);
    expectRefused(() => new ReplicatedDatabase(chart, 'db', { name: 'db', engine: Engine.redis({ version: RedisVersion.V7_4 }), zones: ZONES }),
      /the chart's `namespace`/);
  });

  test('a checkQuery of more than one line is refused', () => {
    const chart = newChart();
    const db = new StatefulDatabase(chart, 'db', { name: 'db', engine: pg() });
    expectRefused(() => new BackupSchedule(chart, 'b', {
      database: db,
      methods: [BackupMethod.logicalDump({ schedule: NIGHTLY, target: PVC(), retention: KEEP })],
      verification: { schedule: NIGHTLY, checkQuery: 'SELECT 1;\nSELECT 2' },
    }), /`verification` checkQuery/);
  });
});

/** The verification container of a database with nightly dumps and `checkQuery`, from valid, parsing manifests. */
function verifyContainer(engine: Engine, checkQuery: string): any {
  const chart = newChart();
  const db = new StatefulDatabase(chart, 'db', { name: 'db', engine });
  new BackupSchedule(chart, 'b', {
    database: db,
    methods: [BackupMethod.logicalDump({ schedule: NIGHTLY, target: PVC(), retention: KEEP })],
    verification: { schedule: NIGHTLY, checkQuery },
  });
  const manifests = synthValid(chart);
  expectAllParse(manifests);
  expectInert(manifests, checkQuery);
  return manifests.find((m) => m.kind === 'CronJob' && m.metadata.name === 'db-verify').spec.jobTemplate.spec.template.spec.containers[0];
}

describe('checkQuery reaches the verification script as data', () => {
  // The query is the user's own SQL (or Redis command, or mongosh expression): it goes to the engine's client as
  // one argument from the CHECK env var, never into the script's text.
  const engines = [
    ['postgres', () => Engine.postgres({ version: PostgresVersion.V16 }), 'psql'],
    ['mysql', () => Engine.mysql({ version: MysqlVersion.V8_0 }), 'mysql'],
    ['mongodb', () => Engine.mongodb({ version: MongoDbVersion.V7_0 }), 'mongosh'],
  ] as const;

  test.each(engines)('%s: the query is one argument of the client, and nothing in it runs', (_n, engine, client) => {
    const dir = tmp('check-');
    const marker = path.join(dir, 'pwned');
    const checkQuery = `SELECT 1 $(touch ${marker}) \`touch ${marker}\` '; touch ${marker}; ' "x" * -- ${'\\'}`;
    const verify = verifyContainer(engine(), checkQuery);
    expect(verify.command[2]).not.toContain(checkQuery);
    expect(verify.env).toContainEqual({ name: 'CHECK', value: checkQuery });
    // Stand-ins for the engine's tools: every step succeeds, the client answers 1; the dump is a complete one.
    const tools = ['initdb', 'pg_ctl', 'psql', 'mysqld', 'mysqladmin', 'mysql', 'mongod', 'mongorestore', 'mongosh'];
    fs.writeFileSync(path.join(dir, 'dump'), gzipSync('-- PostgreSQL database cluster dump complete\n-- Dump completed on 2026-11-20\n'));
    const script = verify.command[2].replace(/\/tmp\/verify/g, `${dir}/verify`).replace('DUMP=/restore/dump', `DUMP=${dir}/dump`);
    const r = runLogged('bash', script, dir, tools, {
      CHECK: checkQuery, STUB_OUT_psql: '1', STUB_OUT_mysql: '1', STUB_OUT_mongosh: '1',
    });
    expect(r.out).toContain('restore verified');
    const withQuery = r.argv.filter((a) => a[0] === client && a.includes(checkQuery));
    expect(withQuery).toHaveLength(1);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test.each([
    ['redis', () => Engine.redis({ version: RedisVersion.V7_4 }), 'redis-cli'],
    ['valkey', () => Engine.valkey({ version: ValkeyVersion.V8_0 }), 'valkey-cli'],
  ] as const)('%s: the command is split into words, never globbed or run', (_n, engine, cli) => {
    const dir = tmp('check-kv-');
    const marker = path.join(dir, 'pwned');
    fs.writeFileSync(path.join(dir, 'a-file-a-glob-would-find'), '');
    const checkQuery = `KEYS * $(touch ${marker}) \`touch ${marker}\``;
    const verify = verifyContainer(engine(), checkQuery);
    const server = cli.replace('-cli', '-server');
    const r = runLogged('bash', `cd ${dir}\n${verify.command[2].replace(/\/tmp\/verify/g, `${dir}/verify`)}`, dir, ['gunzip', server, cli], {
      CHECK: checkQuery, [`STUB_OUT_${cli.replace('-', '_')}`]: 'PONG',
    });
    expect(r.out).toContain('restore verified');
    const check = r.argv.find((a) => a[0] === cli && a.includes('KEYS'));
    expect(check).toEqual([cli, '-p', '6390', 'KEYS', '*', '$(touch', `${marker})`, '`touch', `${marker}\``]);
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe('defence in depth: the backup scripts keep a hostile name as data even unvalidated', () => {
  const backup: EngineBackup = {
    quiesce: { mode: 'prepare', prepare: 'sync' },
    snapshotAllMembers: false,
    dumpExtension: 'sql.gz',
    dump: 'echo data > "$OUT"',
    notes: '',
  };

  test.each(SAMPLE.filter((v) => v !== '' && !v.includes('/')).map((v) => [JSON.stringify(v), v]))('fetch of the dump file %s from a PVC and from S3', (_n, v) => {
    const dir = tmp('fetch-');
    const marker = path.join(dir, 'pwned');
    const file = v.replace('/tmp/cdk8s-pwned', marker);
    fs.mkdirSync(path.join(dir, 'restore'));
    const local = (s: string) => s.replace(/\/backup\//g, `${dir}/backup/`).replace(/\/restore\b/g, `${dir}/restore`);
    for (const source of ['pvc', 's3'] as const) {
      const script = fetchScript(source, `name${file}`, 'sql.gz', `dir${file}`, file);
      expect(syntaxError('bash', script)).toBe('');
      if (/touch|\s/.test(file)) expect(liveOccurrences(script, file)).toEqual([]);
      const r = runLogged('bash', local(script), dir, ['cp', 'aws', 'sha256sum', 'ln'], { S3_ENDPOINT: 'http://s3', S3_BUCKET: 'b', S3_PREFIX: 'p' });
      expect(r.code).toBe(0);
      if (source === 'pvc') {
        expect(r.argv).toContainEqual(['cp', `${dir}/backup/dir${file}/${file}`, `${dir}/backup/dir${file}/${file}.sha256`, `${dir}/restore/`]);
      } else {
        expect(r.argv).toContainEqual(['aws', '--endpoint-url', 'http://s3', 's3', 'cp', `s3://b/p/${file}`, `${dir}/restore/${file}`]);
      }
      expect(r.argv).toContainEqual(['sha256sum', '-c', `${file}.sha256`]);
      expect(fs.existsSync(marker)).toBe(false);
    }
  });

  test.each(SAMPLE.filter((v) => v !== '' && !v.includes('/')).map((v) => [JSON.stringify(v), v]))('dump, upload and retention named %s', (_n, v) => {
    const dir = tmp('dump-');
    const marker = path.join(dir, 'pwned');
    const name = `db${v.replace('/tmp/cdk8s-pwned', marker)}`;
    const local = (s: string) => s.replace(/\/backup\//g, `${dir}/backup/`).replace(/\/tmp\/work/g, `${dir}/work`);
    const dump = dumpScript(name, name, backup);
    expect(syntaxError('bash', dump)).toBe('');
    const r = runWithStubs('bash', local(dump), dir, { ...process.env });
    expect(r.out).toMatch(/dumped .* \(5 bytes\)/);
    const written = fs.readdirSync(path.join(dir, 'backup', name));
    expect(written).toHaveLength(2);
    expect(written.every((f) => f.startsWith(`${name}-`))).toBe(true);
    // Retention lists only this name's dumps, whatever regex characters the name holds.
    const retention = pvcRetentionScript(name, name, 'sql.gz', 1);
    expect(syntaxError('sh', retention)).toBe('');
    fs.writeFileSync(path.join(dir, 'backup', name, `${name}-20200101t000000z.sql.gz`), 'old');
    const pruned = runWithStubs('sh', local(retention), dir, { ...process.env });
    expect(pruned.out).toContain('retention: deleting run 20200101t000000z');
    expect(fs.readdirSync(path.join(dir, 'backup', name)).sort()).toEqual(written.sort());
    const upload = s3UploadScript(name, 'sql.gz', 1);
    expect(syntaxError('bash', upload)).toBe('');
    fs.writeFileSync(path.join(dir, 'backup', '.latest'), written.find((f) => !f.endsWith('.sha256'))!);
    // The store lists the dump just uploaded, with its checksum.
    const listing = written.map((f) => `p/${f}`).join('\t');
    const up = runLogged('bash', local(upload), dir, ['aws'], { S3_ENDPOINT: 'http://s3', S3_BUCKET: 'b', S3_PREFIX: 'p', STUB_OUT_aws: listing });
    expect(up.code).toBe(0);
    expect(up.argv.find((a) => a.includes('list-objects-v2'))).toContain(`p/${name}-`);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('the snapshot run names and labels with hostile names as data', () => {
    const dir = tmp('snap-');
    const marker = path.join(dir, 'pwned');
    const evil = `x$(touch ${marker})\`touch ${marker}\`'"`;
    // Members are pod names, listed in $PODS and split on blanks: a hostile one without blanks (${IFS} is text here).
    const member = `mx$(touch\${IFS}${marker})\`touch\${IFS}${marker}\`'"`;
    const script = snapshotScript({
      schedule: `s${evil}`,
      container: `c${evil}`,
      snapshotClass: `k${evil}`,
      members: [member, 'm1'],
      backup,
      replicated: true,
      replicaSelector: `a=b,${evil}`,
      instance: `i${evil}`,
      keepLast: 2,
    });
    expect(syntaxError('sh', script)).toBe('');
    writeStub(dir, 'kubectl', ['#!/bin/sh', '{ printf \'%s\\0\' kubectl "$@"; printf \'\\001\'; } >> "$ARGS_LOG"',
      'case "$1" in apply) cat > "$ARGS_LOG.applied" ;; get) case "$*" in *creationTime*) echo 2026-11-21T00:00:00Z ;; esac ;; esac'].join('\n') + '\n');
    const log = path.join(dir, 'args');
    const r = runWithStubs('sh', script, dir, { ...process.env, ARGS_LOG: log, PREPARE: 'true' });
    expect(r.code).toBe(0);
    const argv = loggedCalls(log);
    expect(argv).toContainEqual(expect.arrayContaining(['get', 'pods', '-l', `a=b,${evil}`]));
    expect(argv).toContainEqual(['kubectl', 'exec', member, '-c', `c${evil}`, '--', 'sh', '-c', 'true']);
    expect(argv.some((a) => a.includes(`app.kubernetes.io/instance=i${evil}`) || a.join(' ').includes(`backup=s${evil}`))).toBe(true);
    for (const v of [evil, member]) expect(liveOccurrences(script, v)).toEqual([]);
    // The here-document keeps the names as text.
    expect(fs.readFileSync(`${log}.applied`, 'utf8')).toContain(`app.kubernetes.io/instance: i${evil}`);
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe('Cassandra: the datacenter reaches CQL and the snitch as data', () => {
  test('the roles Job runs the replication statement from an env var, the datacenter a CQL string constant', () => {
    const chart = newChart('shop');
    new ReplicatedDatabase(chart, 'db', { name: 'db', zones: ZONES, engine: Engine.cassandra({ version: CassandraVersion.V4_1, datacenter: 'eu_1.dc-a' }) });
    const manifests = synthValid(chart);
    const roles = manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith('db-roles')).spec.template.spec.containers[0];
    expect(roles.command[2]).not.toContain('eu_1.dc-a');
    expect(roles.command[2]).toContain('-e "$FIRST_CQL"');
    expect(roles.env).toContainEqual({ name: 'FIRST_CQL', value: "ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', 'eu_1.dc-a': 3}" });
    const config = manifests.find((m) => m.kind === 'ConfigMap' && m.data?.['cassandra-rackdc-a.properties']);
    expect(config.data['cassandra-rackdc-a.properties']).toBe('dc=eu_1.dc-a\nrack=a\n');
    expectAllParse(manifests);
  });
});

describe('every script of every database the library makes parses', () => {
  const engines: Array<[string, () => Engine]> = [
    ['postgres', () => Engine.postgres({ version: PostgresVersion.V16 })],
    ['mysql', () => Engine.mysql({ version: MysqlVersion.V8_4 })],
    ['mongodb', () => Engine.mongodb({ version: MongoDbVersion.V7_0 })],
    ['redis', () => Engine.redis({ version: RedisVersion.V7_4 })],
    ['valkey', () => Engine.valkey({ version: ValkeyVersion.V8_0 })],
    ['cassandra', () => Engine.cassandra({ version: CassandraVersion.V4_1, datacenter: 'eu_1.dc-a' })],
  ];
  const withBackups = (chart: Chart, db: StatefulDatabase | ReplicatedDatabase, family: string, target: BackupTarget) => {
    new BackupSchedule(chart, 'b', {
      database: db,
      methods: [
        BackupMethod.volumeSnapshot({ snapshotClassName: 'csi-snap', schedule: NIGHTLY, retention: KEEP }),
        BackupMethod.logicalDump({ schedule: NIGHTLY, target, retention: Retention.maxAge(Duration.days(7)) }),
      ],
      verification: family === 'cassandra' ? undefined : { schedule: NIGHTLY },
    });
  };

  test.each(engines)('%s: single and replicated, with snapshots, dumps (S3 and PVC) and verification', (family, engine) => {
    let count = 0;
    for (const [replicated, target] of [[false, S3({ prefix: "team/o'k" })], [true, PVC()]] as const) {
      const chart = newChart('shop');
      const props = { name: 'db', engine: engine(), databaseName: family === 'postgres' || family === 'mysql' ? 'app' : undefined };
      const db = replicated
        ? new ReplicatedDatabase(chart, 'db', { ...props, zones: ZONES })
        : new StatefulDatabase(chart, 'db', props);
      withBackups(chart, db, family, target);
      count += expectAllParse(synthValid(chart));
    }
    expect(count).toBeGreaterThan(4);
  });

  test.each(engines.filter(([f]) => f !== 'cassandra'))('%s: restored from a dump in S3 and in a PVC', (family, engine) => {
    for (const target of [S3(), PVC()]) {
      const chart = newChart('shop');
      new StatefulDatabase(chart, 'db', {
        name: 'copy', engine: engine(), restoreFrom: Restore.fromDump({ target, sourceName: 'orders', file: `orders-20261120t020000z.${family.startsWith('redis') || family === 'valkey' ? 'rdb' : family === 'mongodb' ? 'archive' : 'sql'}.gz` }),
      });
      expect(expectAllParse(synthValid(chart))).toBeGreaterThan(0);
    }
  });

  test('postgres: restored from a volume snapshot, and by point-in-time recovery; application users of every engine', () => {
    const snap = newChart('shop');
    new StatefulDatabase(snap, 'db', { name: 'copy', engine: engines[0][1](), restoreFrom: Restore.fromVolumeSnapshot('orders-snapshots-20261120t020000z-orders-0') });
    expect(expectAllParse(synthValid(snap))).toBeGreaterThan(2);
    const pitr = newChart('shop');
    new ReplicatedDatabase(pitr, 'db', {
      name: 'copy',
      engine: engines[0][1](),
      zones: ZONES,
      restoreFrom: Restore.pointInTime({ target: S3(), sourceName: 'orders', time: '2026-11-20T10:15:00+00:00' }),
    });
    expect(expectAllParse(synthValid(pitr))).toBeGreaterThan(0);
    for (const [family, engine] of engines) {
      const chart = newChart('shop');
      new StatefulDatabase(chart, 'db', {
        name: 'db',
        engine: engine(),
        databaseName: family === 'postgres' || family === 'mysql' || family === 'mongodb' ? 'app' : undefined,
        applicationUser: ApplicationUser.fromSecretName('app-user'),
      });
      expect(expectAllParse(synthValid(chart))).toBeGreaterThan(0);
    }
  });
});
