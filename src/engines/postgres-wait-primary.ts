/**
 * Shell lines (`set -eu` assumed, libpq env set) that wait up to 25 minutes until `$PGHOST` answers as a writable
 * primary: the Service a Job connects to selects the writer only, and a replica or a primary still starting answers
 * `t` or nothing.
 */
export const WAIT_FOR_WRITABLE_PRIMARY: readonly string[] = [
  'n=0',
  'until [ "$(psql -X -A -t -d postgres -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]; do',
  '  n=$((n+1)); [ $n -gt 300 ] && { echo "no writable primary at $PGHOST after 25 minutes"; exit 1; }; sleep 5',
  'done',
];
