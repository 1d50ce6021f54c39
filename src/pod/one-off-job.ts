import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { scriptContainer } from './script-container';
import { restrictedPodSecurity } from './security';
import { checksum } from '../private/checksum';

/**
 * A short Job that runs once, with restricted security and Guaranteed resources: a shell script of the library's,
 * or a user's image run as given (`command`/`args`), which needs no shell (distroless migration images).
 */
export interface OneOffJobOptions {
  /**
   * `<database>-<purpose>` (`orders-migrate`), before the content hash is appended. Past 56 characters the
   * database part is shortened and the purpose kept whole (see `contentName`).
   */
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly image: string;
  /** The shell script the container runs; without it, the container runs the image with `command` and `args`. */
  readonly script?: string;
  /** Without `script`: the program run instead of the image's entrypoint (default: the entrypoint). */
  readonly command?: string[];
  /** Without `script`: the arguments (default: the image's own). */
  readonly args?: string[];
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
  /** What the Job runs that its spec does not show (the content of a mounted ConfigMap): part of its name. */
  readonly mountedContent?: Record<string, string>;
  /** @default 1800: long enough to wait for a database that is still starting; then the Job fails visibly. */
  readonly activeDeadlineSeconds?: number;
  /**
   * Created suspended (`spec.suspend: true`): it runs when an operator resumes it (the DR runbook's steps). The
   * active deadline counts from the resume (Job controller: `startTime` is reset while suspended).
   * @default false
   */
  readonly suspend?: boolean;
}

/**
 * How long a finished Job stays for its logs to be read. Then the TTL controller deletes it, and the next
 * `kubectl apply` creates it again: every script a one-off Job runs is written to run twice.
 */
export const FINISHED_JOB_TTL_SECONDS = 7 * 24 * 3600;

/** 56 + 1 + 6 (the hash) stays within the 63 characters of the `job-name` label the Job controller puts on its pods. */
const MAX_BASE_LENGTH = 56;
/** The purposes are short words (`creds`, `app`, `migrate`); a longer last part is cut like the rest. */
const MAX_PURPOSE_LENGTH = 16;

/**
 * A Job's pod template is immutable (batch validation, ValidateJobUpdate), so a Job that changes must be a new
 * object: its name ends with a hash of everything it runs. A `base` longer than 56 characters loses the end of its
 * database part, not its purpose (the word after the last '-'), so a long database's Job still reads
 * `<shortened name>-migrate-<hash>`; the hash covers the labels, which carry the full database name.
 */
export function contentName(base: string, content: unknown): string {
  const hash = checksum(JSON.stringify(content)).slice(0, 6);
  const dash = base.lastIndexOf('-');
  const purpose = base.slice(dash + 1);
  if (base.length <= MAX_BASE_LENGTH || dash <= 0 || purpose.length > MAX_PURPOSE_LENGTH) {
    return `${base.slice(0, MAX_BASE_LENGTH).replace(/-+$/, '')}-${hash}`;
  }
  const database = base.slice(0, MAX_BASE_LENGTH - purpose.length - 1).replace(/-+$/, '');
  return `${database}-${purpose}-${hash}`;
}

/** The Job's name ends with a hash of its content (`contentName`): read it from the returned object's `name`. */
export function oneOffJob(scope: Construct, id: string, options: OneOffJobOptions): ApiObject {
  const spec: k8s.JobSpec = {
    ...(options.suspend ? { suspend: true } : {}),
    backoffLimit: 10,
    activeDeadlineSeconds: options.activeDeadlineSeconds ?? 1800,
    ttlSecondsAfterFinished: FINISHED_JOB_TTL_SECONDS,
    template: {
      metadata: { labels: options.labels },
      spec: {
        restartPolicy: 'OnFailure',
        serviceAccountName: options.serviceAccountName,
        automountServiceAccountToken: options.needsApiToken,
        securityContext: restrictedPodSecurity(options.runAsUser, options.runAsUser),
        imagePullSecrets: options.imagePullSecrets?.map((name) => ({ name })),
        containers: [jobContainer(options)],
        volumes: [
          { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
          ...(options.configMapMount ? [{ name: 'files', configMap: { name: options.configMapMount.configMap } }] : []),
        ],
      },
    },
  };
  const name = contentName(options.name, [options.labels, spec, options.mountedContent ?? {}]);
  return new k8s.KubeJob(scope, id, { metadata: { name, labels: options.labels }, spec });
}

/** The Job's one container: the script in a shell, or the image run as given, with the same security, resources, HOME and /tmp. */
function jobContainer(options: OneOffJobOptions): k8s.Container {
  const container = scriptContainer({
    name: 'run',
    image: options.image,
    script: options.script ?? '',
    env: options.env,
    runAsUser: options.runAsUser,
    cpuMillis: options.cpuMillis ?? 100,
    memoryMebibytes: options.memoryMebibytes ?? 64,
    tmpVolume: 'tmp',
    volumeMounts: options.configMapMount ? [{ name: 'files', mountPath: options.configMapMount.mountPath, readOnly: true }] : undefined,
  });
  if (options.script !== undefined) return container;
  return { ...container, command: options.command, args: options.args };
}
