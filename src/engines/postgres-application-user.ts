import { applicationUserJob } from './application-user-job';
import { EngineContext, EngineJob } from './engine-definition';
import { WAIT_FOR_WRITABLE_PRIMARY } from './postgres-wait-primary';
import { plainEnv, secretEnv } from './probes';

/** How the Job reaches the writer: the client Service, as the superuser; Spilo refuses host connections without TLS. */
export interface PostgresApplicationUserOptions {
  readonly runAsUser: number;
  readonly sslMode?: 'require';
}

/**
 * Creates the application role against the writer, once it accepts writes, and keeps it an ordinary role:
 * LOGIN, no SUPERUSER/CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS, its password set from the Secret on every run (a
 * changed Secret is applied by the next Job). The role owns its database (created when missing), so on PostgreSQL
 * 15+ it may create in the database's `public` schema (owned by pg_database_owner) and nowhere else.
 *
 * Names and the password reach SQL only as psql variables (`:"user"` quotes an identifier, `:'pw'` a literal), read
 * from the environment: nothing in them is parsed by the shell or by SQL. The session does not log statements, so
 * the password does not reach the server log whatever log_statement says.
 * @see https://www.postgresql.org/docs/current/app-psql.html#APP-PSQL-INTERPOLATION
 * @see https://www.postgresql.org/docs/current/ddl-schemas.html#DDL-SCHEMAS-PATTERNS
 */
export function postgresApplicationUserJob(ctx: EngineContext, options: PostgresApplicationUserOptions): EngineJob | undefined {
  const app = ctx.application;
  if (!app) return undefined;
  const script = [
    'set -eu',
    'if [ "$APP_USERNAME" = "$PGUSER" ]; then',
    '  echo "the application user is the superuser ($PGUSER): give it a name of its own"; exit 1',
    'fi',
    ...WAIT_FOR_WRITABLE_PRIMARY,
    'psql -X -q -v ON_ERROR_STOP=1 -d postgres -v user="$APP_USERNAME" -v pw="$APP_PASSWORD" -v db="$APP_DATABASE" <<\'SQL\'',
    'SET log_statement = none;',
    'SET log_min_duration_statement = -1;',
    "SELECT format('CREATE ROLE %I LOGIN', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \\gexec",
    "ALTER ROLE :\"user\" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw';",
    "SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec",
    'ALTER DATABASE :"db" OWNER TO :"user";',
    'SQL',
    'echo "application user $APP_USERNAME ready: owns database $APP_DATABASE"',
  ].join('\n');
  return applicationUserJob(app, script, [
    plainEnv('PGHOST', ctx.name),
    plainEnv('PGPORT', '5432'),
    ...(options.sslMode ? [plainEnv('PGSSLMODE', options.sslMode)] : []),
    plainEnv('PGCONNECT_TIMEOUT', '5'),
    secretEnv('PGUSER', ctx.credentials.secretName, ctx.credentials.usernameKey),
    secretEnv('PGPASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
  ], options.runAsUser);
}
