import { ApplyVerdict } from '../apply-finding';
import { ApplyRule, finding, kubectlTarget } from './manifests';

const headless = (spec: any) => spec?.clusterIP === 'None';

/**
 * A Service turned headless or back. Kubernetes pkg/apis/core/validation/validation.go ValidateServiceUpdate:
 * `spec.clusterIP` (and `clusterIPs`) may not change once set, except to or from type ExternalName ("field is
 * immutable"); the allocated address and `None` are both values.
 */
export const serviceClusterIp: ApplyRule = (previous, current) => {
  if (previous?.kind !== 'Service' || current?.kind !== 'Service' || headless(previous.spec) === headless(current.spec)) return [];
  if (previous.spec?.type === 'ExternalName' || current.spec?.type === 'ExternalName') return [];
  return [finding(current, 'spec.clusterIP', ApplyVerdict.REJECTED,
    `the Service turns ${headless(current.spec) ? 'headless (clusterIP None)' : 'from headless to an allocated cluster IP'}; clusterIP is immutable (ValidateServiceUpdate)`,
    `delete the Service, then apply: \`kubectl delete ${kubectlTarget(current)}\` (clients lose the name until it is back)`)];
};
