import * as kplus from 'cdk8s-plus-28';

/** Env vars an application needs to reach a database: host and port as values, credentials from the Secret. */
export function connectionEnv(prefix: string, host: string, port: number, secret: kplus.ISecret,
  usernameKey: string, passwordKey: string): Record<string, kplus.EnvValue> {
  return {
    [`${prefix}HOST`]: kplus.EnvValue.fromValue(host),
    [`${prefix}PORT`]: kplus.EnvValue.fromValue(String(port)),
    [`${prefix}USERNAME`]: kplus.EnvValue.fromSecretValue({ secret, key: usernameKey }),
    [`${prefix}PASSWORD`]: kplus.EnvValue.fromSecretValue({ secret, key: passwordKey }),
  };
}
