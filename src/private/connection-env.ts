import * as kplus from 'cdk8s-plus-28';

/**
 * What a PostgreSQL client needs to connect over TLS: libpq's `sslmode` and, when it verifies the server, the CA
 * that signed the server certificate.
 * @see https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION
 */
export interface PostgresClientSsl {
  /** `require`: encrypted, server not verified; `verify-full`: CA and host name verified. */
  readonly mode: 'require' | 'verify-full';
  /** Secret holding the CA certificate (`ca.crt` of a cert-manager Secret); needed for `verify-full`. */
  readonly caSecret?: kplus.ISecret;
  /** @default 'ca.crt' */
  readonly caKey?: string;
}

/**
 * Env vars an application needs to reach a database: host and port as values, credentials from the Secret.
 * With `ssl` (PostgreSQL): `<prefix>SSLMODE` (with the prefix `PG`, libpq reads PGSSLMODE itself) and, for
 * `verify-full`, `<prefix>CA_CERT` with the CA certificate's PEM text. libpq takes the CA as a file
 * (`sslrootcert`/PGSSLROOTCERT), so a libpq client writes it to a file or mounts the Secret's `ca.crt`.
 */
export function connectionEnv(prefix: string, host: string, port: number, secret: kplus.ISecret,
  usernameKey: string, passwordKey: string, ssl?: PostgresClientSsl, database?: string): Record<string, kplus.EnvValue> {
  if (ssl?.mode === 'verify-full' && !ssl.caSecret) {
    throw new Error('connectionEnv: sslmode verify-full needs the CA certificate (caSecret)');
  }
  return {
    [`${prefix}HOST`]: kplus.EnvValue.fromValue(host),
    [`${prefix}PORT`]: kplus.EnvValue.fromValue(String(port)),
    ...(database ? { [`${prefix}DATABASE`]: kplus.EnvValue.fromValue(database) } : {}),
    [`${prefix}USERNAME`]: kplus.EnvValue.fromSecretValue({ secret, key: usernameKey }),
    [`${prefix}PASSWORD`]: kplus.EnvValue.fromSecretValue({ secret, key: passwordKey }),
    ...(ssl ? { [`${prefix}SSLMODE`]: kplus.EnvValue.fromValue(ssl.mode) } : {}),
    ...(ssl?.mode === 'verify-full' ? {
      [`${prefix}CA_CERT`]: kplus.EnvValue.fromSecretValue({ secret: ssl.caSecret!, key: ssl.caKey ?? 'ca.crt' }),
    } : {}),
  };
}
