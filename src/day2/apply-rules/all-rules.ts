import { claimChanges } from './claims';
import { engineVersion } from './engine-version';
import { immutableData } from './immutable-data';
import { jobTemplate } from './job-template';
import { ApplyRule } from './manifests';
import { roleBindingRoleRef } from './role-binding';
import { serviceClusterIp } from './service-cluster-ip';
import { statefulSetImmutableFields } from './statefulset-immutable-fields';
import { statefulSetRemoved } from './statefulset-removed';
import { statefulSetRollout } from './statefulset-rollout';
import { storageClassFields } from './storage-class';
import { volumeReplicationFields } from './volume-replication';
import { workloadSelector } from './workload-selector';

/** Every rule, each run on every pair of objects with the same identity. */
export const ALL_APPLY_RULES: ApplyRule[] = [
  statefulSetImmutableFields,
  statefulSetRemoved,
  statefulSetRollout,
  engineVersion,
  claimChanges,
  jobTemplate,
  serviceClusterIp,
  workloadSelector,
  storageClassFields,
  roleBindingRoleRef,
  immutableData,
  volumeReplicationFields,
];
