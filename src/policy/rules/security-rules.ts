import { IPolicyRule } from '../rule';
import { noSecretInYaml } from './security/no-secret-in-yaml';
import { pinnedImage } from './security/pinned-image';
import { rbacLeastPrivilege } from './security/rbac-least-privilege';
import { restrictedPodSecurity } from './security/restricted-pod-security';
import { serviceAccountToken } from './security/service-account-token';
import { specificImageTag } from './security/specific-image-tag';

export const SECURITY_RULES: IPolicyRule[] = [
  restrictedPodSecurity,
  noSecretInYaml,
  pinnedImage,
  specificImageTag,
  rbacLeastPrivilege,
  serviceAccountToken,
];
