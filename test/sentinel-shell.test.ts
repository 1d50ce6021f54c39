import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine, ReplicatedDatabase, ValkeyVersion } from '../src';
import { newChart, only, synthValid } from './support/synth';

// The start script of a Sentinel member, run for real with sh against a stand-in valkey-cli that answers
// `SENTINEL MASTER primary` as each member's Sentinel would (field/value lines with --raw), or with an
// error reply. The stand-in server prints the arguments it was started with.

function serverScript(): string {
  const chart = newChart('data');
  new ReplicatedDatabase(chart, 'db', { name: 'db', engine: Engine.valkey({ version: ValkeyVersion.V8_0 }), zones: ['a', 'b', 'c'] });
  const sts = only(synthValid(chart), 'StatefulSet');
  return sts.spec.template.spec.containers[0].command[2];
}

const member = (i: number) => `db-${i}.db-headless.data.svc`;
const view = (host: string, epoch: number) => ['name', 'primary', 'ip', host, 'port', '6379', 'flags', 'master', 'config-epoch', String(epoch)].join('\n');

/** Starts member `self` with the given answers per Sentinel (undefined: connection refused); returns the server's argv. */
function start(self: number, answers: Array<string | undefined>, saved?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  answers.forEach((a, i) => { if (a !== undefined) fs.writeFileSync(path.join(dir, `answer-${member(i)}`), a + '\n'); });
  fs.writeFileSync(path.join(bin, 'valkey-cli'), [
    '#!/bin/sh',
    // -h HOST is the second argument; a missing answer file is a refused connection (exit 1).
    `f="${dir}/answer-$2"; [ -f "$f" ] || exit 1`,
    // redis-cli --raw prints an error reply as text and exits 1 (NOAUTH, IDONTKNOW...).
    'cat "$f"; case "$(head -n 1 "$f")" in NOAUTH*|ERR*|IDONTKNOW*) exit 1 ;; esac',
  ].join('\n'), { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'valkey-server'), '#!/bin/sh\necho "ARGS $*"\n', { mode: 0o755 });
  // No waiting in a unit test: `sleep` returns at once and the clock jumps 10 s per reading.
  fs.writeFileSync(path.join(bin, 'sleep'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'date'), `#!/bin/sh\nn=$(cat ${dir}/clock 2>/dev/null || echo 1000); echo $((n + 10)) > ${dir}/clock; echo $n\n`, { mode: 0o755 });
  const state = path.join(dir, 'sentinel');
  fs.mkdirSync(state);
  if (saved) fs.writeFileSync(path.join(state, 'sentinel.conf'), `port 26379\nsentinel monitor primary ${saved} 6379 2\n`);
  const script = serverScript().split('/data/sentinel').join(state);
  try {
    const out = execFileSync('sh', ['-c', script], {
      env: { PATH: `${bin}:/usr/bin:/bin`, HOSTNAME: `db-${self}`, DB_PASSWORD: 'pw', APP_USERNAME: 'app', APP_PASSWORD: 'app-pw' }, encoding: 'utf8',
    });
    return out.split('\n').find((l) => l.startsWith('ARGS '))!;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('Sentinel member start', () => {
  test('follows the newest view (highest config-epoch) of the Sentinels that answer', () => {
    const args = start(2, [view(member(0), 0), view(member(1), 3), view(member(2), 1)]);
    expect(args).toContain(`--replicaof ${member(1)} 6379`);
  });

  test('starts as primary when the newest view names itself', () => {
    const args = start(1, [view(member(0), 0), view(member(1), 3), undefined]);
    expect(args).not.toContain('--replicaof');
    expect(args).toContain(`--replica-announce-ip ${member(1)}`);
  });

  test('an error reply is not an answer: NOAUTH never becomes the primary\'s host', () => {
    const args = start(2, ['NOAUTH Authentication required.', view(member(1), 2), 'ERR no such master with that name']);
    expect(args).toContain(`--replicaof ${member(1)} 6379`);
    expect(args).not.toMatch(/NOAUTH|ERR/);
  });

  test('a host that is not a member is not an answer', () => {
    const args = start(0, [view('10.0.0.9', 9), view(member(1), 1), undefined]);
    expect(args).toContain(`--replicaof ${member(1)} 6379`);
  });

  test('no Sentinel answers: the view this member\'s Sentinel saved, not member 0', () => {
    const args = start(0, [undefined, 'NOAUTH Authentication required.', undefined], member(2));
    expect(args).toContain(`--replicaof ${member(2)} 6379`);
  });

  test('a set that never ran (no answer, nothing saved) starts with member 0 as primary', () => {
    expect(start(0, [undefined, undefined, undefined])).not.toContain('--replicaof');
    expect(start(1, [undefined, undefined, undefined])).toContain(`--replicaof ${member(0)} 6379`);
  });
});
