import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { scriptContainer } from './script-container';
import { restrictedPodSecurity } from './security';

/** A short Job that runs a shell script once, with restricted security and Guaranteed resources. */
export interface OneOffJobOptions {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly image: string;
  readonly script: string;
  readonly env: k8s.EnvVar[];
  readonly runAsUser: number;
  readonly serviceAccountName: string;
  /** Only Jobs that call the Kubernetes API get a token. */
  readonly needsApiToken: boolean;
  readonly imagePullSecrets?: string[];
  readonly cpuMillis?: number;
  readonly memoryMebibytes?: number;
  /** A ConfigMap mounted read-only (init scripts). */
  readonly configMapMount?: { readonly configMap: string; readonly mountPath: string };
}

export function oneOffJob(scope: Construct, id: string, options: OneOffJobOptions): ApiObject {
  return new k8s.KubeJob(scope, id, {
    metadata: { name: options.name, labels: options.labels },
    spec: {
      backoffLimit: 10,
      // Long enough to wait for a database that is still starting; then the Job fails visibly.
      activeDeadlineSeconds: 1800,
      template: {
        metadata: { labels: options.labels },
        spec: {
          restartPolicy: 'OnFailure',
          serviceAccountName: options.serviceAccountName,
          automountServiceAccountToken: options.needsApiToken,
          securityContext: restrictedPodSecurity(options.runAsUser, options.runAsUser),
          imagePullSecrets: options.imagePullSecrets?.map((name) => ({ name })),
          containers: [scriptContainer({
            name: 'run',
            image: options.image,
            script: options.script,
            env: options.env,
            runAsUser: options.runAsUser,
            cpuMillis: options.cpuMillis ?? 100,
            memoryMebibytes: options.memoryMebibytes ?? 64,
            tmpVolume: 'tmp',
            volumeMounts: options.configMapMount ? [{ name: 'files', mountPath: options.configMapMount.mountPath, readOnly: true }] : undefined,
          })],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
            ...(options.configMapMount ? [{ name: 'files', configMap: { name: options.configMapMount.configMap } }] : []),
          ],
        },
      },
    },
  });
}
