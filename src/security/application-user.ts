import { ExistingCredentialsOptions } from './credentials';

/** Options for an application user whose Secret is generated inside the cluster. */
export interface GeneratedApplicationUserOptions {
  /**
   * Name of the Secret to create.
   * @default - `<database name>-app`
   */
  readonly secretName?: string;
  /**
   * The application user's name.
   * @default 'app'
   */
  readonly username?: string;
}

/**
 * The account applications connect with: an ordinary role of the engine, never the superuser, which stays for the
 * engine's own tools (probes, backups, replication). `connectionEnv()` hands out this account.
 *
 * What it may do, per engine (a Job or the engine's start creates it, and sets its password from the Secret each
 * time it runs, so a changed password is applied by the next run):
 * - PostgreSQL: a LOGIN role without SUPERUSER/CREATEDB/CREATEROLE that owns the database (`databaseName`, else
 *   `app`), so it may create its own tables there and nothing elsewhere.
 * - MySQL: `ALL` on that database only.
 * - MongoDB: `readWrite` and `dbAdmin` on that database only.
 * - Redis/Valkey: an ACL user with every command except the `@admin` category (CONFIG, SHUTDOWN, REPLICAOF, ACL, ...).
 * - Cassandra: a LOGIN role without SUPERUSER that may create keyspaces (and owns what it creates).
 */
export class ApplicationUser {
  /**
   * A `kubernetes.io/basic-auth` Secret generated inside the cluster (random password, only if absent, never deleted
   * with the database), like `Credentials.generate()`.
   */
  public static generate(options: GeneratedApplicationUserOptions = {}): ApplicationUser {
    return new ApplicationUser(options.secretName, 'username', 'password', true, options.username ?? 'app', false);
  }

  /** The application user's name and password from an existing Secret. */
  public static fromSecretName(secretName: string, options: ExistingCredentialsOptions = {}): ApplicationUser {
    return new ApplicationUser(secretName, options.usernameKey ?? 'username', options.passwordKey ?? 'password', false, undefined, false);
  }

  /**
   * No application user: `connectionEnv()` hands out the superuser. For applications that administer the database
   * themselves (e.g. run migrations that create roles); the synth report says so.
   */
  public static superuser(): ApplicationUser {
    return new ApplicationUser(undefined, 'username', 'password', false, undefined, true);
  }

  private constructor(
    /** @internal */ public readonly _secretName: string | undefined,
    /** @internal */ public readonly _usernameKey: string,
    /** @internal */ public readonly _passwordKey: string,
    /** @internal */ public readonly _generated: boolean,
    /** @internal */ public readonly _username: string | undefined,
    /** @internal */ public readonly _isSuperuser: boolean,
  ) {}
}
