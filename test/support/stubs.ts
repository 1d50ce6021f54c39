import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** How a script ran against stand-ins: its exit code, its output, and the calls the stand-ins logged, in order. */
export interface StubRun { code: number; out: string; calls: string[] }

/** Writes an executable stand-in `dir/bin/<name>`. */
export function writeStub(dir: string, name: string, text: string): void {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bin', name), text, { mode: 0o755 });
}

/**
 * Runs `script` with `shell` in exactly `env`, plus the stand-ins in `dir/bin` first on PATH and STUB_CALLS (the
 * file the stand-ins append their calls to, emptied first).
 */
export function runWithStubs(shell: 'sh' | 'bash', script: string, dir: string, env: Record<string, string | undefined>): StubRun {
  const calls = path.join(dir, 'calls');
  fs.writeFileSync(calls, '');
  let code = 0;
  let out = '';
  try {
    out = execFileSync(shell, ['-c', script], {
      env: { ...env, STUB_CALLS: calls, PATH: `${dir}/bin:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
  } catch (e: any) {
    code = e.status ?? -1;
    out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  return { code, out, calls: fs.readFileSync(calls, 'utf8').split('\n').filter((l) => l) };
}
