import { applicationUserJob } from './application-user-job';
import { EngineContext, EngineJob } from './engine-definition';
import { plainEnv, secretEnv } from './probes';

/**
 * Creates the application role once the superuser from the Secret can log in (the roles Job has run; in a ring it
 * also gave system_auth the datacenter's replication factor first), and keeps it an ordinary role on every run:
 * LOGIN, not SUPERUSER, its password set from the Secret (a changed Secret is applied by the next Job), and CREATE on
 * ALL KEYSPACES: it may create keyspaces, and Cassandra gives a role every permission on what it creates.
 *
 * As the roles Job, it talks to the client Service with cqlsh as the superuser, but the superuser's password goes in
 * a private cqlshrc (`[authentication] password`, read raw: no interpolation) instead of `-p`, and the CQL goes in a
 * file (`-f`), so no password is on a command line. In the CQL the role is a quoted identifier (`"` doubled) and the
 * password a string literal (`'` doubled; CQL has no backslash escapes). `cqlsh -f` exits 2 when a statement fails.
 * @see https://cassandra.apache.org/doc/latest/cassandra/developing/cql/security.html (CREATE/ALTER ROLE, GRANT)
 * @see https://cassandra.apache.org/doc/latest/cassandra/developing/cql/definitions.html (identifiers, string constants)
 * @see https://cassandra.apache.org/doc/latest/cassandra/managing/tools/cqlsh.html (--cqlshrc, -f)
 */
export function cassandraApplicationUserJob(ctx: EngineContext, cqlPort: number): EngineJob | undefined {
  const app = ctx.application;
  if (!app) return undefined;
  const script = [
    'set -u',
    '[ -n "$APP_USERNAME" ] || { echo "the application role has no name: its Secret holds an empty username"; exit 1; }',
    // `cassandra` is the image\'s default superuser (the roles Job gave it a random password).
    'if [ "$APP_USERNAME" = "$DB_USER" ] || [ "$APP_USERNAME" = cassandra ]; then',
    '  echo "the application role is a superuser ($APP_USERNAME): give it a name of its own"; exit 1',
    'fi',
    // configparser strips a value\'s surrounding blanks and ends it at a line break.
    'case "$DB_PASSWORD" in',
    '  *"',
    '"*|" "*|*" "|"\t"*|*"\t") echo "the superuser\'s password has a line break or surrounding blanks, which cqlshrc cannot hold: change it in its Secret"; exit 1 ;;',
    'esac',
    'umask 077',
    'work=$(mktemp -d "${TMPDIR:-/tmp}/app-role.XXXXXX") || exit 1',
    'trap \'rm -rf "$work"\' EXIT',
    'printf \'[authentication]\\npassword = %s\\n\' "$DB_PASSWORD" > "$work/cqlshrc"',
    `cql() { cqlsh "$CQL_HOST" ${cqlPort}${ctx.tlsPath ? ' --ssl' : ''} --cqlshrc "$work/cqlshrc" -u "$DB_USER" --connect-timeout=10 "$@"; }`,
    // CQL quoting of arbitrary text: a string literal doubles single quotes, a quoted identifier double quotes.
    // The x keeps trailing line breaks, which $(...) would strip.
    'literal() { v=$(printf \'%sx\' "$1" | sed "s/\'/\'\'/g"); printf "\'%s\'" "${v%x}"; }',
    'identifier() { v=$(printf \'%sx\' "$1" | sed \'s/"/""/g\'); printf \'"%s"\' "${v%x}"; }',
    'n=0',
    'until cql -e "SELECT now() FROM system.local" >/dev/null 2>&1; do',
    '  n=$((n+1)); [ $n -gt 150 ] && { echo "the superuser $DB_USER cannot log in at $CQL_HOST after 25 minutes: has the roles Job run?"; exit 1; }',
    '  echo "waiting for authentication at $CQL_HOST: the roles Job creates $DB_USER"; sleep 10',
    'done',
    'role=$(identifier "$APP_USERNAME")',
    'printf \'SELECT count(*) FROM system_auth.roles WHERE role = %s;\\n\' "$(literal "$APP_USERNAME")" > "$work/exists.cql"',
    'out=$(cql -f "$work/exists.cql") || { printf \'%s\\n\' "$out"; exit 1; }',
    'count=$(printf \'%s\\n\' "$out" | awk \'NF == 1 && $1 ~ /^[0-9]+$/ { print $1; exit }\')',
    '{',
    '  printf \'CREATE ROLE IF NOT EXISTS %s WITH LOGIN = true AND SUPERUSER = false;\\n\' "$role"',
    '  printf \'ALTER ROLE %s WITH PASSWORD = %s AND LOGIN = true AND SUPERUSER = false;\\n\' "$role" "$(literal "$APP_PASSWORD")"',
    '  printf \'GRANT CREATE ON ALL KEYSPACES TO %s;\\n\' "$role"',
    '} > "$work/role.cql"',
    'cql -f "$work/role.cql" || exit 1',
    '[ "${count:-0}" = 0 ] && did=created || did=updated',
    'echo "application role $APP_USERNAME $did: LOGIN, not SUPERUSER, may create keyspaces; password from its Secret"',
  ].join('\n');
  return applicationUserJob(app, script, [
    // In-cluster only, like the roles Job: the Job does not mount the CA, so cqlsh encrypts without verifying.
    ...(ctx.tlsPath ? [plainEnv('SSL_VALIDATE', 'false')] : []),
    plainEnv('CQL_HOST', ctx.name),
    secretEnv('DB_USER', ctx.credentials.secretName, ctx.credentials.usernameKey),
    secretEnv('DB_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
  ], 999);
}
