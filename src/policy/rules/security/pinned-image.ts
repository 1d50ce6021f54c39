import { parseImage } from './image-reference';
import { everyContainer, workloadPodSpec } from './pod-security';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * Without a tag the runtime pulls `latest`, and `latest` moves: two replicas of one StatefulSet can run different
 * database builds, and a restart can upgrade a database no one decided to upgrade (the data files may not go back).
 */
export const pinnedImage: IPolicyRule = {
  id: 'SEC-PINNED-IMAGE',
  level: RuleLevel.ERROR,
  finding: 'A container image has no tag, or the tag `latest`, and no digest.',
  explanation: 'Give every image, init containers, sidecars and ephemeral containers included, an explicit version tag (`postgres:16.6`) '
    + 'or a digest (`@sha256:...`): an untagged or `latest` image changes under the pod, so replicas drift apart and a restart can '
    + 'upgrade the database unplanned (https://kubernetes.io/docs/concepts/containers/images/#image-names).',
  evaluate(o: any): Verdict {
    const spec = workloadPodSpec(o);
    if (!spec) return Verdict.notApplicable();
    const problems: string[] = [];
    for (const { name, container } of everyContainer(spec)) {
      // A template may leave the image to a controller or webhook that fills it in; nothing here to judge.
      if (typeof container.image !== 'string' || container.image.trim() === '') continue;
      const { tag, digest } = parseImage(container.image.trim());
      if (digest) continue;
      if (!tag) problems.push(`container "${name}" image ${container.image} has no tag (the runtime pulls latest)`);
      else if (tag === 'latest') problems.push(`container "${name}" image ${container.image} uses the moving tag latest`);
    }
    return Verdict.fromProblems(problems);
  },
};
