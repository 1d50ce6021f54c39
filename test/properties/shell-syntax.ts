import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** A shell script found in the manifests, and where. */
export interface FoundScript { readonly where: string; readonly script: string }

const SHELL = /(^|\/)(ba|da|a)?sh$/;

/** `sh -c <script>` / `bash -ec <script>` in one argv (command then args). */
function scriptsOfArgv(argv: unknown[], where: string): FoundScript[] {
  const found: FoundScript[] = [];
  for (let i = 0; i < argv.length - 1; i++) {
    if (typeof argv[i] === 'string' && SHELL.test(argv[i] as string)) {
      const flag = argv.slice(i + 1).findIndex((a) => typeof a === 'string' && /^-[a-z]*c[a-z]*$/.test(a));
      const at = i + 1 + flag;
      if (flag >= 0 && typeof argv[at + 1] === 'string') found.push({ where, script: argv[at + 1] as string });
      break;
    }
  }
  return found;
}

/**
 * Every shell script of the manifests: container command+args, probes and hooks running `sh -c`/`bash -c`, and
 * ConfigMap entries that are scripts (`*.sh`, or starting with a `#!` line naming a shell).
 */
export function findScripts(manifests: any[]): FoundScript[] {
  const found: FoundScript[] = [];
  const walk = (node: any, where: string): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => walk(n, `${where}[${i}]`));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node.command)) found.push(...scriptsOfArgv([...node.command, ...(node.args ?? [])], `${where}.command`));
    for (const [k, v] of Object.entries(node)) if (k !== 'command') walk(v, `${where}.${k}`);
  };
  for (const m of manifests) {
    const id = `${m.kind}/${m.metadata?.name}`;
    if (m.kind === 'ConfigMap') {
      for (const [key, value] of Object.entries<string>(m.data ?? {})) {
        if (key.endsWith('.sh') || /^#!\S*(sh|bash)\b/.test(value)) found.push({ where: `${id} data.${key}`, script: value });
      }
    } else {
      walk(m.spec, id);
    }
  }
  return found;
}

/** Verdicts of `bash -n` by script content: each distinct script is checked once per process. */
const verdicts = new Map<string, string | null>();
let dir: string | undefined;

/**
 * `bash -n` on every script not seen before, in one bash process for the batch. Returns the scripts that do not
 * parse, with bash's message.
 */
export function syntaxErrors(scripts: FoundScript[]): Array<FoundScript & { error: string }> {
  const fresh = [...new Set(scripts.map((s) => s.script))].filter((s) => !verdicts.has(s));
  if (fresh.length > 0) {
    if (!dir) {
      const made = fs.mkdtempSync(path.join(os.tmpdir(), 'shell-syntax-'));
      process.on('exit', () => fs.rmSync(made, { recursive: true, force: true }));
      dir = made;
    }
    const files = fresh.map((s, i) => {
      const file = path.join(dir!, `s${verdicts.size + i}.sh`);
      fs.writeFileSync(file, s);
      return file;
    });
    // One process for the batch: each file's verdict on a line of its own, bash's message after it.
    const out = execFileSync('bash', ['-c', 'for f; do if e=$(bash -n "$f" 2>&1); then echo "OK"; else printf "ERR %s\\n" "$(printf %s "$e" | tr "\\n" " ")"; fi; done', '_', ...files],
      { encoding: 'utf8' }).split('\n');
    fresh.forEach((s, i) => verdicts.set(s, out[i] === 'OK' ? null : (out[i] ?? 'no verdict').replace(/^ERR /, '')));
  }
  return scripts.filter((s) => verdicts.get(s.script)).map((s) => ({ ...s, error: verdicts.get(s.script)! }));
}
