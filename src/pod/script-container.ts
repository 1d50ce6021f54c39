import { k8s } from 'cdk8s-plus-28';
import { restrictedContainerSecurity } from './security';

/** A container that runs one shell script: helper Jobs, backups, restores. */
export interface ScriptContainerOptions {
  readonly name: string;
  readonly image: string;
  readonly script: string;
  readonly runAsUser: number;
  readonly cpuMillis: number;
  readonly memoryMebibytes: number;
  readonly env?: k8s.EnvVar[];
  /** Mounts beyond /tmp. */
  readonly volumeMounts?: k8s.VolumeMount[];
  /** Volume mounted at /tmp (HOME), which a read-only root filesystem needs. */
  readonly tmpVolume: string;
  /** bash (with pipefail available) rather than sh. */
  readonly bash?: boolean;
}

/**
 * Every script container the library emits: Guaranteed resources (requests equal limits), restricted
 * security, a writable /tmp as HOME on a read-only root filesystem.
 */
export function scriptContainer(o: ScriptContainerOptions): k8s.Container {
  const cpu = k8s.Quantity.fromString(`${o.cpuMillis}m`);
  const memory = k8s.Quantity.fromString(`${o.memoryMebibytes}Mi`);
  return {
    name: o.name,
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    command: [o.bash ? 'bash' : 'sh', '-c', o.script],
    env: [{ name: 'HOME', value: '/tmp' }, ...(o.env ?? [])],
    resources: { requests: { cpu, memory }, limits: { cpu, memory } },
    securityContext: restrictedContainerSecurity(o.runAsUser),
    volumeMounts: [{ name: o.tmpVolume, mountPath: '/tmp' }, ...(o.volumeMounts ?? [])],
  };
}
