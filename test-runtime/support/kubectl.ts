import { spawn } from 'child_process';

/**
 * Runs the machine's kubectl against `server` with no kubeconfig, without blocking the event loop (the stand-in
 * answering it lives in this process). Resolves with the exit code and everything it printed.
 */
export function kubectl(args: string[], server: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', [...args, '--server', server], { env: { ...process.env, KUBECONFIG: '/dev/null' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (e) => reject(new Error(`kubectl could not run (${e.message}): it is installed on every machine of this project (TOOLCHAIN).`)));
    child.on('close', (code) => resolve({ code, out }));
  });
}
