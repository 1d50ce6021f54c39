import { EngineContext, EngineJob } from './engine-definition';
import { WAIT_FOR_WRITABLE_PRIMARY } from './postgres-wait-primary';
import { plainEnv, secretEnv } from './probes';
import { shellAssign } from '../private/shell';

/** Where the init Job mounts the `initScripts` ConfigMap (the postgres image's folder, for familiarity). */
export const PATRONI_INIT_SCRIPTS_PATH = '/docker-entrypoint-initdb.d';
/** The comment that records on a database that its init scripts ran to the end. */
export const INIT_DONE_COMMENT = 'cdk8s-databases: init scripts applied';

/**
 * What the postgres image does on its first start (create POSTGRES_DB, run /docker-entrypoint-initdb.d), for a
 * Patroni cluster, where Spilo does neither: a Job against the primary Service, once the primary accepts writes.
 * - `databaseName`: created when missing (`CREATE DATABASE` cannot run in a transaction; a retry finds it);
 * - `initScripts`: run in that database (else `postgres`) in name order, as the image runs them: `*.sql` (here each
 *   in one transaction, so a failed file leaves nothing of itself), `*.sql.gz`, `*.sh` (sourced by the image; run
 *   with sh here, with PGHOST/PGUSER/PGPASSWORD/PGDATABASE set). Once all succeeded, the database's comment
 *   records it, and later runs of the Job (a retry, a new Job after a change) skip them. A failed script fails
 *   the Job, which retries from the first script: write scripts that can run twice (IF NOT EXISTS).
 * Spilo's pg_hba refuses host connections without TLS (configure_spilo.py: `hostnossl all all all reject`), so the
 * Job connects with sslmode=require.
 * Returns undefined when there is nothing to do.
 */
export function patroniInitJob(ctx: EngineContext, initScripts: Record<string, string> | undefined): EngineJob | undefined {
  if (ctx.databaseName === undefined && initScripts === undefined) return undefined;
  const db = ctx.databaseName ?? 'postgres';
  const script = initScript(db, initScripts !== undefined);
  return {
    // Named after its content and the mounted scripts (`oneOffJob`): new scripts or a new database make a new Job.
    suffix: 'init',
    runAsUser: 101,
    env: [
      plainEnv('PGHOST', ctx.name),
      plainEnv('PGPORT', '5432'),
      plainEnv('PGSSLMODE', 'require'),
      plainEnv('PGCONNECT_TIMEOUT', '5'),
      secretEnv('PGUSER', ctx.credentials.secretName, ctx.credentials.usernameKey),
      secretEnv('PGPASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
    ],
    script,
    initScriptsPath: initScripts !== undefined ? PATRONI_INIT_SCRIPTS_PATH : undefined,
  };
}

function initScript(db: string, withScripts: boolean): string {
  // databaseName is checked against [A-Za-z_][A-Za-z0-9_]{0,62} (validate-props.ts): safe between double quotes.
  const q = (sql: string) => `psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "${sql.replace(/"/g, '\\"')}"`;
  const lines = [
    'set -eu',
    shellAssign('DB', db),
    ...WAIT_FOR_WRITABLE_PRIMARY,
    'if [ "$DB" != postgres ] && [ -z "$(psql -X -A -t -d postgres -c "SELECT 1 FROM pg_database WHERE datname = \'$DB\'")" ]; then',
    `  ${q('CREATE DATABASE "$DB"')}`,
    '  echo "database $DB created"',
    'fi',
  ];
  if (withScripts) {
    lines.push(
      `if [ "$(psql -X -A -t -d postgres -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$DB'")" = '${INIT_DONE_COMMENT}' ]; then`,
      '  echo "init scripts already applied to $DB: nothing to do"; exit 0',
      'fi',
      'export PGDATABASE="$DB"',
      `for f in ${PATRONI_INIT_SCRIPTS_PATH}/*; do`,
      '  case "$f" in',
      '    *.sql) echo "running $f"; psql -X -q -v ON_ERROR_STOP=1 --single-transaction -f "$f" ;;',
      '    *.sql.gz) echo "running $f"; gunzip -c "$f" | psql -X -q -v ON_ERROR_STOP=1 --single-transaction ;;',
      '    *.sh) echo "running $f"; sh "$f" ;;',
      '    *) echo "ignoring $f" ;;',
      '  esac',
      'done',
      `  ${q(`COMMENT ON DATABASE "$DB" IS '${INIT_DONE_COMMENT}'`)}`.trim(),
      'echo "init scripts applied to $DB"',
    );
  }
  return lines.join('\n');
}
