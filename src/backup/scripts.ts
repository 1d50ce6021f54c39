import { EngineBackup } from './engine-backup';
import { pruneRunsShell } from './jobs';
import { breLiteral, ereLiteral, heredocText, inDoubleQuotes as dq, shellQuote, shellWord, shellWords } from '../private/shell';

export const LABEL_BACKUP = 'cdk8s-databases.io/backup';
export const LABEL_RUN = 'cdk8s-databases.io/backup-run';

export interface SnapshotScriptOptions {
  readonly schedule: string;
  readonly container: string;
  readonly snapshotClass: string;
  readonly members: string[];
  readonly backup: EngineBackup;
  /** Label selector of the replicas, where the engine labels roles (Patroni). */
  readonly replicaSelector?: string;
  readonly replicated: boolean;
  readonly instance: string;
  readonly keepLast?: number;
  readonly maxAgeSeconds?: number;
}

/**
 * The snapshot run: choose the member(s), quiesce through the engine's own tools, cut one labelled
 * VolumeSnapshot per claim, resume as soon as every snapshot has its creationTime (the cut), wait
 * until they are ready, then prune old runs of this schedule only.
 */
export function snapshotScript(o: SnapshotScriptOptions): string {
  const q = o.backup.quiesce;
  // Every name reaches the script escaped for where it stands (a word, double quotes, a here-document, a pattern):
  // a valid name reads as it is, anything else stays data.
  const container = shellWord(o.container);
  const schedule = shellWord(o.schedule);
  const exec = (pod: string, script: string) => `kubectl exec "${pod}" -c ${container} -- sh -c "${script}"`;
  const select: string[] = [];
  if (o.backup.snapshotAllMembers || !o.replicated) {
    select.push(`PODS="${dq(o.backup.snapshotAllMembers ? o.members.join(' ') : o.members[0])}"`);
  } else if (o.replicaSelector) {
    select.push(
      // {.items[*]} prints nothing on an empty list; {.items[0]} fails there, and would stop the run (set -e).
      `PODS=$(kubectl get pods -l ${shellQuote(o.replicaSelector)} --field-selector=status.phase=Running -o jsonpath='{.items[*].metadata.name}' | cut -d' ' -f1)`,
      `[ -n "$PODS" ] || PODS="${dq(o.members[0])}"`,
    );
  } else {
    // Snapshot a replica where there is one: the primary keeps serving writes unlocked.
    select.push(
      `PODS="${dq(o.members[0])}"`,
      `for M in ${shellWords(o.members)}; do`,
      `  if [ "$(${exec('$M', '$ROLE_PROBE')} 2>/dev/null)" = replica ]; then PODS=$M; break; fi`,
      'done',
    );
  }
  const create = [
    'for P in $PODS; do',
    '  kubectl apply -f - <<EOF',
    'apiVersion: snapshot.storage.k8s.io/v1',
    'kind: VolumeSnapshot',
    'metadata:',
    `  name: ${heredocText(o.schedule)}-$RUN-$P`,
    '  labels:',
    `    ${LABEL_BACKUP}: ${heredocText(o.schedule)}`,
    `    ${LABEL_RUN}: "$RUN"`,
    `    app.kubernetes.io/instance: ${heredocText(o.instance)}`,
    '    app.kubernetes.io/managed-by: cdk8s-databases',
    'spec:',
    `  volumeSnapshotClassName: ${heredocText(o.snapshotClass)}`,
    '  source:',
    '    persistentVolumeClaimName: data-$P',
    'EOF',
    'done',
    // The snapshot is cut when the CSI driver reports its creationTime; only then may the engine resume.
    'for P in $PODS; do',
    `  n=0; until [ -n "$(kubectl get volumesnapshot ${schedule}-$RUN-$P -o jsonpath='{.status.creationTime}')" ]; do`,
    '    n=$((n+1)); [ $n -gt 600 ] && { echo "snapshot of $P was not cut within 10 minutes"; exit 1; }; sleep 1',
    '  done',
    'done',
  ];
  const quiesced: string[] = [];
  if (q.mode === 'session') {
    quiesced.push(
      'P=$(echo $PODS | cut -d" " -f1)',
      `kubectl exec "$P" -c ${container} -- env RUN="$RUN" sh -c "$HOLD" > /tmp/session.log 2>&1 &`,
      'SESSION=$!',
      `release() { kubectl exec "$P" -c ${container} -- touch /tmp/cdk8s-backup/go >/dev/null 2>&1 || true; }`,
      'trap release EXIT',
      'n=0; until grep -q READY /tmp/session.log; do n=$((n+1)); if [ $n -gt 300 ] || ! kill -0 $SESSION 2>/dev/null; then cat /tmp/session.log; exit 1; fi; sleep 1; done',
      ...create,
      'release; trap - EXIT',
      'wait $SESSION || { cat /tmp/session.log; exit 1; }',
    );
  } else if (q.mode === 'lock') {
    quiesced.push(
      `for P in $PODS; do ${exec('$P', '$LOCK')}; done`,
      `unlock() { for P in $PODS; do ${exec('$P', '$UNLOCK')} || true; done; }`,
      'trap unlock EXIT',
      ...create,
      'unlock; trap - EXIT',
    );
  } else {
    quiesced.push(`for P in $PODS; do ${exec('$P', '$PREPARE')}; done`, ...create);
  }
  return [
    'set -eu',
    'RUN=$(date -u +%Y%m%dt%H%M%Sz)',
    ...select,
    'echo "run $RUN: snapshotting $PODS"',
    ...quiesced,
    `kubectl wait --for=jsonpath='{.status.readyToUse}'=true volumesnapshot -l ${LABEL_RUN}=$RUN,${LABEL_BACKUP}=${schedule} --timeout=60m`,
    pruneRunsShell(o.keepLast, o.maxAgeSeconds),
    `delete_run() { kubectl delete volumesnapshot -l ${LABEL_BACKUP}=${schedule},${LABEL_RUN}="$1"; }`,
    `kubectl get volumesnapshot -l ${LABEL_BACKUP}=${schedule} -o jsonpath='{range .items[*]}{.metadata.labels.cdk8s-databases\\.io/backup-run}{"\\n"}{end}' | prune_runs`,
    'echo "run $RUN: done"',
  ].join('\n');
}

/**
 * Runs the engine's dump into /backup/<dir>, then writes its sha256 beside it (bash in the database
 * image; sh with kubectl for dumps taken through exec). The dump and its checksum are written under
 * `.partial` names and renamed only once both are complete: a failed run leaves nothing that retention,
 * verification or a restore could take for a dump.
 */
export function dumpScript(name: string, dir: string, backup: EngineBackup, exec?: { members: string[]; container: string }): string {
  const folder = `/backup/${dq(dir)}`;
  return [
    exec ? 'set -eu' : 'set -euo pipefail',
    'RUN=$(date -u +%Y%m%dt%H%M%Sz)',
    `mkdir -p ${shellWord(`/backup/${dir}`)} /tmp/work`,
    `F="${dq(name)}-$RUN.${dq(backup.dumpExtension)}"`,
    `OUT="${folder}/$F.partial"`,
    `trap ${shellQuote(`rm -f "$OUT" "${folder}/$F.sha256.partial"`)} EXIT`,
    exec ? backup.dumpThroughExec!(exec.members, exec.container) : backup.dump!,
    `(cd ${shellWord(`/backup/${dir}`)} && sha256sum "$F.partial" | sed 's/\\.partial$//' > "$F.sha256.partial")`,
    `mv "$OUT" "${folder}/$F" && mv "${folder}/$F.sha256.partial" "${folder}/$F.sha256"`,
    'trap - EXIT',
    'echo "$F" > /backup/.latest',
    `echo "dumped $F ($(wc -c < "${folder}/$F") bytes)"`,
  ].join('\n');
}

/** Keeps the dumps in a PVC folder within retention; only files named like this schedule's dumps. */
export function pvcRetentionScript(name: string, dir: string, ext: string, keepLast?: number, maxAgeSeconds?: number): string {
  return [
    'set -eu',
    pruneRunsShell(keepLast, maxAgeSeconds),
    `delete_run() { rm -f "/backup/${dq(dir)}/${dq(name)}-$1.${dq(ext)}" "/backup/${dq(dir)}/${dq(name)}-$1.${dq(ext)}.sha256"; }`,
    `ls ${shellWord(`/backup/${dir}`)} | sed -n ${shellQuote(`s/^${breLiteral(name)}-\\([0-9]\\{8\\}t[0-9]\\{6\\}z\\)\\.${breLiteral(ext)}$/\\1/p`)} | prune_runs`,
  ].join('\n');
}

/**
 * Lists this schedule's complete dumps in the store, oldest first: `<name>-<run>.<ext>` keys under `$S3_PREFIX/`
 * that have their `.sha256` beside them (the checksum is uploaded second: a run cut off between the two is not taken for a dump).
 * Keys are matched after their last '/', never as a regex of the prefix (a prefix may hold `.`, `*`, `(`).
 * `list-objects-v2` pages through every key; an empty listing prints `None`, which matches nothing.
 */
function s3CompleteDumps(name: string, ext: string): string {
  return [
    `aws --endpoint-url "$S3_ENDPOINT" s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$S3_PREFIX/${dq(name)}-" --query 'Contents[].Key' --output text`,
    `tr '\\t' '\\n' | sed 's|.*/||' | grep -E ${shellQuote(`^${ereLiteral(name)}-[0-9]{8}t[0-9]{6}z\\.${ereLiteral(ext)}(\\.sha256)?$`)} | sed 's/\\.sha256$//' | sort | uniq -c | sed -n 's/^ *2 //p'`,
  ].join(' \\\n  | ');
}

/**
 * Uploads the dump, then its checksum, then prunes by retention (bash, AWS CLI image). Should the checksum
 * not go up, the dump just uploaded is removed again: nothing half-written stays in the store.
 */
export function s3UploadScript(name: string, ext: string, keepLast?: number, maxAgeSeconds?: number): string {
  return [
    'set -euo pipefail',
    'F=$(cat /backup/.latest)',
    'aws --endpoint-url "$S3_ENDPOINT" s3 cp "/backup/$F" "s3://$S3_BUCKET/$S3_PREFIX/$F"',
    'aws --endpoint-url "$S3_ENDPOINT" s3 cp "/backup/$F.sha256" "s3://$S3_BUCKET/$S3_PREFIX/$F.sha256" \\',
    '  || { aws --endpoint-url "$S3_ENDPOINT" s3 rm "s3://$S3_BUCKET/$S3_PREFIX/$F" || true; echo "upload of $F.sha256 FAILED: $F removed from the store"; exit 1; }',
    'echo "uploaded $F and $F.sha256 to s3://$S3_BUCKET/$S3_PREFIX/"',
    pruneRunsShell(keepLast, maxAgeSeconds),
    `delete_run() { for S in "" .sha256; do aws --endpoint-url "$S3_ENDPOINT" s3 rm "s3://$S3_BUCKET/$S3_PREFIX/${dq(name)}-$1.${dq(ext)}$S"; done; }`,
    `${s3CompleteDumps(name, ext)} \\`,
    `  | sed -n ${shellQuote(`s/^${breLiteral(name)}-\\([0-9]\\{8\\}t[0-9]\\{6\\}z\\)\\..*$/\\1/p`)} | prune_runs`,
  ].join('\n');
}

/**
 * Fetches a dump (the newest, or the one named) and checks its sha256 before anything loads it.
 * `source` is `s3` (AWS CLI image) or `pvc` (files under /backup/<dir>).
 */
export function fetchScript(source: 's3' | 'pvc', name: string, ext: string, dir: string, file?: string): string {
  // `|| true`: no match is not an error of the listing (pipefail); the empty name is reported below.
  const pick = source === 's3'
    ? `$(${s3CompleteDumps(name, ext)} | tail -n 1 || true)`
    : `$(ls ${shellWord(`/backup/${dir}`)} | grep -E ${shellQuote(`^${ereLiteral(name)}-[0-9]{8}t[0-9]{6}z\\.${ereLiteral(ext)}$`)} | sort | tail -n 1 || true)`;
  const get = source === 's3'
    ? ['for S in "" .sha256; do aws --endpoint-url "$S3_ENDPOINT" s3 cp "s3://$S3_BUCKET/$S3_PREFIX/$F$S" "/restore/$F$S"; done']
    : [`cp "/backup/${dq(dir)}/$F" "/backup/${dq(dir)}/$F.sha256" /restore/`];
  return [
    'set -euo pipefail',
    `F=${file !== undefined ? `"${dq(file)}"` : pick}`,
    `[ -n "$F" ] || { echo "no dump of ${dq(name)} found to restore${source === 's3' ? ' in s3://$S3_BUCKET/$S3_PREFIX/ (a dump counts once its .sha256 is there)' : ` in /backup/${dq(dir)}`}"; exit 1; }`,
    ...get,
    '(cd /restore && sha256sum -c "$F.sha256") || { echo "checksum mismatch for $F: refusing to load it"; exit 1; }',
    'ln -sf "/restore/$F" /restore/dump',
    'echo "fetched and verified $F"',
  ].join('\n');
}
