import { until } from './wait';
import { LocalPod } from '../harness/pod';

/** valkey-cli in the pod's `valkey` container (`--raw` replies); fails with its stderr. */
export async function cli(pod: LocalPod, ...args: string[]): Promise<string> {
  const r = await pod.exec('valkey', ['valkey-cli', '--raw', ...args], 20);
  if (r.code !== 0) throw new Error(`${pod.name}: valkey-cli ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The member's replication role (`master` / `slave`), or undefined when the server does not answer. */
export async function role(pod: LocalPod): Promise<string | undefined> {
  const info = await cli(pod, 'info', 'replication').catch(() => '');
  return /role:(\w+)/.exec(info)?.[1];
}

/**
 * Every member's Sentinel knows the other Sentinels and every replica (it learns replicas from the primary's
 * INFO every 10 s): before that, a failover finds no replica to promote (NOGOODSLAVE).
 */
export function sentinelsSettled(pods: LocalPod[], timeoutSeconds: number): Promise<boolean> {
  return until('every Sentinel to know the others and the replicas', async () => {
    for (const p of pods) {
      const view = (await cli(p, '-p', '26379', 'sentinel', 'master', 'primary')).split('\n');
      const field = (name: string) => Number(view[view.indexOf(name) + 1]);
      if (field('num-other-sentinels') !== pods.length - 1 || field('num-slaves') !== pods.length - 1) return false;
    }
    return true;
  }, timeoutSeconds);
}
