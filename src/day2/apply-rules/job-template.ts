import { ApplyVerdict } from '../apply-finding';
import { ApplyRule, finding, kubectlTarget, sameJson } from './manifests';

/**
 * Job spec fields fixed once the Job exists. Kubernetes pkg/apis/batch/validation/validation.go ValidateJobSpecUpdate:
 * `selector`, `completionMode`, `podFailurePolicy` immutable; validatePodTemplateUpdate refuses template changes
 * (except scheduling directives of a suspended Job that never started); validateCompletions allows `completions` to
 * change only with `parallelism` on an Indexed Job with elastic indexing.
 */
const IMMUTABLE_JOB_FIELDS = ['template', 'selector', 'completions', 'completionMode', 'podFailurePolicy'];

/** A one-off Job changed under the same name. */
export const jobTemplate: ApplyRule = (previous, current) => {
  if (previous?.kind !== 'Job' || current?.kind !== 'Job') return [];
  return IMMUTABLE_JOB_FIELDS.filter((f) => !sameJson(previous.spec?.[f], current.spec?.[f])).map((f) =>
    finding(current, `spec.${f}`, ApplyVerdict.REJECTED,
      `the Job \`${current.metadata?.name}\` keeps its name but its \`spec.${f}\` changes; a Job's ${f} is immutable (ValidateJobSpecUpdate)`,
      'give the Job a name derived from its content, so a changed Job is a new object (this library\'s one-off Jobs have one), '
      + `or delete the finished Job first: \`kubectl delete ${kubectlTarget(current)}\``));
};
