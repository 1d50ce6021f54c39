import { k8s } from 'cdk8s-plus-28';

/**
 * Pod-level security context that passes Pod Security Standards "restricted":
 * non-root numeric user, RuntimeDefault seccomp, and volumes owned by the engine's group.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
export function restrictedPodSecurity(runAsUser: number, fsGroup: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser,
    runAsGroup: fsGroup,
    fsGroup,
    // Re-owning a large volume on every start delays restarts; only fix ownership when it differs.
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level security context for "restricted": no escalation, no capabilities, read-only root. */
export function restrictedContainerSecurity(runAsUser?: number): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
