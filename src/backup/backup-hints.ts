import { Retention } from './retention';
import { describeDuration } from '../dr/recovery-objectives';
import { HINT_BACKS_UP, HINT_RETENTION, HINT_RPO_SECONDS, HINT_VERIFIES } from '../policy/manifest';

/**
 * The annotations a backup writes for the policy rules over rendered YAML (DOK-BACKUP-SCHEDULED, DOK-RPO-TARGET):
 * what only the construct knows, the instance it backs up, its worst-case RPO and its retention. They go on the
 * CronJob's (or StatefulSet's) own metadata, never on a pod template: annotating a controller restarts no pod.
 */
export function backupHints(instance: string, worstCaseRpoSeconds: number, retention: string): Record<string, string> {
  return {
    [HINT_BACKS_UP]: instance,
    [HINT_RPO_SECONDS]: String(worstCaseRpoSeconds),
    [HINT_RETENTION]: retention,
  };
}

/** On the restore-verification CronJob: the instance whose backups it restores. */
export function verificationHints(instance: string): Record<string, string> {
  return { [HINT_VERIFIES]: instance };
}

/**
 * A retention in words, as the prune step applies it: a run goes when either limit says so, and the newest always
 * stays (`pruneRunsShell`), e.g. "newest 7 backups, none older than 14 d (the newest always kept)".
 */
export function retentionInWords(retention: Retention, noun = 'backups'): string {
  const count = retention.keepLastCount;
  const age = retention.maxAgeSeconds;
  const parts: string[] = [];
  if (count !== undefined) parts.push(`newest ${count} ${count === 1 ? noun.replace(/s$/, '') : noun}`);
  if (age !== undefined) parts.push(count !== undefined ? `none older than ${describeDuration(Math.ceil(age))}` : `${noun} younger than ${describeDuration(Math.ceil(age))}`);
  return age !== undefined ? `${parts.join(', ')} (the newest always kept)` : parts.join(', ');
}
