import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { OneOffJobOptions, oneOffJob } from './one-off-job';
import type { DatabaseConnections } from '../network/connections';

/** A one-off Job that talks to the database and nothing else: no Kubernetes API token, its own ServiceAccount. */
export interface DatabaseClientJobOptions extends Omit<OneOffJobOptions, 'serviceAccountName' | 'needsApiToken'> {
  /** Labels of its ServiceAccount (the database's common labels). */
  readonly serviceAccountLabels: Record<string, string>;
  /** The database's NetworkPolicy admission, which the Job's pods join. */
  readonly connections: DatabaseConnections;
}

/**
 * The Job (`oneOffJob`), a ServiceAccount named `options.name` that mounts no token, and the admission of the Job's
 * pods to the client port: the Job controller labels them `job-name: <the Job's name>`, as applications given to
 * `connections.allowFrom` are admitted.
 */
export function databaseClientJob(scope: Construct, id: string, options: DatabaseClientJobOptions): ApiObject {
  const { serviceAccountLabels, connections, ...jobOptions } = options;
  new k8s.KubeServiceAccount(scope, `${id}ServiceAccount`, {
    metadata: { name: options.name, labels: serviceAccountLabels },
    automountServiceAccountToken: false,
  });
  const job = oneOffJob(scope, `${id}Job`, { ...jobOptions, serviceAccountName: options.name, needsApiToken: false });
  connections.allowFrom(kplus.Pods.select(scope, `${id}Pods`, { labels: { 'job-name': job.name } }));
  return job;
}
