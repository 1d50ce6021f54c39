import { applicationEnv } from './application-user-job';
import { ApplicationRef } from './engine-definition';
import { inDoubleQuotes as dq } from '../private/shell';

/**
 * The application user's ACL rule: every key and channel, every command but the `@admin` category (CONFIG,
 * SHUTDOWN, REPLICAOF, ACL SETUSER/LIST, DEBUG, MONITOR, SAVE, CLIENT LIST/KILL, and also ROLE and LASTSAVE).
 * Clients' handshakes (HELLO, AUTH, CLIENT SETNAME/SETINFO, SELECT, INFO, ACL WHOAMI) are outside `@admin`.
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/security/acl/#command-categories
 */
export const APPLICATION_ACL_RULES = '~* &* +@all -@admin';

/**
 * Redis and Valkey keep ACL users in memory, and a replica does not receive its primary's users: every member
 * defines the application user itself, at each start, before it serves a client. The server reads that one
 * config line from its standard input (`<server> <file> [--options] -`: file, then stdin, then options), so the
 * line never lands on disk or on a command line, and the password is given as its SHA-256 (`#<hex>`): the
 * password itself is never parsed as ACL text, whatever characters it holds. A changed Secret is applied by the
 * next start of each member.
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/security/acl/#how-passwords-are-stored-internally
 * @see https://github.com/valkey-io/valkey/blob/8.0/src/server.c (main: config from stdin when the last argument is "-")
 */
export interface RedisApplicationUser {
  /** Shell lines (`set -eu` assumed) that refuse a name or password the ACL line cannot hold, and set `app_hash`. */
  readonly check: string[];
  /** Appended to the server's exec line: its config from stdin, here the ACL line. */
  readonly stdinSuffix: string;
  /** The env the lines read: APP_USERNAME and APP_PASSWORD from the application user's Secret. */
  readonly env: ReturnType<typeof applicationEnv>;
}

/**
 * The lines a member's start script runs to define `ctx.application`, or undefined when applications get the
 * superuser. The name comes from a Secret and reaches a config line that the server splits on blanks and quotes,
 * so it is refused unless it is letters, digits, '.', '_', '-' and '@' (the library's generated names are letters,
 * digits and '_'); `default` is the superuser the library keeps for replication, Sentinel, probes and backups.
 * The image (debian:bookworm-slim, coreutils) has sha256sum:
 * https://github.com/valkey-io/valkey-container/blob/mainline/8.0/debian/Dockerfile ,
 * https://github.com/docker-library/redis/blob/master/7.2/debian/Dockerfile
 */
export function redisApplicationUser(app: ApplicationRef | undefined): RedisApplicationUser | undefined {
  if (!app) return undefined;
  // The Secret's name and keys are escaped inside the messages' double quotes: text, never code.
  const secret = dq(app.secretName);
  return {
    check: [
      'case "$APP_USERNAME" in',
      `  ''|*[![:alnum:]._@-]*) echo "application user: the name in Secret ${secret} key ${dq(app.usernameKey)} must be letters, digits, '.', '_', '-' or '@' (an ACL rule cannot hold it otherwise): fix the Secret" >&2; exit 1 ;;`,
      `  default) echo "application user: the name in Secret ${secret} is 'default', the superuser's: give the application a name of its own" >&2; exit 1 ;;`,
      'esac',
      `[ -n "$APP_PASSWORD" ] || { echo "application user: the password in Secret ${secret} key ${dq(app.passwordKey)} is empty: set one" >&2; exit 1; }`,
      'app_hash=$(printf \'%s\' "$APP_PASSWORD" | sha256sum | cut -d \' \' -f 1)',
      'echo "application user $APP_USERNAME: ' + APPLICATION_ACL_RULES + '"',
    ],
    stdinSuffix: ` - <<EOF\nuser $APP_USERNAME on #$app_hash ${APPLICATION_ACL_RULES}\nEOF`,
    env: applicationEnv(app),
  };
}
