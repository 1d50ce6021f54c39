import { applicationUserJob } from './application-user-job';
import { EngineContext, EngineJob } from './engine-definition';
import { plainEnv, secretEnv } from './probes';

/** The official image's user (uid 999): the Job runs the image's own `mysql` client. */
const RUN_AS_USER = 999;
const PORT = 3306;

/**
 * Creates the application account `'<APP_USERNAME>'@'%'` against the writer, once it accepts writes, and keeps its
 * rights to `ALL` on its database (`APP_DATABASE`, created when missing) and nothing else: no global privilege, no
 * GRANT OPTION. Its password is set from the Secret on every run, so a changed Secret is applied by the next Job.
 *
 * The writer is the Service `<name>`: the single instance, or with Group Replication the member the role labeller
 * marks primary. A member is writable when `super_read_only` is OFF: Group Replication keeps every secondary (and a
 * member that left the group or lost its majority) in super read-only mode, and the primary's election turns it
 * off. The check and the statements are separate sessions: a primary that changes in between makes the statements
 * fail on super_read_only, the script exits non-zero and the Job's next attempt waits again.
 * @see https://dev.mysql.com/doc/refman/8.4/en/group-replication-single-primary-mode.html
 *
 * Fine in a group: CREATE USER, ALTER USER, GRANT and CREATE DATABASE are written to the binary log as statements
 * (passwords rewritten as hashes) and replicated to every member; Group Replication's "InnoDB tables with a primary
 * key" requirement concerns tables, and this Job creates none. Nothing here turns `sql_log_bin` off.
 * @see https://dev.mysql.com/doc/refman/8.4/en/binary-log-mysql-database.html
 * @see https://dev.mysql.com/doc/refman/8.4/en/group-replication-requirements.html
 *
 * The username and password are arbitrary strings from a Secret. They reach SQL only as string literals built
 * here (backslashes doubled, quotes doubled) in a session whose sql_mode is pinned without NO_BACKSLASH_ESCAPES,
 * so the escaping means what it says whatever the server's sql_mode; the SQL goes to the client on stdin, never on
 * argv (visible in ps). The shell never evaluates them: they are only ever arguments of the `printf` builtin. Root
 * logs in with MYSQL_PWD from the credentials Secret. The session turns its general query log off (`sql_log_off`);
 * CREATE/ALTER USER ... IDENTIFIED BY is rewritten in the slow and binary logs anyway.
 * @see https://dev.mysql.com/doc/refman/8.4/en/password-logging.html
 * @see https://dev.mysql.com/doc/refman/8.4/en/string-literals.html
 * @see https://dev.mysql.com/doc/refman/8.4/en/grant.html (`_` in a database name is a wildcard: escaped `\_`,
 *   as docker-library/mysql's entrypoint does for MYSQL_DATABASE)
 */
export function mysqlApplicationUserJob(ctx: EngineContext): EngineJob | undefined {
  const app = ctx.application;
  if (!app) return undefined;
  // With `tls` the server sets require_secure_transport: never fall back to a plain connection.
  const ssl = ctx.tlsPath ? ' --ssl-mode=REQUIRED' : '';
  const script = [
    'set -eu',
    'if [ -z "$APP_USERNAME" ] || [ -z "$APP_PASSWORD" ]; then',
    // '' is MySQL's anonymous account.
    '  echo "the application user\'s Secret holds an empty username or password: give both a value"; exit 1',
    'fi',
    // Account names compare without trailing spaces (mysql.user.User is a PAD SPACE CHAR column): 'root ' is root.
    'u=$APP_USERNAME',
    'while [ "${u% }" != "$u" ]; do u=${u% }; done',
    'if [ "$u" = root ]; then',
    '  echo "the application user is the superuser (root): give it a name of its own"; exit 1',
    'fi',
    // Our own plain env (`databaseName`, validated, or `app`); checked again before it becomes an identifier.
    'case "$APP_DATABASE" in ""|*[!A-Za-z0-9_]*) echo "APP_DATABASE ($APP_DATABASE) is not a plain identifier"; exit 1 ;; esac',
    // A MySQL string literal: backslashes and single quotes doubled. The "." keeps trailing newlines, which
    // command substitution would strip.
    'lit() { v=$(printf \'%s.\' "$1" | sed -e \'s/\\\\/\\\\\\\\/g\' -e "s/\'/\'\'/g"); printf "\'%s\'" "${v%.}"; }',
    `sql() { mysql -uroot -h"$MYSQL_HOST" -P${PORT} --connect-timeout=5 --default-character-set=utf8mb4 -N -B${ssl} "$@"; }`,
    'n=0',
    // An answer without a row is writable: super_read_only OFF. No answer (down, refused, no such host) is not.
    // MariaDB (the runtime tests' stand-in) has no super_read_only: its answer is always empty.
    'until out=$(sql -e "SHOW GLOBAL VARIABLES WHERE Variable_name = \'super_read_only\' AND Value <> \'OFF\'" 2>/dev/null) && [ -z "$out" ]; do',
    '  n=$((n+1)); [ $n -gt 300 ] && { echo "no writable server at $MYSQL_HOST after 25 minutes (super_read_only ON or no answer)"; exit 1; }',
    '  sleep 5',
    'done',
    'user=$(lit "$APP_USERNAME")',
    'pw=$(lit "$APP_PASSWORD")',
    // In GRANT, `_` matches any character: escaped, the grant names this database only.
    'grant_db=$(printf %s "$APP_DATABASE" | sed \'s/_/\\\\_/g\')',
    '{',
    "  printf '%s\\n' 'SET SESSION sql_log_off = ON;' \"SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION';\"",
    // Created with its password, never without one; then the password set on every run.
    "  printf \"CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s;\\n\" \"$user\" \"$pw\"",
    "  printf \"ALTER USER %s@'%%' IDENTIFIED BY %s;\\n\" \"$user\" \"$pw\"",
    "  printf 'CREATE DATABASE IF NOT EXISTS `%s`;\\n' \"$APP_DATABASE\"",
    "  printf \"GRANT ALL ON \\`%s\\`.* TO %s@'%%';\\n\" \"$grant_db\" \"$user\"",
    '} | sql',
    'echo "application user $APP_USERNAME ready: ALL on database $APP_DATABASE only"',
  ].join('\n');
  return applicationUserJob(app, script, [
    plainEnv('MYSQL_HOST', ctx.name),
    secretEnv('MYSQL_PWD', ctx.credentials.secretName, ctx.credentials.passwordKey),
  ], RUN_AS_USER);
}
