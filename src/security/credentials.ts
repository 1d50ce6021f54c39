import * as kplus from 'cdk8s-plus-28';

/** Options for credentials read from an existing Secret. */
export interface ExistingCredentialsOptions {
  /**
   * Key of the username in the Secret.
   * @default 'username'
   */
  readonly usernameKey?: string;
  /**
   * Key of the password in the Secret.
   * @default 'password'
   */
  readonly passwordKey?: string;
}

/** Options for credentials generated inside the cluster. */
export interface GeneratedCredentialsOptions {
  /**
   * Name of the Secret to create.
   * @default - `<database name>-credentials`
   */
  readonly secretName?: string;
  /**
   * Username stored in the Secret.
   * @default - the engine's superuser (postgres, root, admin, default)
   */
  readonly username?: string;
}

/**
 * Where a database's superuser credentials come from. Never a literal: either a Secret that
 * already exists, or one generated inside the cluster by a Job, so no password is ever in the YAML.
 */
export class Credentials {
  /** Credentials from an existing Secret, by name. */
  public static fromSecretName(secretName: string, options: ExistingCredentialsOptions = {}): Credentials {
    return new Credentials(secretName, options.usernameKey ?? 'username', options.passwordKey ?? 'password', false, undefined);
  }

  /** Credentials from an existing cdk8s-plus Secret. */
  public static fromSecret(secret: kplus.ISecret, options: ExistingCredentialsOptions = {}): Credentials {
    // A factory has no construct path: what is not a Secret is refused by the database that uses the credentials.
    return Credentials.fromSecretName((secret as Partial<kplus.ISecret> | undefined)?.name as string, options);
  }

  /**
   * A `kubernetes.io/basic-auth` Secret generated inside the cluster: a small Job with permission to
   * create Secrets (and nothing else) creates it with a random password, only if it is absent.
   * Deleting the database never deletes it.
   */
  public static generate(options: GeneratedCredentialsOptions = {}): Credentials {
    return new Credentials(options.secretName, 'username', 'password', true, options.username);
  }

  private constructor(
    /** @internal */ public readonly _secretName: string | undefined,
    /** @internal */ public readonly _usernameKey: string,
    /** @internal */ public readonly _passwordKey: string,
    /** @internal */ public readonly _generated: boolean,
    /** @internal */ public readonly _username: string | undefined,
  ) {}
}
