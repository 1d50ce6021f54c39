import { IPolicyRule } from '../rule';
import { clusterScopedNamespace } from './dok/cluster-scoped-namespace';
import { cronJobRbac } from './dok/cronjob-rbac';
import { crossNamespaceReference } from './dok/cross-namespace-reference';
import { duplicateObject } from './dok/duplicate-object';
import { nineCopies } from './dok/nine-copies';
import { tenantQuota } from './dok/tenant-quota';

/** Rules that read the object set as a whole: RBAC of Jobs' scripts, references across namespaces, duplicates, storage, quotas. */
export const DOK_OBJECT_SET_RULES: IPolicyRule[] = [
  cronJobRbac,
  crossNamespaceReference,
  clusterScopedNamespace,
  duplicateObject,
  nineCopies,
  tenantQuota,
];
