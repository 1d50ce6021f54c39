import { k8s } from 'cdk8s-plus-28';
import { ApplicationRef, EngineJob } from './engine-definition';
import { plainEnv, secretEnv } from './probes';

/**
 * The env every application-user Job gets: the application user's name and password from its Secret
 * (`APP_USERNAME`, `APP_PASSWORD`) and its database (`APP_DATABASE`), beside the engine's own connection env.
 * Scripts read them from the environment, never from their text, so no password or user input is ever parsed by a
 * shell or written into the manifest.
 */
export function applicationEnv(app: ApplicationRef): k8s.EnvVar[] {
  return [
    secretEnv('APP_USERNAME', app.secretName, app.usernameKey),
    secretEnv('APP_PASSWORD', app.secretName, app.passwordKey),
    ...(app.database ? [plainEnv('APP_DATABASE', app.database)] : []),
  ];
}

/** The application-user Job: `<name>-app-<hash of its content>` (see `oneOffJob`), so a changed script is a new Job. */
export function applicationUserJob(app: ApplicationRef, script: string, env: k8s.EnvVar[], runAsUser: number): EngineJob {
  const allEnv = [...env, ...applicationEnv(app)];
  return {
    suffix: 'app',
    script,
    env: allEnv,
    runAsUser,
  };
}
